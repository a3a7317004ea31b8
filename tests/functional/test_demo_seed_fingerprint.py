"""The demo bank's exact contents: the same bank, row for row, whoever rearranges the seed's code.

The figures and the fingerprint below were taken from the seed as it stood before its data
moved apart from its code. A change that alters the demo on purpose updates them; any other
change must leave them as they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from tests.conftest import ENGINE
from timebank.demo.seed import seed_demo_bank
from timebank.extensions import db
from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member
from timebank.offers.models import Listing
from timebank.referrals.models import Referral

TODAY = dt.date(2025, 3, 31)
# Columns stamped with the real clock while seeding (not the story's clock), and the
# password hash, salted afresh each time: they differ from one run to the next.
VARYING = {
    ("accounts", "opened_at"),
    ("broker_actions", "at"),
    ("member_blocks", "created_at"),
    ("member_checks", "recorded_at"),
    ("members", "left_at"),
    ("members", "password_hash"),
    ("organisations", "created_at"),
    ("outreach_flags", "raised_at"),
    ("outreach_flags", "seen_at"),
    ("partner_numbers", "created_at"),
    ("referral_partners", "created_at"),
    ("time_banks", "created_at"),
}


@dataclass(frozen=True)
class Seeded:
    """The demo bank read back: a few plain figures and a fingerprint of every row."""

    members: int
    balances: dict[str, int]
    listings: list[tuple[str, str, str]]
    transfers_by_code: dict[str, tuple[int, int]]
    referrals_by_status: dict[str, int]
    tables: dict[str, str]


def _plain(value: object) -> object:
    """Write a column value the same way on SQLite and PostgreSQL."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _table_digests(session: so.Session) -> dict[str, str]:
    """Return a digest of every table's rows, in primary key order."""
    digests = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in VARYING]
        rows = session.execute(sa.select(*columns).order_by(*table.primary_key.columns)).tuples()
        text = json.dumps(
            [[_plain(value) for value in row] for row in rows], sort_keys=True, default=str
        )
        digests[table.name] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return digests


def _read_back(session: so.Session) -> Seeded:
    """Read the seeded bank's figures and fingerprint."""
    balances = session.execute(
        sa.select(Member.display_name, Account.credits_posted - Account.debits_posted)
        .join(Account, Account.member_id == Member.id)
        .order_by(Member.id)
    ).tuples()
    listings = session.execute(
        sa.select(Member.display_name, Listing.kind, Listing.title)
        .join(Member, Member.id == Listing.member_id)
        .order_by(Listing.id)
    ).tuples()
    transfers = session.execute(
        sa.select(Transfer.code, sa.func.count(), sa.func.sum(Transfer.amount))
        .group_by(Transfer.code)
        .order_by(Transfer.code)
    ).tuples()
    referrals = session.execute(
        sa.select(Referral.status, sa.func.count())
        .group_by(Referral.status)
        .order_by(Referral.status)
    ).tuples()
    return Seeded(
        members=session.scalar(sa.select(sa.func.count()).select_from(Member)) or 0,
        balances=dict(balances.all()),
        listings=list(listings.all()),
        transfers_by_code={code: (count, int(total)) for code, count, total in transfers},
        referrals_by_status=dict(referrals.all()),
        tables=_table_digests(session),
    )


@pytest.fixture(scope="module")
def seeded(databases) -> Iterator[Seeded]:
    """Seed the demo bank for a fixed day in a database of its own, and read it back."""
    from timebank import create_app

    url = databases.fresh()
    app = create_app("testing", {"DATABASE_URL": url})
    with app.app_context():
        seed_demo_bank(db.session(), today=TODAY)
        found = _read_back(db.session())
        db.session.remove()
        db.engine.dispose()
    yield found
    databases.discard(url)


def test_the_demo_bank_has_the_same_members_and_balances(seeded):
    assert seeded.members == 60
    assert seeded.balances == BALANCES
    # The community pot holds what was given to it less what it granted; members the rest.
    assert sum(BALANCES.values()) == -(900 - 840)


def test_the_demo_bank_has_the_same_listings(seeded):
    assert seeded.listings == LISTINGS


def test_the_demo_bank_has_the_same_transfers_and_sums(seeded):
    assert seeded.transfers_by_code == {
        "donation": (5, 900),
        "exchange": (345, 29010),
        "grant": (4, 840),
        "group": (91, 7350),
        "reversal": (3, 570),
    }


def test_the_demo_bank_has_the_same_referrals(seeded):
    assert seeded.referrals_by_status == {
        "consented": 2,
        "declined": 1,
        "first_exchange": 1,
        "invited": 1,
        "joined": 1,
        "no_reply": 1,
    }


def test_every_table_of_the_demo_bank_holds_the_same_rows(seeded):
    # Only PostgreSQL numbers transfers in the order they were written (`seq`).
    transfers = TRANSFERS_ON_SQLITE if ENGINE == "sqlite" else TRANSFERS_ON_POSTGRESQL
    assert seeded.tables == {**TABLES, "transfers": transfers}


