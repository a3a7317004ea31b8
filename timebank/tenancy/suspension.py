"""A suspended time bank: the one error every way in gives, in the same plain words."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.errors import TimeBankError
from timebank.tenancy.models import TimeBank


class BankSuspended(TimeBankError):
    code = "bank_suspended"
    status = 403


def suspended_words(bank_name: str) -> str:
    """Return what a member of a suspended bank is told, on the web, the API or by text."""
    return (
        f"{bank_name} is suspended for now, so nobody can sign in, log hours or text it."
        " Please contact the people who run your time bank."
    )


def refuse_if_suspended(session: so.Session, bank_id: int) -> None:
    """Raise BankSuspended when the time bank is suspended."""
    row = session.execute(
        sa.select(TimeBank.name, TimeBank.suspended_at).where(TimeBank.id == bank_id)
    ).first()
    if row is not None and row.suspended_at is not None:
        raise BankSuspended(suspended_words(row.name))
