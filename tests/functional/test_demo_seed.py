"""The demo time bank: realistic, deterministic, built through the services, and its command."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from timebank.demo.readback import DemoSummary, SignIn, demo_sign_ins, find_bank, summarise_bank
from timebank.demo.seed import seed_demo_bank
from timebank.demo.story import AREAS, DEMO_PASSWORD, SKILL_CATEGORIES
from timebank.ledger.models import Account, Transfer
from timebank.ledger.resolutions import expire_pending
from timebank.ledger.verify import verify_ledger
from timebank.members.models import Member, Organisation
from timebank.members.passwords import password_matches
from timebank.offers.skills import DEFAULT_SKILL_CATEGORIES

# A fixed day, so every run builds exactly the same bank.
TODAY = dt.date(2025, 3, 31)


class MemberRow(NamedTuple):
    name: str
    role: str
    status: str
    area: str | None
    mobile: str | None
    balance: int


@dataclass
class Snapshot:
    """Everything the tests look at in a seeded database, as plain values."""

    members: list[MemberRow]
    password_hashes: dict[str, str]
    organisations: list[tuple[str, str]]
    transfers: list[dict]
    summary: DemoSummary
    sign_ins: list[SignIn]
    verified: bool
    expired_at_midnight: tuple[int, int]


def aware(stamp: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def take_snapshot(session) -> Snapshot:
    """Read the demo bank back as plain values, then run expiry as cron would at midnight."""
    bank = find_bank(session, "demo")
    assert bank is not None
    holders = {
        account_id: member or org
        for account_id, member, org in session.execute(
            sa.select(Account.id, Member.display_name, Organisation.name)
            .outerjoin(Member, Member.id == Account.member_id)
            .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        )
    }
    members = session.execute(
        sa.select(Member, Account).join(Account, Account.member_id == Member.id).order_by(Member.id)
    ).all()
    names = {m.id: m.display_name for m, _ in members}
    transfers = [
        {
            "id": t.id,
            "code": t.code,
            "phase": t.phase,
            "amount": t.amount,
            "debit": holders[t.debit_account_id],
            "credit": holders[t.credit_account_id],
            "by": names.get(t.recorded_by_id),
            "happened_on": t.happened_on,
            "recorded_at": aware(t.recorded_at),
            "skill": t.skill_category,
            "reason": t.reason,
            "pending_id": t.pending_id,
            "reverses_id": t.reverses_id,
            "group_id": t.group_id,
        }
        for t in session.scalars(sa.select(Transfer).order_by(Transfer.recorded_at, Transfer.id))
    ]
    snapshot = Snapshot(
        members=[
            MemberRow(m.display_name, m.role, m.status, m.area, m.mobile_e164, a.balance)
            for m, a in members
        ],
        password_hashes={m.display_name: m.password_hash for m, _ in members if m.password_hash},
        organisations=list(
            session.execute(
                sa.select(Organisation.name, Organisation.kind).order_by(Organisation.id)
            )
            .tuples()
            .all()
        ),
        transfers=transfers,
        summary=summarise_bank(session, bank.id),
        sign_ins=demo_sign_ins(session, bank.id),
        verified=verify_ledger(session).ok,
        expired_at_midnight=(0, 0),
    )
    midnight = dt.datetime.combine(TODAY, dt.time(0, 5), tzinfo=dt.UTC)
    report = expire_pending(session, now=lambda: midnight)
    snapshot.expired_at_midnight = (report.confirmed, report.escalated)
    return snapshot


@pytest.fixture(scope="module")
def demo(databases) -> Snapshot:
    """Seed the demo bank once for this module, in a database of its own."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": databases.fresh()})
    with app.app_context():
        seed_demo_bank(db.session(), today=TODAY)
        snapshot = take_snapshot(db.session())
        db.session.remove()
        db.engine.dispose()
    return snapshot


def by_code(demo: Snapshot, code: str, phase: str | None = None) -> list[dict]:
    return [t for t in demo.transfers if t["code"] == code and phase in (None, t["phase"])]