BALANCES = {
    "Grace Mensah": 0,
    "Tom Whitfield": 0,
    "Joyce Campbell": 300,
    "Dorothy Palmer": -360,
    "Kwame Asante": 465,
    "Siobhan O'Leary": 810,
    "Mohammed Rahman": 450,
    "Patricia Okonkwo": 375,
    "Harold Jenkins": -600,
    "Aisha Bello": -135,
    "Lin Chen": 600,
    "Marek Nowak": 420,
    "Beatrice Thompson": -450,
    "Daniel Osei": -465,
    "Margaret Hughes": -285,
    "Priya Patel": -390,
    "Winston Clarke": -465,
    "Fatima Hussain": 75,
    "George Adeyemi": -375,
    "Eileen Murphy": -495,
    "Samuel Boateng": 435,
    "Rosa Fernandes": -300,
    "Arthur Bennett": -480,
    "Yetunde Afolabi": -435,
    "Ian MacLeod": 570,
    "Sandra Lewis": -120,
    "Tariq Mahmood": 120,
    "Kathleen Doyle": -450,
    "Emmanuel Nwosu": 540,
    "Hannah Goldberg": 285,
    "Ravi Sharma": 495,
    "Olive Grant": -90,
    "Chidi Eze": 960,
    "Nora Quinn": -330,
    "Abdul Karim": -180,
    "Gloria Edwards": 570,
    "Peter Walsh": 660,
    "Amara Diallo": -600,
    "Stanley Brooks": -570,
    "Mei Ling Wong": 390,
    "Colin Fraser": 60,
    "Bernadette Okafor": -150,
    "Jamal Henry": 90,
    "Irene Kowalski": -450,
    "Victor Adebayo": 210,
    "Sheila Barnes": -375,
    "Yusuf Ali": 285,
    "Phyllis Morgan": -300,
    "Lucy Hammond": -60,
    "Elena Popescu": 15,
    "Jordan Reid": 0,
    "Keith Dunn": -360,
    "Maureen Ellis": 30,
    "Clifford Gray": 0,
    "Tendai Moyo": 0,
    "Agnieszka Zielinska": 0,
    "Ben Archer": 0,
    "Nadia Haddad": 0,
    "Shanice Walker": 0,
    "Ahmed Yilmaz": 0,
}
LISTINGS = [
    ("Joyce Campbell", "offer", "A cup of tea and a chat"),
    ("Kwame Asante", "offer", "Help with phones, tablets and the NHS App"),
    ("Siobhan O'Leary", "offer", "Weeding, pruning and tidying gardens"),
    ("Mohammed Rahman", "offer", "Lifts to the surgery and hospital"),
    ("Aisha Bello", "offer", "Help with letters and forms"),
    ("Lin Chen", "offer", "Knitting and crochet for beginners"),
    ("Marek Nowak", "offer", "Shelves, flat-pack and small repairs"),
    ("Dorothy Palmer", "request", "Changing light bulbs and smoke alarm batteries"),
    ("Harold Jenkins", "request", "Someone to practise French with"),
    ("Eileen Murphy", "request", "A weekly phone call"),
    ("Arthur Bennett", "request", "A lift to the eye clinic"),
    ("Beatrice Thompson", "request", "Picking up a prescription each month"),
]
TABLES = {
    "accounts": "8c5d30fb90a8a893",
    "api_tokens": "4f53cda18c2baa0c",
    "broker_actions": "6313746fc894ad7d",
    "exchange_sms_codes": "4f53cda18c2baa0c",
    "imported_rows": "4f53cda18c2baa0c",
    "listing_contacts": "4f53cda18c2baa0c",
    "listings": "382c5fb86b490daa",
    "member_blocks": "ffa0e17cd54ac921",
    "member_checks": "04d7207bc538df1a",
    "member_sessions": "4f53cda18c2baa0c",
    "members": "c241452c62467f17",
    "mobile_changes": "4f53cda18c2baa0c",
    "operator_sessions": "4f53cda18c2baa0c",
    "operators": "4f53cda18c2baa0c",
    "organisations": "d9129a35da40034c",
    "outcome_consents": "4f53cda18c2baa0c",
    "outcome_rounds": "4f53cda18c2baa0c",
    "outreach_contacts": "4f53cda18c2baa0c",
    "outreach_flags": "4b23733d567f8f3c",
    "partner_numbers": "04fb139cf512e44f",
    "pending_escalations": "4f53cda18c2baa0c",
    "proposals": "4f53cda18c2baa0c",
    "referral_events": "4bb2fbb278c6a53c",
    "referral_partners": "1368107302949587",
    "referrals": "37efeb02f7befbf1",
    "sign_in_codes": "4f53cda18c2baa0c",
    "skill_categories": "4f53cda18c2baa0c",
    "sms_inbound": "4f53cda18c2baa0c",
    "sms_opt_outs": "4f53cda18c2baa0c",
    "sms_outbox": "5f2479de7c7f1cb0",
    "summary_account_months": "4f53cda18c2baa0c",
    "summary_account_pairs": "4f53cda18c2baa0c",
    "summary_accounts": "4f53cda18c2baa0c",
    "summary_day_totals": "4f53cda18c2baa0c",
    "summary_refreshes": "4f53cda18c2baa0c",
    # Its rows gained the empty suspended_at column (migration 0018): the demo is unchanged.
    "time_banks": "a60bae215e02af4e",
}
TRANSFERS_ON_SQLITE = "d861ccabb9679b34"
TRANSFERS_ON_POSTGRESQL = "6efbe8f8c72adbd2"
