"""Our own template: members.csv, listings.csv, exchanges.csv and balances.csv.

docs/import.md describes every column; the examples in `examples/` are served from the
admin's upload page. `export.py` writes the same columns, so what goes out comes back in.
"""

from __future__ import annotations

from collections.abc import Callable

from timebank.members.models import MEMBER_STATUSES, ROLES
from timebank.offers.models import LISTING_KINDS, LISTING_STATUSES, TRAVEL_CHOICES
from timebank.porting import values as v
from timebank.porting.plan import (
    ImportPlan,
    PlannedBalance,
    PlannedExchange,
    PlannedListing,
    PlannedMember,
    Where,
)
from timebank.porting.reading import Table

MEMBER_KINDS = ("member", "gp_practice", "community_group")
EXCHANGE_KINDS = ("exchange", "group", "donation", "grant", "reversal", "adjustment")
COLUMNS = {
    "members": (
        "id", "name", "kind", "mobile", "email", "role", "status", "area", "joined_at",
        "left_at", "skills", "help_wanted", "availability",
    ),
    "listings": (
        "id", "member", "kind", "category", "title", "description", "availability", "area",
        "travel", "needs_check", "times", "status", "created_at",
    ),
    "exchanges": (
        "id", "date", "giver", "receiver", "hours", "kind", "group", "description",
        "category", "reverses", "reason", "recorded_at",
    ),
    "balances": ("account", "hours"),
}  # fmt: skip
# The columns a file must have; the others may be left out.
REQUIRED = {
    "exchanges": ("id", "date", "giver", "receiver", "hours"),
    "listings": ("id", "member", "kind", "title"),
    "balances": ("account", "hours"),
    "members": ("id", "name"),
}

Cells = dict[str, str]


def column_name(header: str) -> str:
    """Return a header cell as the template's column name: lower case, underscores."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def template_kind(table: Table) -> str | None:
    """Return which template file a table is (by its columns), or None."""
    names = {column_name(cell) for cell in table.header}
    for kind, required in REQUIRED.items():
        if set(required) <= names:
            return kind
    return None


def read_template(plan: ImportPlan, kind: str, table: Table) -> None:
    """Add a template file's rows to the plan, noting each row's problems."""
    names = [column_name(cell) for cell in table.header]
    reader = READERS[kind]
    for number, raw in table.rows:
        cells = {name: raw[i] if i < len(raw) else "" for i, name in enumerate(names)}
        where = Where(table.name, number)
        try:
            reader(plan, where, cells)
        except v.BadValue as exc:
            plan.problem(where, exc.message)


def _member(plan: ImportPlan, where: Where, c: Cells) -> None:
    left = c.get("left_at", "")
    joined = c.get("joined_at", "")
    plan.members.append(
        PlannedMember(
            where=where,
            source_id=v.parse_text(c["id"], 64, "id", required=True),
            name=v.parse_text(c["name"], 80, "name", required=True),
            kind=v.parse_choice(c.get("kind", ""), MEMBER_KINDS, "kind of account", "member"),
            mobile=c.get("mobile", "").strip() or None,
            email=v.parse_text(c.get("email", ""), 254, "email").lower() or None,
            role=v.parse_choice(c.get("role", ""), ROLES, "role", "member"),
            status=v.parse_choice(c.get("status", ""), MEMBER_STATUSES, "status", "active"),
            area=v.parse_text(c.get("area", ""), 80, "area") or None,
            joined_at=v.parse_moment(joined) if joined.strip() else None,
            left_at=v.parse_moment(left) if left.strip() else None,
            skills=v.parse_text(c.get("skills", ""), 300, "skills"),
            help_wanted=v.parse_text(c.get("help_wanted", ""), 300, "help wanted"),
            availability=v.parse_text(c.get("availability", ""), 200, "availability"),
        )
    )


def _listing(plan: ImportPlan, where: Where, c: Cells) -> None:
    created = c.get("created_at", "")
    times = c.get("times", "").strip() or "0"
    if not times.isdigit():
        raise v.BadValue(f"{times} is not a number of times of the week (as exported)")
    plan.listings.append(
        PlannedListing(
            where=where,
            source_id=v.parse_text(c["id"], 64, "id", required=True),
            member=v.parse_text(c["member"], 64, "member", required=True),
            kind=v.parse_choice(c["kind"], LISTING_KINDS, "kind of listing", ""),
            category=v.parse_text(c.get("category", ""), 60, "category") or "Other",
            title=v.parse_text(c["title"], 120, "title", required=True),
            description=v.parse_text(c.get("description", ""), 1000, "description"),
            availability=v.parse_text(c.get("availability", ""), 200, "availability"),
            area=v.parse_text(c.get("area", ""), 80, "area"),
            travel=v.parse_choice(c.get("travel", ""), TRAVEL_CHOICES, "travel choice", "nearby"),
            needs_check=v.parse_yes_no(c.get("needs_check", ""), "needs a check"),
            slots=int(times),
            status=v.parse_choice(c.get("status", ""), LISTING_STATUSES, "status", "open"),
            created_at=v.parse_moment(created) if created.strip() else None,
        )
    )
    if not plan.listings[-1].kind:
        raise v.BadValue("the kind of listing is missing; use offer or request")


def _exchange(plan: ImportPlan, where: Where, c: Cells) -> None:
    recorded = c.get("recorded_at", "")
    plan.exchanges.append(
        PlannedExchange(
            where=where,
            source_id=v.parse_text(c["id"], 64, "id", required=True),
            day=v.parse_day(c["date"]),
            giver=v.parse_text(c["giver"], 64, "giver", required=True),
            receiver=v.parse_text(c["receiver"], 64, "receiver", required=True),
            minutes=v.parse_minutes(c["hours"]),
            code=v.parse_choice(c.get("kind", ""), EXCHANGE_KINDS, "kind of exchange", "exchange"),
            group=c.get("group", "").strip() or None,
            description=v.parse_text(c.get("description", ""), 500, "description"),
            category=v.parse_text(c.get("category", ""), 60, "category") or None,
            reverses=c.get("reverses", "").strip() or None,
            reason=v.parse_text(c.get("reason", ""), 500, "reason") or None,
            recorded_at=v.parse_moment(recorded) if recorded.strip() else None,
        )
    )


def _balance(plan: ImportPlan, where: Where, c: Cells) -> None:
    plan.balances.append(
        PlannedBalance(
            where=where,
            account=v.parse_text(c["account"], 64, "account", required=True),
            minutes=v.parse_minutes(c["hours"], allow_negative=True),
        )
    )


READERS: dict[str, Callable[[ImportPlan, Where, Cells], None]] = {
    "members": _member,
    "listings": _listing,
    "exchanges": _exchange,
    "balances": _balance,
}
