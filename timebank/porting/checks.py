"""Checking a plan against itself and the bank: duplicates, references, mobiles, balances.

Nothing here writes. The outcome is what would be created, line by line, and every problem
in plain words; rows imported before from the same source are left out, so importing the
same files again creates nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from timebank.errors import InvalidInput
from timebank.phones import allowed_mobile
from timebank.porting.plan import (
    BANK,
    BANK_ACCOUNTS,
    POT,
    ImportPlan,
    PlannedExchange,
    PlannedListing,
    PlannedMember,
    Where,
)
from timebank.porting.values import hours_text


@dataclass(frozen=True)
class BankFacts:
    """What the checks need to know about the bank as it is now."""

    regions: tuple[str, ...]
    mobiles: set[str]
    emails: set[str]
    organisation_names: set[str]
    # (kind, source id) -> what it became here, for rows imported before from this source.
    imported: dict[tuple[str, str], str]
    # Names and balances (minutes) of the accounts imported before, by source id.
    known_names: dict[str, str]
    known_balances: dict[str, int]
    pot_balance: int
    bank_balance: int


@dataclass(frozen=True)
class Opening:
    """One opening-balance transfer: an account with no history keeps its balance."""

    where: Where
    account: str
    minutes: int
    day: dt.date


@dataclass
class CheckedPlan:
    """The rows to create (new ones only), what each would do in words, and the problems."""

    plan: ImportPlan
    members: list[PlannedMember] = field(default_factory=list)
    listings: list[PlannedListing] = field(default_factory=list)
    exchanges: list[PlannedExchange] = field(default_factory=list)
    openings: list[Opening] = field(default_factory=list)
    mobiles: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    already: Counter[str] = field(default_factory=Counter)

    @property
    def problems(self) -> list[str]:
        return self.plan.problems


ACCOUNT_WORDS = {POT: "the community pot", BANK: "the time bank's own account"}


def check_plan(plan: ImportPlan, facts: BankFacts) -> CheckedPlan:
    """Check every planned row and return what an import would create."""
    checked = CheckedPlan(plan=plan)
    names = dict(facts.known_names)
    names.update({m.source_id: m.name for m in plan.members})
    _check_members(checked, facts)
    _check_listings(checked, facts, names)
    _check_exchanges(checked, facts, names)
    _plan_openings(checked, facts, names)
    return checked


def _new_rows(checked: CheckedPlan, facts: BankFacts, kind: str, rows: Iterable[_Row]) -> list[Any]:
    """Return the rows not imported before, noting duplicated ids."""
    seen: dict[str, Where] = {}
    fresh = []
    for row in rows:
        if row.source_id in seen:
            checked.plan.problem(
                row.where, f"the id {row.source_id} is also on row {seen[row.source_id].row}"
            )
            continue
        seen[row.source_id] = row.where
        if (kind, row.source_id) in facts.imported:
            checked.already[kind] += 1
            continue
        fresh.append(row)
    return fresh


_Row = PlannedMember | PlannedListing | PlannedExchange


def _check_members(checked: CheckedPlan, facts: BankFacts) -> None:
    people = [m for m in checked.plan.members if m.kind == "member"]
    groups = [m for m in checked.plan.members if m.kind != "member"]
    new = _new_rows(checked, facts, "member", people)
    new += _new_rows(checked, facts, "organisation", groups)
    mobiles: dict[str, Where] = {}
    emails: dict[str, Where] = {}
    org_names = set(facts.organisation_names)
    for member in new:
        if member.source_id.lower() in BANK_ACCOUNTS:
            checked.plan.problem(
                member.where, f"{member.source_id} names one of the bank's own accounts; "
                "give the member another id")  # fmt: skip
            continue
        if member.kind != "member":
            if member.name in org_names:
                checked.plan.problem(
                    member.where, f"there is already an organisation called {member.name}"
                )
            org_names.add(member.name)
        elif not _member_contacts_fit(checked, facts, member, mobiles, emails):
            continue
        checked.members.append(member)
        checked.lines.append(f"{member.where}: add {_describe_member(member)}")


def _member_contacts_fit(
    checked: CheckedPlan,
    facts: BankFacts,
    member: PlannedMember,
    mobiles: dict[str, Where],
    emails: dict[str, Where],
) -> bool:
    if member.mobile:
        try:
            e164 = allowed_mobile(member.mobile, facts.regions)
        except InvalidInput as exc:
            checked.plan.problem(member.where, exc.message)
            return False
        if e164 in facts.mobiles:
            checked.plan.problem(member.where, f"someone in this time bank already has the "
                                 f"mobile number {member.mobile}")  # fmt: skip
        elif e164 in mobiles:
            checked.plan.problem(
                member.where, f"the mobile number {member.mobile} is also on row "
                f"{mobiles[e164].row}")  # fmt: skip
        mobiles[e164] = member.where
        checked.mobiles[member.source_id] = e164
    if member.email:
        if member.email in facts.emails:
            checked.plan.problem(member.where, f"someone in this time bank already has the "
                                 f"email address {member.email}")  # fmt: skip
        elif member.email in emails:
            checked.plan.problem(
                member.where, f"the email address {member.email} is also on row "
                f"{emails[member.email].row}")  # fmt: skip
        emails[member.email] = member.where
    return True


def _describe_member(member: PlannedMember) -> str:
    if member.kind != "member":
        return f"organisation {member.name} ({member.kind.replace('_', ' ')})"
    joined = f", joined {member.joined_at.date()}" if member.joined_at else ""
    role = "" if member.role == "member" else f" ({member.role})"
    status = "" if member.status == "active" else f", {member.status}"
    return f"member {member.name}{role}{joined}{status}"


def _person_ids(checked: CheckedPlan, facts: BankFacts) -> set[str]:
    ids = {m.source_id for m in checked.plan.members if m.kind == "member"}
    return ids | {sid for kind, sid in facts.imported if kind == "member"}


def _account_ids(checked: CheckedPlan, facts: BankFacts) -> set[str]:
    ids = {m.source_id for m in checked.plan.members}
    known = {sid for kind, sid in facts.imported if kind in ("member", "organisation")}
    return ids | known | set(BANK_ACCOUNTS)


def _check_listings(checked: CheckedPlan, facts: BankFacts, names: dict[str, str]) -> None:
    people = _person_ids(checked, facts)
    for listing in _new_rows(checked, facts, "listing", checked.plan.listings):
        if listing.member not in people:
            checked.plan.problem(listing.where, _missing(listing.member, "member"))
            continue
        checked.listings.append(listing)
        checked.lines.append(
            f"{listing.where}: add {listing.kind} \u201c{listing.title}\u201d for "
            f"{names[listing.member]}"
            + ("" if listing.status == "open" else f" ({listing.status})")
        )


def _missing(source_id: str, what: str) -> str:
    return f"{what} {source_id} is not in the members file (nor imported before)"


def _check_exchanges(checked: CheckedPlan, facts: BankFacts, names: dict[str, str]) -> None:
    accounts = _account_ids(checked, facts)
    exchange_ids = {e.source_id for e in checked.plan.exchanges}
    exchange_ids |= {sid for kind, sid in facts.imported if kind == "exchange"}
    for exchange in _new_rows(checked, facts, "exchange", checked.plan.exchanges):
        words = _exchange_problem(exchange, accounts, exchange_ids)
        if words:
            checked.plan.problem(exchange.where, words)
            continue
        checked.exchanges.append(exchange)
        checked.lines.append(f"{exchange.where}: {_describe_exchange(exchange, names)}")


def _describe_exchange(exchange: PlannedExchange, names: dict[str, str]) -> str:
    giver, receiver = _name(names, exchange.giver), _name(names, exchange.receiver)
    hours = hours_text(exchange.minutes)
    if exchange.code in ("exchange", "group"):
        return f"{exchange.day}, {giver} gave {receiver} {hours} ({exchange.code})"
    return f"{exchange.day}, {hours} from {receiver} to {giver} ({exchange.code})"


def _exchange_problem(exchange: PlannedExchange, accounts: set[str], ids: set[str]) -> str:
    for side, ref in (("giver", exchange.giver), ("receiver", exchange.receiver)):
        if ref not in accounts:
            return _missing(ref, side)
    if exchange.giver == exchange.receiver:
        return "the giver and the receiver are the same"
    if exchange.minutes <= 0:
        return "the hours must be more than nothing"
    if (exchange.code == "reversal") != (exchange.reverses is not None):
        return "a reversal names the exchange it reverses (and only a reversal does)"
    if exchange.reverses is not None and exchange.reverses not in ids:
        return f"it reverses exchange {exchange.reverses}, which is not in exchanges.csv"
    return ""


def _name(names: dict[str, str], ref: str) -> str:
    return ACCOUNT_WORDS.get(ref) or names.get(ref, ref)


def history_balances(exchanges: Iterable[PlannedExchange]) -> Counter[str]:
    """Return each account's balance from these exchanges: credits (given) minus debits."""
    balance: Counter[str] = Counter()
    for exchange in exchanges:
        balance[exchange.giver] += exchange.minutes
        balance[exchange.receiver] -= exchange.minutes
    return balance


