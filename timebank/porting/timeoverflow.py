"""TimeOverflow's CSV exports, as TimeOverflow writes them, read by the position of columns.

TimeOverflow names the columns in its user's language, so files are told apart by their
layout: 16 columns for members, 10 for posts, 9 for transfers, in the order below. A
transfer's `from` is the account that paid (who received help); `0` is the organisation's
own account (here, the time bank's own account); `inactive_user` and `deleted_user` are
people who are gone, who become members who have left.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from timebank.porting import values as v
from timebank.porting.errors import FileRefused
from timebank.porting.plan import (
    BANK,
    ImportPlan,
    PlannedExchange,
    PlannedListing,
    PlannedMember,
    Where,
)
from timebank.porting.reading import Table

MEMBER_COLUMNS = (
    "N", "Username", "Email", "Date of birth", "Phone", "Alt. phone", "Address", "Created at",
    "Updated at", "Gender", "Description", "Terms accepted at", "Current sign in at",
    "Last sign in at", "Locale", "Notifications",
)  # fmt: skip
POST_COLUMNS = (
    "Id", "Title", "Description", "Category", "Type", "User", "N", "Created at", "Updated at",
    "Tags",
)  # fmt: skip
TRANSFER_COLUMNS = (
    "date", "from", "from ID", "to", "to ID", "post", "post ID", "reason", "quantity",
)  # fmt: skip
LAYOUTS = {len(MEMBER_COLUMNS): "members", len(POST_COLUMNS): "posts",
           len(TRANSFER_COLUMNS): "transfers"}  # fmt: skip
# The words TimeOverflow uses for a post's type, in the languages it is used in.
OFFER_WORDS = ("offer", "oferta", "offre", "angebot", "oferta", "eskaintza", "offerta")
REQUEST_WORDS = ("inquiry", "demanda", "demande", "anfrage", "eskaera", "richiesta", "request")
GONE = ("inactive_user", "deleted_user")
ORGANISATION_ID = "0"


def layout_of(table: Table) -> str:
    """Return which TimeOverflow export a table is, by its number of columns."""
    kind = LAYOUTS.get(len(table.header))
    if kind is None:
        raise FileRefused(
            f"{table.name} is neither one of our template's files (members.csv, listings.csv, "
            "exchanges.csv, balances.csv: see docs/import.md for their columns) nor a "
            f"TimeOverflow export (16, 10 or 9 columns); its first line has "
            f"{len(table.header)} columns."
        )
    return kind


def plan_from_tables(tables: list[Table]) -> ImportPlan:
    """Read TimeOverflow's members, posts and transfers into one plan."""
    plan = ImportPlan(source="timeoverflow")
    by_layout: dict[str, Table] = {}
    for table in tables:
        kind = layout_of(table)
        if kind in by_layout:
            raise FileRefused(f"{table.name} and {by_layout[kind].name} are both TimeOverflow "
                              f"{kind} exports; give one of each.")  # fmt: skip
        by_layout[kind] = table
    for kind, reader in (("members", _members), ("posts", _posts), ("transfers", _transfers)):
        if kind in by_layout:
            reader(plan, by_layout[kind])
    return plan


def _rows(plan: ImportPlan, table: Table) -> list[tuple[Where, list[str]]]:
    width = len(table.header)
    return [(Where(table.name, number), (cells + [""] * width)[:width])
            for number, cells in table.rows]  # fmt: skip


def _members(plan: ImportPlan, table: Table) -> None:
    for where, c in _rows(plan, table):
        try:
            joined = c[7].strip()
            plan.members.append(
                PlannedMember(
                    where=where,
                    source_id=v.parse_text(c[0], 64, "member number", required=True),
                    name=v.parse_text(c[1], 80, "user name", required=True),
                    email=v.parse_text(c[2], 254, "email").lower() or None,
                    mobile=c[4].strip() or c[5].strip() or None,
                    joined_at=v.parse_moment(joined) if joined else None,
                )
            )
        except v.BadValue as exc:
            plan.problem(where, exc.message)


def _posts(plan: ImportPlan, table: Table) -> None:
    for where, c in _rows(plan, table):
        try:
            created = c[7].strip()
            plan.listings.append(
                PlannedListing(
                    where=where,
                    source_id=v.parse_text(c[0], 64, "post id", required=True),
                    member=v.parse_text(c[6], 64, "member number", required=True),
                    kind=_post_kind(c[4]),
                    category=v.parse_text(c[3], 60, "category") or "Other",
                    title=v.parse_text(c[1], 120, "title", required=True),
                    description=v.parse_text(c[2], 1000, "description"),
                    created_at=v.parse_moment(created) if created else None,
                )
            )
        except v.BadValue as exc:
            plan.problem(where, exc.message)


def _post_kind(text: str) -> str:
    word = text.strip().lower()
    if any(word.startswith(offer) for offer in OFFER_WORDS):
        return "offer"
    if any(word.startswith(request) for request in REQUEST_WORDS):
        return "request"
    raise v.BadValue(f"{text.strip() or 'an empty cell'} is not a type of post we know "
                     "(an offer or an inquiry)")  # fmt: skip


def _transfers(plan: ImportPlan, table: Table) -> None:
    members = {m.source_id for m in plan.members}
    seen: Counter[str] = Counter()
    for where, c in _rows(plan, table):
        try:
            payer = _account(plan, members, where, c[1], c[2])
            payee = _account(plan, members, where, c[3], c[4])
            key = "|".join(cell.strip() for cell in (c[0], c[2], c[4], c[6], c[7], c[8]))
            seen[key] += 1
            plan.exchanges.append(
                PlannedExchange(
                    where=where,
                    source_id=hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()[:32],
                    day=v.parse_day(c[0]),
                    giver=payee,
                    receiver=payer,
                    minutes=v.parse_minutes(c[8]),
                    description=v.parse_text(c[7] or c[5], 500, "reason"),
                )
            )
        except v.BadValue as exc:
            plan.problem(where, exc.message)


def _account(plan: ImportPlan, members: set[str], where: Where, name: str, number: str) -> str:
    """Return the source id of a transfer's side; people who are gone become left members."""
    number, name = number.strip(), name.strip()
    if number == ORGANISATION_ID:
        return BANK
    if number in members:
        return number
    if name.lower() in GONE or not number:
        ref = f"gone:{number or name.lower()}"
        if ref not in members:
            members.add(ref)
            words = "Former member" + (f" {number}" if number else "")
            plan.members.append(
                PlannedMember(where=where, source_id=ref, name=words, status="left")
            )
        return ref
    return number