def test_the_demo_bank_has_about_sixty_members_with_one_broker_and_one_admin(demo):
    assert 55 <= len(demo.members) <= 65
    roles = [m.role for m in demo.members]
    assert roles.count("broker") == 1
    assert roles.count("admin") == 1


def test_every_member_lives_in_a_lewisham_neighbourhood_and_has_a_uk_mobile(demo):
    assert {m.area for m in demo.members} <= set(AREAS)
    assert all(m.mobile and m.mobile.startswith("+447") for m in demo.members)
    assert len({m.mobile for m in demo.members}) == len(demo.members)


def test_some_members_left_or_were_suspended_and_some_have_not_started(demo):
    statuses = [m.status for m in demo.members]
    assert statuses.count("left") >= 1
    assert statuses.count("suspended") >= 1
    assert statuses.count("applicant") >= 1
    traded = {t["debit"] for t in demo.transfers} | {t["credit"] for t in demo.transfers}
    never_traded = [m for m in demo.members if m.name not in traded and m.role == "member"]
    assert len(never_traded) >= 5


def test_the_demo_bank_has_a_gp_practice(demo):
    assert [kind for _, kind in demo.organisations].count("gp_practice") == 1
    assert demo.summary.gp_practices


def test_the_history_covers_six_months_and_ends_before_today(demo):
    first = min(t["happened_on"] for t in demo.transfers)
    last = max(t["recorded_at"] for t in demo.transfers)
    assert (TODAY - first).days >= 175
    assert last < dt.datetime.combine(TODAY, dt.time(0), tzinfo=dt.UTC)
    assert 200 <= demo.summary.exchanges <= 400


def test_the_history_holds_pending_group_donation_grant_and_reversed_transfers(demo):
    resolved = {t["pending_id"] for t in demo.transfers if t["pending_id"]}
    waiting = [t for t in demo.transfers if t["phase"] == "pending" and t["id"] not in resolved]
    assert len(waiting) >= 3 and demo.summary.waiting == len(waiting)
    assert by_code(demo, "exchange", "void_pending"), "some exchanges were declined"
    assert len({t["group_id"] for t in by_code(demo, "group")}) >= 5
    assert by_code(demo, "group", "pending"), "a giver logged a group exchange"
    assert by_code(demo, "donation") and by_code(demo, "grant")
    assert 2 <= len(by_code(demo, "reversal")) <= 5


def test_some_exchanges_were_confirmed_for_fewer_minutes_than_logged(demo):
    logged = {t["id"]: t["amount"] for t in demo.transfers if t["phase"] == "pending"}
    confirmed = [t for t in demo.transfers if t["phase"] == "post_pending"]
    assert any(t["amount"] < logged[t["pending_id"]] for t in confirmed)


def test_reversals_were_made_by_the_broker_with_a_reason(demo):
    for reversal in by_code(demo, "reversal"):
        assert reversal["by"] == "Grace Mensah"
        assert reversal["reason"]


def test_every_exchange_carries_a_skill_category(demo):
    exchanges = by_code(demo, "exchange") + by_code(demo, "group")
    assert {t["skill"] for t in exchanges} <= set(SKILL_CATEGORIES.values())
    # The same categories members choose from on the web pages.
    assert set(SKILL_CATEGORIES.values()) <= set(DEFAULT_SKILL_CATEGORIES)
    assert len({t["skill"] for t in exchanges}) >= 8


def test_the_seeded_ledger_verifies_and_nothing_is_old_enough_to_expire(demo):
    assert demo.verified
    assert demo.expired_at_midnight == (0, 0)


def test_the_broker_the_admin_and_two_members_sign_in_with_the_demo_password(demo):
    assert [s.role for s in demo.sign_ins] == ["broker", "admin", "member", "member"]
    assert sorted(demo.password_hashes) == sorted(s.name for s in demo.sign_ins)
    for sign_in in demo.sign_ins:
        assert sign_in.password == DEMO_PASSWORD
        assert sign_in.mobile.startswith("07") and " " in sign_in.mobile
    for password_hash in set(demo.password_hashes.values()):
        assert password_matches(password_hash, DEMO_PASSWORD)


