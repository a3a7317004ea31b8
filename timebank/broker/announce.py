"""Tell the receiver of a pending exchange by text, with a short code to answer YES or NO.

`announce_pending` is given to the ledger's `also` hook, so the code and the queued text are
written in the same transaction as the exchange, and never again on a replay.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.proposals import code_taken
from timebank.ledger.models import Account, Transfer
from timebank.ledger.services import TransferResult
from timebank.members.models import Member
from timebank.sms import replies
from timebank.sms.models import ExchangeCode
from timebank.sms.outbox import queue_sms

# Three digits first; after a few taken codes, a digit more. UNIQUE (bank, code) decides.
_CODE_WIDTHS = (3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7)
_random = random.SystemRandom()


def _random_code(width: int) -> int:
    return _random.randint(10 ** (width - 1), 10**width - 1)


def new_exchange_code(
    session: so.Session, bank_id: int, transfer_id: uuid.UUID, member_id: int
) -> int:
    """Add a short code, unused in this bank, that `member_id` can answer for `transfer_id`."""
    for width in _CODE_WIDTHS:
        code = _random_code(width)
        # Proposal codes ("Reply YES 12" to a broker) share the numbers: see code_taken.
        if code_taken(session, bank_id, code):
            continue
        try:
            # A savepoint: if another transaction took the code meanwhile, try another.
            with session.begin_nested():
                session.add(
                    ExchangeCode(
                        bank_id=bank_id, code=code, transfer_id=transfer_id, member_id=member_id
                    )
                )
        except sa.exc.IntegrityError:
            continue
        return code
    raise RuntimeError("Could not find a free exchange code.")


def _holder(session: so.Session, account_id: int) -> Member | None:
    return session.scalar(
        sa.select(Member)
        .join(Account, Account.member_id == Member.id)
        .where(Account.id == account_id)
    )


def _wants_texts(member: Member | None) -> bool:
    return bool(
        member is not None
        and member.mobile_e164
        and member.sms_notifications
        and member.status == "active"
        and member.erased_at is None
    )


def announce_pending(session: so.Session, results: Sequence[TransferResult]) -> None:
    """Text each pending exchange's receiver its details and a code to reply YES or NO to."""
    for result in results:
        if result.phase != "pending" or result.replayed:
            continue
        receiver = _holder(session, result.debit_account_id)
        if not _wants_texts(receiver):
            continue
        assert receiver is not None and receiver.mobile_e164 is not None
        giver = _holder(session, result.credit_account_id)
        transfer = session.get(Transfer, result.id)
        what = (transfer.skill_category or transfer.description) if transfer else ""
        code = new_exchange_code(session, receiver.bank_id, result.id, receiver.id)
        body = replies.exchange_to_confirm(
            giver.display_name if giver else "A member", result.amount, what or "", code
        )
        queue_sms(
            session,
            receiver.bank_id,
            receiver.mobile_e164,
            body,
            "exchange_to_confirm",
            receiver.id,
        )
