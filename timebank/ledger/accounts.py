"""Transfers between any two accounts: donations to the pot, grants from it, adjustments."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.ledger import errors, rules
from timebank.ledger.models import Account
from timebank.ledger.posting import NewTransfer, movement_for
from timebank.ledger.services import TransferResult, claim_single_write, commit_or_replay
from timebank.members.models import Member

# Who may record each code: a donation by the one giving hours away or a broker; the rest
# by brokers only.
ACCOUNT_CODES = ("donation", "grant", "adjustment")


@dataclass(frozen=True)
class AccountTransferRequest:
    """Move `minutes` from the debit account to the credit account, for a stated reason."""

    transfer_id: uuid.UUID
    bank_id: int
    debit_account_id: int
    credit_account_id: int
    minutes: int
    code: str
    recorded_by_id: int
    description: str = ""
    happened_on: dt.date | None = None


@use_case
def record_account_transfer(
    session: so.Session, request: AccountTransferRequest, now: Callable[[], dt.datetime] = utcnow
) -> TransferResult:
    """Record a donation, grant or adjustment between two accounts of one time bank."""
    if request.code not in ACCOUNT_CODES:
        raise errors.InvalidAmount(f"Choose one of: {', '.join(ACCOUNT_CODES)}.")
    minutes = rules.check_minutes(request.minutes)
    if request.debit_account_id == request.credit_account_id:
        raise errors.SameAccount()
    digest = rules.request_digest({"op": "account", **request.__dict__, "minutes": minutes})
    if (done := claim_single_write(session, request.transfer_id, digest)) is not None:
        return done
    actor = session.get(Member, request.recorded_by_id)
    if actor is None or actor.bank_id != request.bank_id or actor.status != "active":
        raise errors.NotYourExchange("Only an active member of this time bank can do this.")
    debit = session.get(Account, request.debit_account_id)
    credit = session.get(Account, request.credit_account_id)
    for account in (debit, credit):
        if account is None or account.bank_id != request.bank_id:
            raise errors.UnknownAccount("That account does not exist in this time bank.")
    assert debit is not None
    own_donation = request.code == "donation" and debit.member_id == actor.id
    if not (own_donation or actor.has_role("broker")):
        raise errors.NotYourExchange("Only a broker can record this kind of transfer.")
    stamp = now()
    new = NewTransfer(
        id=request.transfer_id,
        bank_id=request.bank_id,
        debit_account_id=request.debit_account_id,
        credit_account_id=request.credit_account_id,
        amount=minutes,
        code=request.code,
        phase="posted",
        happened_on=request.happened_on or stamp.date(),
        recorded_at=stamp,
        recorded_by_id=actor.id,
        request_digest=digest,
        description=request.description,
    )
    return commit_or_replay(session, [(new, movement_for("posted", minutes))])[0]
