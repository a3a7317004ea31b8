"""Exchanges as they were recorded, with both sides named, for the pages that confirm them.

Read-only, like `timebank.ledger.queries`: an original transfer (posted at once, or
pending) between two member accounts of one bank, with the giver and receiver by name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member

_original = Transfer.__table__.alias("original")


@dataclass(frozen=True)
class RecordedExchange:
    """One exchange with both sides named, for the page that confirms it was recorded."""

    id: uuid.UUID
    giver_id: int | None
    giver_name: str
    receiver_id: int | None
    receiver_name: str
    minutes: int
    phase: str
    skill_category: str | None
    recorded_by_id: int | None
    group_id: uuid.UUID | None

    def involves(self, member_id: int) -> bool:
        """Say whether this member gave, received or recorded the exchange."""
        return member_id in (self.giver_id, self.receiver_id, self.recorded_by_id)


_giver_account = Account.__table__.alias("giver_account")
_receiver_account = Account.__table__.alias("receiver_account")
_giver = Member.__table__.alias("giver")
_receiver = Member.__table__.alias("receiver")


def _recorded_query(bank_id: int) -> sa.Select[Any]:
    return (
        sa.select(
            _original.c.id,
            _giver.c.id.label("giver_id"),
            _giver.c.display_name.label("giver_name"),
            _receiver.c.id.label("receiver_id"),
            _receiver.c.display_name.label("receiver_name"),
            _original.c.amount,
            _original.c.phase,
            _original.c.skill_category,
            _original.c.recorded_by_id,
            _original.c.group_id,
        )
        .select_from(_original)
        .join(_giver_account, _giver_account.c.id == _original.c.credit_account_id)
        .join(_receiver_account, _receiver_account.c.id == _original.c.debit_account_id)
        .join(_giver, _giver.c.id == _giver_account.c.member_id)
        .join(_receiver, _receiver.c.id == _receiver_account.c.member_id)
        .where(_original.c.bank_id == bank_id, _original.c.phase.in_(("posted", "pending")))
        .order_by(_giver.c.display_name, _receiver.c.display_name)
    )


def _recorded(row: sa.Row[Any]) -> RecordedExchange:
    return RecordedExchange(
        id=row.id,
        giver_id=row.giver_id,
        giver_name=row.giver_name,
        receiver_id=row.receiver_id,
        receiver_name=row.receiver_name,
        minutes=row.amount,
        phase=row.phase,
        skill_category=row.skill_category,
        recorded_by_id=row.recorded_by_id,
        group_id=row.group_id,
    )


def recorded_exchange(
    session: so.Session, bank_id: int, transfer_id: uuid.UUID
) -> RecordedExchange | None:
    """Return one exchange between two members of this bank, or None."""
    row = session.execute(_recorded_query(bank_id).where(_original.c.id == transfer_id)).first()
    return _recorded(row) if row is not None else None


def recorded_group(
    session: so.Session, bank_id: int, group_id: uuid.UUID
) -> list[RecordedExchange]:
    """Return the exchanges of one group exchange in this bank."""
    query = _recorded_query(bank_id).where(_original.c.group_id == group_id)
    return [_recorded(row) for row in session.execute(query)]
