"""Importing files into a time bank: a dry run first, then all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import NotFound
from timebank.ledger.models import Account
from timebank.members.acting import acting_member
from timebank.members.models import Member, Organisation
from timebank.porting import timeoverflow
from timebank.porting.checks import BankFacts, CheckedPlan, check_plan
from timebank.porting.errors import FileRefused
from timebank.porting.models import ImportedRow
from timebank.porting.plan import BANK, POT, ImportPlan
from timebank.porting.reading import Table, read_table
from timebank.porting.template import read_template, template_kind
from timebank.porting.writing import KnownAccounts, Progress, write_plan
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank

TEMPLATE_ORDER = ("members", "listings", "exchanges", "balances")


@dataclass
class ImportOutcome:
    """What an import would create (or created), line by line, and every problem."""

    lines: list[str]
    problems: list[str]
    counts: dict[str, int]
    already: dict[str, int]
    committed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def bank_by_slug(session: so.Session, slug: str) -> TimeBank:
    """Return the time bank with this short name, or say there is none."""
    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise NotFound(f"There is no time bank called {slug}.")
    return bank


def plan_from_files(files: Sequence[tuple[str, bytes]]) -> ImportPlan:
    """Read the files and return the plan they make, whatever their source."""
    tables = [read_table(name, data) for name, data in files]
    if not tables:
        raise FileRefused("Give at least one file to import.")
    kinds = [template_kind(table) for table in tables]
    if all(kind is not None for kind in kinds):
        return _template_plan(tables, cast(list[str], kinds))
    if all(kind is None for kind in kinds):
        return timeoverflow.plan_from_tables(tables)
    raise FileRefused("Import our own template's files or TimeOverflow's export, not both at once.")


def _template_plan(tables: list[Table], kinds: list[str]) -> ImportPlan:
    plan = ImportPlan(source="template")
    seen: dict[str, str] = {}
    for kind in TEMPLATE_ORDER:
        for table, table_kind in zip(tables, kinds, strict=True):
            if table_kind != kind:
                continue
            if kind in seen:
                raise FileRefused(f"{table.name} and {seen[kind]} are both {kind} files; "
                                  "give one of each kind.")  # fmt: skip
            seen[kind] = table.name
            read_template(plan, kind, table)
    return plan


@use_case
def import_files(
    session: so.Session,
    slug: str,
    files: Sequence[tuple[str, bytes]],
    commit: bool = False,
    progress: Progress = lambda _words: None,
) -> ImportOutcome:
    """Check the files against the bank and, with `commit` and no problems, write them all."""
    # Read the files before the first query: on SQLite a transaction takes the write lock.
    plan = plan_from_files(files)
    bank = bank_by_slug(session, slug)
    progress(f"Read {len(plan.members)} members, {len(plan.listings)} listings, "
             f"{len(plan.exchanges)} exchanges and {len(plan.balances)} balances.")  # fmt: skip
    known = _known_accounts(session, bank, plan.source)
    checked = check_plan(plan, _bank_facts(session, bank, plan.source, known))
    outcome = _outcome(checked)
    if commit and outcome.ok:
        write_plan(session, bank, checked, known, progress)
        session.commit()
        outcome.committed = True
    else:
        session.rollback()
    return outcome


def _outcome(checked: CheckedPlan) -> ImportOutcome:
    return ImportOutcome(
        lines=checked.lines,
        problems=checked.problems,
        counts={
            "members": len(checked.members),
            "listings": len(checked.listings),
            "exchanges": len(checked.exchanges),
            "opening balances": len(checked.openings),
        },
        already=dict(checked.already),
    )


def _known_accounts(session: so.Session, bank: TimeBank, source: str) -> KnownAccounts:
    """Return the accounts rows imported before from `source` became, and the bank's own."""
    members: dict[str, int] = {}
    accounts: dict[str, int] = {}
    imported = sa.select(ImportedRow.kind, ImportedRow.source_id, ImportedRow.target).where(
        ImportedRow.bank_id == bank.id,
        ImportedRow.source == source,
        ImportedRow.kind.in_(("member", "organisation")),
    )
    rows = session.execute(imported).all()
    by_member = _account_ids(session, bank, Account.member_id)
    by_org = _account_ids(session, bank, Account.organisation_id)
    for kind, source_id, target in rows:
        if kind == "member":
            members[source_id] = int(target)
            accounts[source_id] = by_member[int(target)]
        else:
            accounts[source_id] = by_org[int(target)]
    own = session.execute(
        sa.select(Organisation.kind, Account.id)
        .join(Account, Account.organisation_id == Organisation.id)
        .where(Organisation.bank_id == bank.id, Organisation.kind.in_(("community_pot", "bank")))
    )
    for kind, account_id in own:
        accounts[POT if kind == "community_pot" else BANK] = account_id
    exchanges = session.execute(
        sa.select(ImportedRow.source_id, ImportedRow.target).where(
            ImportedRow.bank_id == bank.id,
            ImportedRow.source == source,
            ImportedRow.kind == "exchange",
        )
    )
    known = {source_id: uuid.UUID(target) for source_id, target in exchanges}
    return KnownAccounts(members=members, accounts=accounts, exchanges=known)


