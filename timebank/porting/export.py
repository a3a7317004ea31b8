"""Exporting a whole time bank as a zip of the template's CSV files and a README.

The files are the ones `flask bank import` reads, so what goes out comes back in: members
(with organisations such as a GP practice), their offers and requests, every exchange that
moved hours (with its own date, group, category and reason, and any reversal), and every
account's balance. Exchanges still waiting for confirmation are left out: they have moved
no hours yet, and the README says so.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zipfile
from collections.abc import Iterator
from importlib import resources
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.csvfile import Cell, csv_text
from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member, Organisation
from timebank.offers.models import Listing
from timebank.porting.plan import BANK, POT
from timebank.porting.services import bank_by_slug
from timebank.porting.template import COLUMNS
from timebank.porting.values import hours_text
from timebank.tenancy.models import TimeBank

MOVED = ("posted", "post_pending")


def export_bank(session: so.Session, slug: str) -> bytes:
    """Return the whole bank as a zip of members, listings, exchanges and balances."""
    bank = bank_by_slug(session, slug)
    refs = _account_refs(session, bank.id)
    files = {
        "members.csv": _table("members", _members(session, bank.id)),
        "listings.csv": _table("listings", _listings(session, bank.id)),
        "exchanges.csv": _table("exchanges", _exchanges(session, bank.id, refs)),
        "balances.csv": _table("balances", _balances(session, bank.id, refs)),
        "README.txt": _readme(bank),
    }
    session.rollback()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{bank.slug}/{name}", text)
    return out.getvalue()


def _table(kind: str, rows: Iterator[list[Cell]]) -> str:
    return csv_text([list(COLUMNS[kind]), *rows])


def _moment(stamp: dt.datetime | None) -> str | None:
    if stamp is None:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).isoformat()


def _organisation_ref(organisation_id: int) -> str:
    return f"org-{organisation_id}"


def _account_refs(session: so.Session, bank_id: int) -> dict[int, str]:
    """Map each account to what the files call it: a member's id, org-N, pot or bank."""
    rows = session.execute(
        sa.select(Account.id, Account.member_id, Organisation.id, Organisation.kind)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id)
    )
    refs = {}
    for account_id, member_id, org_id, kind in rows:
        if member_id is not None:
            refs[account_id] = str(member_id)
        else:
            refs[account_id] = {"community_pot": POT, "bank": BANK}.get(kind) or _organisation_ref(
                org_id
            )
    return refs


def _members(session: so.Session, bank_id: int) -> Iterator[list[Cell]]:
    for m in session.scalars(
        sa.select(Member).where(Member.bank_id == bank_id).order_by(Member.id)
    ):
        yield [
            str(m.id), m.display_name, "member", m.mobile_e164, m.email, m.role, m.status, m.area,
            _moment(m.joined_at), _moment(m.left_at), m.skills, m.help_wanted, m.availability,
        ]  # fmt: skip
    organisations = sa.select(Organisation).where(
        Organisation.bank_id == bank_id, Organisation.kind.not_in(("community_pot", "bank"))
    )
    for o in session.scalars(organisations.order_by(Organisation.id)):
        yield [_organisation_ref(o.id), o.name, o.kind, None, None, None, None, None,
               _moment(o.created_at), None, None, None, None]  # fmt: skip


def _listings(session: so.Session, bank_id: int) -> Iterator[list[Cell]]:
    query = sa.select(Listing).where(Listing.bank_id == bank_id).order_by(Listing.id)
    for x in session.scalars(query):
        yield [
            str(x.id), str(x.member_id), x.kind, x.skill_category, x.title, x.description,
            x.availability, x.area, x.travel, "yes" if x.needs_check else "no", x.slots,
            x.status, _moment(x.created_at),
        ]  # fmt: skip


def _exchanges(session: so.Session, bank_id: int, refs: dict[int, str]) -> Iterator[list[Cell]]:
    t = Transfer.__table__
    moved = (
        sa.select(t)
        .where(t.c.bank_id == bank_id, t.c.phase.in_(MOVED))
        .order_by(t.c.happened_on, t.c.recorded_at, t.c.id)
    )
    rows = list(session.execute(moved).mappings())
    # A reversal may name the pending exchange that a later confirmation posted.
    posted_as = {row["pending_id"]: row["id"] for row in rows if row["pending_id"] is not None}
    for row in rows:
        yield _exchange_cells(row, refs, posted_as)


def _exchange_cells(
    row: Any, refs: dict[int, str], posted_as: dict[uuid.UUID, uuid.UUID]
) -> list[Cell]:
    reverses = row["reverses_id"]
    if reverses is not None:
        reverses = posted_as.get(reverses, reverses)
    return [
        str(row["id"]), row["happened_on"].isoformat(), refs[row["credit_account_id"]],
        refs[row["debit_account_id"]], hours_text(row["amount"]), row["code"],
        str(row["group_id"]) if row["group_id"] else None, row["description"],
        row["skill_category"], str(reverses) if reverses else None, row["reason"],
        _moment(row["recorded_at"]),
    ]  # fmt: skip


def _balances(session: so.Session, bank_id: int, refs: dict[int, str]) -> Iterator[list[Cell]]:
    query = (
        sa.select(Account.id, Account.credits_posted - Account.debits_posted)
        .where(Account.bank_id == bank_id)
        .order_by(Account.id)
    )
    for account_id, balance in session.execute(query):
        yield [refs[account_id], hours_text(balance)]


def _readme(bank: TimeBank) -> str:
    text = resources.files("timebank.porting").joinpath("examples/README.txt").read_text("utf-8")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return f"{bank.name} ({bank.slug}), exported {stamp}\r\n\r\n" + text
