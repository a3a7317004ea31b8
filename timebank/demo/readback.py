"""Read the demo bank back: what it holds, and whom a visitor can sign in as."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.demo.story import DEMO_PASSWORD, MEMBERS
from timebank.errors import InvalidInput
from timebank.ledger.models import Transfer
from timebank.members.models import Member, Organisation
from timebank.phones import format_national
from timebank.tenancy.models import TimeBank


@dataclass(frozen=True)
class SignIn:
    """A demo account someone can sign in with."""

    name: str
    mobile: str
    role: str
    password: str = DEMO_PASSWORD


@dataclass(frozen=True)
class DemoSummary:
    """What a time bank holds, in the numbers a newcomer looks for."""

    name: str
    slug: str
    members_by_status: dict[str, int]
    gp_practices: list[str]
    exchanges: int  # one-to-one exchanges plus group exchanges, each counted once
    group_exchanges: int
    waiting: int  # transfers still waiting for confirmation
    transfers: int

    @property
    def members(self) -> int:
        return sum(self.members_by_status.values())


def find_bank(session: so.Session, slug: str) -> TimeBank | None:
    """Return the time bank with this short name, if there is one."""
    return session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))


def summarise_bank(session: so.Session, bank_id: int) -> DemoSummary:
    """Count a bank's members, exchanges and waiting transfers."""
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise InvalidInput("There is no such time bank.")
    by_status = dict(
        session.execute(
            sa.select(Member.status, sa.func.count())
            .where(Member.bank_id == bank_id)
            .group_by(Member.status)
        )
        .tuples()
        .all()
    )
    practices = session.scalars(
        sa.select(Organisation.name)
        .where(Organisation.bank_id == bank_id, Organisation.kind == "gp_practice")
        .order_by(Organisation.id)
    ).all()
    in_bank = Transfer.bank_id == bank_id
    count = sa.select(sa.func.count()).select_from(Transfer)
    resolved = sa.select(Transfer.pending_id).where(Transfer.pending_id.is_not(None))
    one_to_one = count.where(
        in_bank, Transfer.code == "exchange", Transfer.phase.in_(("posted", "pending"))
    )
    groups = sa.select(sa.func.count(sa.distinct(Transfer.group_id))).where(
        in_bank, Transfer.code == "group"
    )
    waiting = count.where(in_bank, Transfer.phase == "pending", Transfer.id.not_in(resolved))
    group_count = session.scalar(groups) or 0
    summary = DemoSummary(
        name=bank.name,
        slug=bank.slug,
        members_by_status=by_status,
        gp_practices=list(practices),
        exchanges=(session.scalar(one_to_one) or 0) + group_count,
        group_exchanges=group_count,
        waiting=session.scalar(waiting) or 0,
        transfers=session.scalar(count.where(in_bank)) or 0,
    )
    session.rollback()
    return summary


def demo_sign_ins(session: so.Session, bank_id: int) -> list[SignIn]:
    """Return the demo members who were given the demo password, staff first."""
    names = [seed.name for seed in MEMBERS if seed.sign_in]
    members = session.scalars(
        sa.select(Member).where(
            Member.bank_id == bank_id,
            Member.display_name.in_(names),
            Member.password_hash.is_not(None),
        )
    ).all()
    session.rollback()
    members = sorted(members, key=lambda m: names.index(m.display_name))
    return [SignIn(m.display_name, national_format(m.mobile_e164), m.role) for m in members]


def national_format(e164: str | None) -> str:
    """Return a stored E.164 number the way it is written in the UK: 07123 456789."""
    return format_national(e164) if e164 else "-"