def test_seeding_a_second_fresh_database_gives_identical_data(demo, session):
    seed_demo_bank(session, today=TODAY)
    again = take_snapshot(session)
    assert [m.name for m in again.members] == [m.name for m in demo.members]
    assert again.members == demo.members
    assert len(again.transfers) == len(demo.transfers)
    assert again.transfers == demo.transfers


def run_seed(app, *args: str):
    return app.test_cli_runner().invoke(args=["demo", "seed", *args])


def count_transfers(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Transfer))


def test_seed_command_builds_the_bank_then_leaves_it_alone_with_if_empty(app, session):
    first = run_seed(app, "--if-empty", "--today", TODAY.isoformat())
    assert first.exit_code == 0, first.output
    for line in (
        "Created the time bank",
        "Creating 60 members",
        "Recording six months of exchanges",
        "Ledger OK",
    ):
        assert line in first.output
    assert "Grace Mensah" in first.output and DEMO_PASSWORD in first.output
    transfers = count_transfers(session)
    assert transfers > 300

    second = run_seed(app, "--if-empty")
    assert second.exit_code == 0, second.output
    assert "nothing added" in second.output
    assert "Creating" not in second.output
    assert "Grace Mensah" in second.output and "Ledger OK" in second.output
    assert count_transfers(session) == transfers
    assert session.scalar(sa.select(sa.func.count()).select_from(Member)) == 60


def test_seed_command_without_if_empty_refuses_an_existing_demo_bank(app, session):
    TimeBankFactory(slug="demo")
    result = run_seed(app)
    assert result.exit_code == 1
    assert "already a time bank called demo" in result.output
    assert count_transfers(session) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "Not A Slug"], "short name uses"),
        (["--today", "2999-01-01"], "cannot end in the future"),
    ],
)
def test_seed_command_explains_bad_input(app, session, args, message):
    result = run_seed(app, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert count_transfers(session) == 0


def test_seed_command_fails_when_the_ledger_does_not_verify(app, session):
    TimeBankFactory(slug="demo")
    session.execute(sa.update(Account).values(credits_posted=Account.credits_posted + 60))
    session.commit()
    result = run_seed(app, "--if-empty")
    assert result.exit_code == 1
    assert "PROBLEM" in result.output


def test_seed_command_refuses_to_run_in_production(database_url):
    from timebank import create_app

    production = create_app(
        "production",
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "a-real-secret-" + "x" * 32,
            "SMS_BACKEND": "console",
        },
    )
    result = run_seed(production)
    assert result.exit_code == 1
    assert "not for production" in result.output


def test_the_demo_has_checked_helpers_a_block_and_listings_with_times(session):
    from timebank.broker.safeguarding import blocked_pairs, current_checks
    from timebank.offers.models import Listing

    bank = seed_demo_bank(session, today=TODAY)
    members = {m.display_name: m.id for m in session.scalars(sa.select(Member))}
    listings = session.scalars(sa.select(Listing).where(Listing.bank_id == bank.id)).all()

    checked = current_checks(session, bank.id, members.values(), TODAY)
    # Rosa's check has run out; the others are current.
    assert set(checked) == {
        members[name]
        for name in ("Patricia Okonkwo", "Siobhan O'Leary", "Ravi Sharma", "Marek Nowak")
    }
    assert blocked_pairs(session, bank.id, members["Winston Clarke"]) == {members["Harold Jenkins"]}
    offers = [item for item in listings if item.kind == "offer"]
    assert all(item.slots for item in offers)
    assert {item.travel for item in offers} == {"own_area", "nearby", "anywhere"}
    assert [item.title for item in listings if item.needs_check] == [
        "Changing light bulbs and smoke alarm batteries"
    ]
