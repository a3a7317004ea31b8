"""The community pot: members give hours to it, and brokers grant hours from it.

Each is one use case. A donation moves minutes from a member's account to the bank's pot
(debit the member, credit the pot); a grant moves them from the pot to a member, with a
reason. Both are posted at once, with code `donation` or `grant`, like the ones the demo
seeder makes through `accounts.record_account_transfer`. The pot cannot go below zero (its
account's `min_balance`), and a donation cannot take a member below their overdraft limit:
the database refuses either, and the refusal comes back in plain words.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import Conflict, InvalidInput
from timebank.ledger import errors, rules
from timebank.ledger.models import Account
from timebank.ledger.posting import NewTransfer, movement_for
from timebank.ledger.services import (
    TransferResult,
    claim_single_write,
    commit_or_replay,
    refusals_told_to,
)
from timebank.members.models import Member, Organisation
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

POT_REASON_LIMIT = 500


@dataclass(frozen=True)
class PotDonation:
    """`member_id` gives `minutes` of their hours to the community pot."""

    transfer_id: uuid.UUID
    bank_id: int
    member_id: int
    minutes: int
    recorded_by_id: int
    note: str = ""


@dataclass(frozen=True)
class PotGrant:
    """The community pot gives `minutes` to `member_id`, for a reason."""

    transfer_id: uuid.UUID
    bank_id: int
    member_id: int
    minutes: int
    recorded_by_id: int
    reason: str


class PotTooLow(errors.LedgerError, Conflict):
    """A grant is more than the community pot holds."""

    code = "pot_too_low"

    def __init__(self, holds: int, minutes: int) -> None:
        held = rules.format_duration(holds) if holds > 0 else "no hours"
        super().__init__(
            f"The community pot holds {held}, so it cannot give "
            f"{rules.format_duration(minutes)}. Grant less, or wait for donations."
        )
        self.holds, self.minutes = holds, minutes


class ReasonNeeded(errors.LedgerError, InvalidInput):
    code = "reason_needed"

    def __init__(self) -> None:
        super().__init__("Say why the pot gives these hours, for the records.")


@dataclass(frozen=True)
class PotBalance:
    """What the community pot holds, in minutes."""

    account_id: int
    balance: int


def pot_balance(session: so.Session, bank_id: int) -> PotBalance:
    """Return the community pot's account and balance for one time bank."""
    account_id, credits, debits = session.execute(
        sa.select(Account.id, Account.credits_posted, Account.debits_posted)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id, Organisation.kind == "community_pot")
    ).one()
    return PotBalance(account_id, credits - debits)


@use_case
def donate_to_pot(
    session: so.Session, request: PotDonation, now: Callable[[], dt.datetime] = utcnow
) -> TransferResult:
    """Move minutes from a member's account to the community pot (the member or a broker)."""
    minutes = rules.check_minutes(request.minutes)
    note = _checked_text(request.note)
    digest = _digest("donation", request, minutes, note)
    if (done := claim_single_write(session, request.transfer_id, digest)) is not None:
        return done
    actor = _actor(session, request.bank_id, request.recorded_by_id)
    if actor.id != request.member_id and not _is_broker(actor):
        raise errors.NotYourExchange("Only a broker can give someone else's hours to the pot.")
    member, account = _trading_member(session, request.bank_id, request.member_id)
    pot = pot_balance(session, request.bank_id)
    new = _transfer(
        session, request, account.id, pot.account_id, minutes, "donation", digest, now, note
    )
    with refusals_told_to(actor.id, broker=_is_broker(actor)):
        return commit_or_replay(session, [(new, movement_for("posted", minutes))])[0]


@use_case
def grant_from_pot(
    session: so.Session, request: PotGrant, now: Callable[[], dt.datetime] = utcnow
) -> TransferResult:
    """Move minutes from the community pot to a member, for a reason (brokers only)."""
    minutes = rules.check_minutes(request.minutes)
    reason = _checked_text(request.reason)
    if not reason:
        raise ReasonNeeded()
    digest = _digest("grant", request, minutes, reason)
    if (done := claim_single_write(session, request.transfer_id, digest)) is not None:
        return done
    actor = _actor(session, request.bank_id, request.recorded_by_id)
    if not _is_broker(actor):
        raise errors.NotYourExchange("Only a broker can grant hours from the community pot.")
    member, account = _trading_member(session, request.bank_id, request.member_id)
    pot = pot_balance(session, request.bank_id)
    new = _transfer(
        session, request, pot.account_id, account.id, minutes, "grant", digest, now, reason=reason
    )
    try:
        with refusals_told_to(actor.id, broker=True):
            return commit_or_replay(session, [(new, movement_for("posted", minutes))])[0]
    except errors.OverdraftLimitReached as refusal:
        if refusal.member_id is not None:
            raise
        raise PotTooLow(refusal.would_be + minutes, minutes) from None


def _checked_text(text: str) -> str:
    text = (text or "").strip()
    if len(text) > POT_REASON_LIMIT:
        raise errors.InvalidAmount(f"Keep it to {POT_REASON_LIMIT} characters or fewer.")
    return text


def _digest(op: str, request: PotDonation | PotGrant, minutes: int, words: str) -> str:
    return rules.request_digest(
        {
            "op": f"pot_{op}",
            "bank": request.bank_id,
            "member": request.member_id,
            "minutes": minutes,
            "by": request.recorded_by_id,
            "words": words,
        }
    )


def _is_broker(actor: Member) -> bool:
    return actor.status == "active" and actor.has_role("broker")


def _actor(session: so.Session, bank_id: int, member_id: int) -> Member:
    actor = session.get(Member, member_id)
    if actor is None or actor.bank_id != bank_id or actor.status != "active":
        raise errors.NotYourExchange("Only an active member of this time bank can do this.")
    return actor


def _trading_member(session: so.Session, bank_id: int, member_id: int) -> tuple[Member, Account]:
    """Return a member of this bank and their account, if they may move hours now."""
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise errors.UnknownAccount(f"There is no member {member_id} in this time bank.")
    account = session.scalar(sa.select(Account).where(Account.member_id == member.id))
    if member.status != "active" or account is None or not account.is_open:
        raise errors.MemberNotActive(
            f"{member.display_name} is not an active member ({member.status}), so no hours "
            "can move to or from their account."
        )
    return member, account


def _transfer(
    session: so.Session,
    request: PotDonation | PotGrant,
    debit_account_id: int,
    credit_account_id: int,
    minutes: int,
    code: str,
    digest: str,
    now: Callable[[], dt.datetime],
    note: str = "",
    reason: str | None = None,
) -> NewTransfer:
    """Build the posted transfer, dated today in the bank's time zone."""
    stamp = now()
    timezone = session.scalar(sa.select(TimeBank.timezone).where(TimeBank.id == request.bank_id))
    return NewTransfer(
        id=request.transfer_id,
        bank_id=request.bank_id,
        debit_account_id=debit_account_id,
        credit_account_id=credit_account_id,
        amount=minutes,
        code=code,
        phase="posted",
        happened_on=today_in_zone(timezone, lambda: stamp),
        recorded_at=stamp,
        recorded_by_id=request.recorded_by_id,
        request_digest=digest,
        description=note,
        reason=reason,
    )


def community_pot_account(session: so.Session, bank_id: int) -> Account:
    """Return the account of a bank's community pot."""
    return session.scalars(
        sa.select(Account)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id, Organisation.kind == "community_pot")
    ).one()
