"""What a member's text does: BAL, YES 123 / NO 123, GAVE <time> TO <who> [what].

Each function returns the reply. The ledger's services commit their own work; ids are
derived from the text's MessageSid, so a text Twilio delivers twice is a replay, not a second
exchange or a second answer.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.announce import announce_pending
from timebank.broker.proposals import answer_by_text
from timebank.errors import InvalidInput, TimeBankError
from timebank.ledger import errors as ledger_errors
from timebank.ledger.models import Account, Transfer
from timebank.ledger.queries import balance_summary
from timebank.ledger.resolutions import confirm_pending, decline_pending
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member
from timebank.offers.skills import skill_categories
from timebank.phones import normalise_mobile
from timebank.sms import replies
from timebank.sms.commands import Answer, Gave
from timebank.sms.models import ExchangeCode
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

# Namespaces for ids derived from a MessageSid: the same text always means the same write.
ANSWER_NAMESPACE = uuid.UUID("0b7f6c1e-2d59-4a8e-9f0e-5b3a6d8c4e21")
GAVE_NAMESPACE = uuid.UUID("9c2e4a7d-61b3-4f58-8d1a-7e0f3b5c9a64")


def id_for_text(namespace: uuid.UUID, message_sid: str) -> uuid.UUID:
    """Return the ledger id a text's MessageSid stands for."""
    return uuid.uuid5(namespace, message_sid)


def balance_reply(session: so.Session, member: Member) -> str:
    """Return a member's balance and lowest allowed balance, in words."""
    summary = balance_summary(session, member.bank_id, member.id)
    return replies.balance(member.first_name, summary.balance, summary.min_balance)


def _giver_name(session: so.Session, transfer: Transfer) -> str:
    name = session.scalar(
        sa.select(Member.display_name)
        .join(Account, Account.member_id == Member.id)
        .where(Account.id == transfer.credit_account_id)
    )
    return name or "the other member"


def answer_by_code(
    session: so.Session, member: Member, command: Answer, message_sid: str, now: dt.datetime
) -> str:
    """Confirm or decline the member's pending exchange with `command.code`; return the reply."""
    assert command.code is not None
    found = session.scalar(
        sa.select(ExchangeCode).where(
            ExchangeCode.bank_id == member.bank_id, ExchangeCode.code == command.code
        )
    )
    if found is None or found.member_id != member.id:
        # Not an exchange of theirs: it may answer a broker's "could you help?" text.
        answered = answer_by_text(session, member, command.code, command.yes, now)
        return answered or replies.code_not_found(command.code)
    transfer = session.get(Transfer, found.transfer_id)
    assert transfer is not None
    giver, minutes = _giver_name(session, transfer), transfer.amount
    resolve = confirm_pending if command.yes else decline_pending
    resolution_id = id_for_text(ANSWER_NAMESPACE, message_sid)
    try:
        resolve(
            session, member.bank_id, found.transfer_id, resolution_id, member.id, now=lambda: now
        )
    except (ledger_errors.AlreadyResolved, ledger_errors.NotPending):
        return replies.already_answered(command.code)
    except TimeBankError as error:
        return replies.refusal(error.message)
    done = replies.exchange_confirmed if command.yes else replies.exchange_declined
    return done(giver, minutes)


def _receiver(session: so.Session, bank_id: int, command: Gave) -> Member | None:
    if command.to_member_number is not None:
        wanted = Member.id == command.to_member_number
    else:
        try:
            wanted = Member.mobile_e164 == normalise_mobile(command.to_mobile or "")
        except InvalidInput:
            return None
    return session.scalar(
        sa.select(Member).where(Member.bank_id == bank_id, Member.erased_at.is_(None), wanted)
    )


def match_skill(session: so.Session, bank_id: int, what: str) -> str | None:
    """Return the skill category `what` names (e.g. 'gardening'), or None."""
    words = what.lower()
    if not words:
        return None
    for category in skill_categories(session, bank_id):
        name = category.lower()
        if name == words or name.split()[0] == words.split()[0] or words in name:
            return category
    return None


def gave_by_text(
    session: so.Session,
    bank: TimeBank,
    member: Member,
    command: Gave,
    message_sid: str,
    now: dt.datetime,
) -> str:
    """Log help the member gave as an exchange waiting for the receiver; return the reply."""
    receiver = _receiver(session, bank.id, command)
    if receiver is None:
        who = str(command.to_member_number or command.to_mobile or "")
        return replies.member_not_found(who)
    what = command.what.strip()[:200]
    request = ExchangeRequest(
        transfer_id=id_for_text(GAVE_NAMESPACE, message_sid),
        bank_id=bank.id,
        giver_id=member.id,
        receiver_id=receiver.id,
        minutes=command.minutes,
        recorded_by_id=member.id,
        happened_on=today_in_zone(bank.timezone, lambda: now),
        description=what,
        skill_category=match_skill(session, bank.id, what),
    )
    try:
        result = record_exchange(session, request, now=lambda: now, also=announce_pending)
    except TimeBankError as error:
        return replies.refusal(error.message)
    return replies.gave_logged(receiver.display_name, result.amount, what)
