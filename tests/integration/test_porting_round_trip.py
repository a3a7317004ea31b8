"""Exporting a bank and importing it into an empty one gives the same bank back."""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
import zipfile

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, member_joined, noon_on, record_help
from timebank.demo.seed import seed_demo_bank
from timebank.errors import TimeBankError
from timebank.ledger.models import Account
from timebank.ledger.resolutions import confirm_pending, reverse_transfer
from timebank.ledger.verify import verify_ledger
from timebank.members.models import Member, Organisation
from timebank.membership.banks import create_time_bank
from timebank.offers.models import Listing
from timebank.porting.export import export_bank
from timebank.porting.services import import_files
from timebank.reports.build import build_report

TODAY = dt.date(2026, 11, 30)
# Sections made from what the files carry; referrals, outreach and outcome answers are not
# part of them (the export's README says so).
CARRIED_SECTIONS = ("exchanges", "membership", "networks", "supply", "value")


def files_of(archive: bytes) -> list[tuple[str, bytes]]:
    """Return the CSV files inside an export zip, by their plain names."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return [
            (name.rsplit("/", 1)[-1], opened.read(name))
            for name in opened.namelist()
            if name.endswith(".csv")
        ]


def members_of(session, bank_id):
    """Return every member's details that the files carry, without the ids."""
    rows = session.execute(
        sa.select(
            Member.display_name, Member.mobile_e164, Member.email, Member.role, Member.status,
            Member.area, Member.joined_at, Member.left_at, Member.skills, Member.help_wanted,
            Member.availability,
        ).where(Member.bank_id == bank_id)
    )  # fmt: skip
    return sorted(tuple(_utc(value) for value in row) for row in rows)


def _utc(value):
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def listings_of(session, bank_id):
    """Return every listing with its member's name instead of ids."""
    rows = session.execute(
        sa.select(
            Member.display_name, Listing.kind, Listing.skill_category, Listing.title,
            Listing.description, Listing.availability, Listing.area, Listing.travel,
            Listing.needs_check, Listing.slots, Listing.status, Listing.created_at,
        ).join(Member, Member.id == Listing.member_id).where(Listing.bank_id == bank_id)
    )  # fmt: skip
    return sorted(tuple(_utc(value) for value in row) for row in rows)


def balances_of(session, bank_id):
    """Return each account's balance by its holder's name (organisations by kind and name)."""
    rows = session.execute(
        sa.select(
            Member.display_name, Organisation.kind, Organisation.name,
            Account.credits_posted - Account.debits_posted,
        )
        .select_from(Account)
        .outerjoin(Member, Member.id == Account.member_id)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id)
    )  # fmt: skip
    return {
        (member or kind if kind in ("community_pot", "bank") else member or name): balance
        for member, kind, name, balance in rows
    }


def figures_of(session, bank_id, start, end):
    """Return the report's figures for the carried sections, by section and figure."""
    report = build_report(session, bank_id, start, end, "broker")
    return {
        (section.key, figure.key): figure.value
        for section in report.sections
        if section.key in CARRIED_SECTIONS
        for figure in section.figures
    }


def test_the_demo_bank_comes_back_the_same_after_export_and_import(session):
    demo = seed_demo_bank(session, today=TODAY)
    archive = export_bank(session, demo.slug)
    copy = create_time_bank(session, "The copy", "the-copy")

    dry = import_files(session, "the-copy", files_of(archive))
    assert dry.ok, dry.problems
    assert session.scalar(sa.select(sa.func.count()).where(Member.bank_id == copy.id)) == 0
    done = import_files(session, "the-copy", files_of(archive), commit=True)

    assert done.committed and done.counts["opening balances"] == 0
    assert members_of(session, copy.id) == members_of(session, demo.id)
    assert listings_of(session, copy.id) == listings_of(session, demo.id)
    assert balances_of(session, copy.id) == balances_of(session, demo.id)
    for start, end in (
        (TODAY - dt.timedelta(days=200), TODAY),
        (dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
    ):
        assert figures_of(session, copy.id, start, end) == figures_of(session, demo.id, start, end)
    assert verify_ledger(session).ok
    again = import_files(session, "the-copy", files_of(archive), commit=True)
    assert sum(again.counts.values()) == 0 and again.already["exchange"] == done.counts["exchanges"]
    assert export_zip_rows(export_bank(session, "the-copy")) == export_zip_rows(archive)


def export_zip_rows(archive: bytes) -> dict[str, int]:
    """Count the rows of each file in an export."""
    return {name: data.count(b"\n") for name, data in files_of(archive)}


def random_bank(session, seed: int):
    """Make a bank with a random history through the ledger's own services."""
    rng = random.Random(seed)
    bank = TimeBankFactory()
    broker = MemberFactory(bank=bank, role="broker")
    people = [
        member_joined(bank, f"Person {seed}-{i}", dt.date(2026, 1, 1) + dt.timedelta(days=i))
        for i in range(rng.randint(3, 8))
    ]
    for _ in range(rng.randint(5, 25)):
        giver, receiver = rng.sample(people, 2)
        day = dt.date(2026, 3, 1) + dt.timedelta(days=rng.randint(0, 60))
        by = rng.choice((giver, receiver))
        try:
            transfer_id = record_help(session, giver, receiver, rng.choice((30, 45, 60, 90)), day,
                                      by=by)  # fmt: skip
        except TimeBankError:
            continue  # an overdraft limit refused it, as it would a member
        if by is giver and rng.random() < 0.7:
            confirm_pending(session, bank.id, transfer_id, uuid.uuid4(), receiver.id,
                            now=noon_on(day + dt.timedelta(days=1)))  # fmt: skip
        elif by is receiver and rng.random() < 0.1:
            reverse_transfer(session, bank.id, transfer_id, uuid.uuid4(), broker.id, "Logged twice",
                             now=noon_on(day + dt.timedelta(days=2)))  # fmt: skip
    return bank


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_ledgers_come_back_the_same(session, seed):
    original = random_bank(session, seed)
    archive = export_bank(session, original.slug)
    copy = create_time_bank(session, "The copy", f"copy-{seed}")

    done = import_files(session, copy.slug, files_of(archive), commit=True)

    assert done.committed, done.problems
    assert balances_of(session, copy.id) == balances_of(session, original.id)
    assert members_of(session, copy.id) == members_of(session, original.id)
    spring = (dt.date(2026, 3, 1), dt.date(2026, 5, 31))
    assert figures_of(session, copy.id, *spring) == figures_of(session, original.id, *spring)
    assert verify_ledger(session).ok