def _plan_openings(checked: CheckedPlan, facts: BankFacts, names: dict[str, str]) -> None:
    history = history_balances(checked.exchanges)
    first_day = _first_days(checked.exchanges)
    joined = {m.source_id: m.joined_at.date() for m in checked.plan.members if m.joined_at}
    accounts = _account_ids(checked, facts)
    own: list[tuple[Where, str, int]] = []
    seen: dict[str, Where] = {}
    for row in checked.plan.balances:
        if row.account in seen:
            checked.plan.problem(row.where, f"{row.account} is also on row {seen[row.account].row}")
            continue
        seen[row.account] = row.where
        if row.account not in accounts:
            checked.plan.problem(row.where, _missing(row.account, "account"))
        elif row.account in BANK_ACCOUNTS:
            own.append((row.where, row.account, row.minutes))
        elif ("balance", row.account) in facts.imported:
            checked.already["balance"] += 1
        else:
            now = facts.known_balances.get(row.account, 0) + history[row.account]
            if row.minutes != now:
                day = min(d for d in (joined.get(row.account), first_day.get(row.account),
                                      dt.date.today()) if d)  # fmt: skip
                opening = Opening(row.where, row.account, row.minutes - now, day)
                checked.openings.append(opening)
                checked.lines.append(
                    f"{row.where}: opening balance for {_name(names, row.account)}: "
                    f"{hours_text(opening.minutes)} against the community pot, dated {day}"
                )
    _check_own_accounts(checked, facts, history, own)


def _first_days(exchanges: Iterable[PlannedExchange]) -> dict[str, dt.date]:
    first: dict[str, dt.date] = {}
    for exchange in exchanges:
        for ref in (exchange.giver, exchange.receiver):
            if ref not in first or exchange.day < first[ref]:
                first[ref] = exchange.day
    return first


def _check_own_accounts(
    checked: CheckedPlan,
    facts: BankFacts,
    history: Counter[str],
    rows: list[tuple[Where, str, int]],
) -> None:
    """Check the pot's and the bank's balances in the file against what the import makes."""
    opened = sum(opening.minutes for opening in checked.openings)
    final = {
        POT: facts.pot_balance + history[POT] - opened,
        BANK: facts.bank_balance + history[BANK],
    }
    for where, ref, minutes in rows:
        if minutes != final[ref]:
            checked.plan.problem(
                where,
                f"{ACCOUNT_WORDS[ref]} would have {hours_text(final[ref])} after the import, "
                f"not the {hours_text(minutes)} in the file",
            )