def _account_ids(
    session: so.Session, bank: TimeBank, owner: so.InstrumentedAttribute[int | None]
) -> dict[int, int]:
    query = sa.select(owner, Account.id).where(Account.bank_id == bank.id, owner.is_not(None))
    return {row[0]: row[1] for row in session.execute(query)}


def _bank_facts(
    session: so.Session, bank: TimeBank, source: str, known: KnownAccounts
) -> BankFacts:
    contacts = session.execute(
        sa.select(Member.mobile_e164, Member.email).where(Member.bank_id == bank.id)
    ).all()
    imported = session.execute(
        sa.select(ImportedRow.kind, ImportedRow.source_id, ImportedRow.target).where(
            ImportedRow.bank_id == bank.id, ImportedRow.source == source
        )
    )
    balances: dict[int, int] = {
        account_id: balance
        for account_id, balance in session.execute(
            sa.select(Account.id, Account.credits_posted - Account.debits_posted).where(
                Account.bank_id == bank.id
            )
        )
    }
    names: dict[int, str] = {
        member_id: name
        for member_id, name in session.execute(
            sa.select(Member.id, Member.display_name).where(Member.bank_id == bank.id)
        )
    }
    return BankFacts(
        regions=bank.allowed_mobile_regions,
        mobiles={mobile for mobile, _ in contacts if mobile},
        emails={email for _, email in contacts if email},
        organisation_names=set(
            session.scalars(sa.select(Organisation.name).where(Organisation.bank_id == bank.id))
        ),  # fmt: skip
        imported={(kind, source_id): target for kind, source_id, target in imported},
        known_names={sid: names.get(member_id, sid) for sid, member_id in known.members.items()},
        known_balances={sid: balances[acc] for sid, acc in known.accounts.items()},
        pot_balance=balances[known.accounts[POT]],
        bank_balance=balances[known.accounts[BANK]],
    )


def _admin_bank(session: so.Session, bank_id: int, admin_id: int) -> TimeBank:
    acting_member(session, bank_id, admin_id, "admin", "import or export the whole time bank")
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise NotFound("There is no such time bank.")
    return bank


def import_by_admin(
    session: so.Session,
    bank_id: int,
    admin_id: int,
    files: Sequence[tuple[str, bytes]],
    commit: bool = False,
) -> ImportOutcome:
    """Import files into an admin's own bank, with a line in the audit trail when written."""
    slug = _admin_bank(session, bank_id, admin_id).slug
    outcome = import_files(session, slug, files, commit=commit)
    if outcome.committed:
        totals = ", ".join(f"{count} {kind}" for kind, count in outcome.counts.items())
        names = ", ".join(name for name, _ in files)
        record_action(session, bank_id, admin_id, "bank_imported", subject=f"bank:{bank_id}",
                      detail=f"{totals} from {names}"[:300])  # fmt: skip
        session.commit()
    return outcome


def bank_slug_for_admin(session: so.Session, bank_id: int, admin_id: int) -> str:
    """Return the short name of an admin's own bank, refusing anyone who is not its admin."""
    slug = _admin_bank(session, bank_id, admin_id).slug
    session.rollback()
    return slug
