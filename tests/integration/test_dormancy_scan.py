"""The dormancy scan reads each member's activity from the database and flags who needs a call."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import member_joined, noon_on
from timebank.broker import scan
from timebank.broker.dormancy import DormancySettings
from timebank.broker.scan import scan_dormant
from timebank.demo.seed import seed_demo_bank
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_transfer
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.ledger.verify import verify_ledger
from timebank.members.models import Member
from timebank.offers.services import ListingDraft, contact_listing, post_listing
from timebank.referrals.models import Referral

TODAY = dt.date(2025, 6, 30)
LONG_AGO = dt.date(2024, 1, 1)


clock = noon_on


def member(bank, name: str, joined: dt.date = LONG_AGO, **fields) -> Member:
    return member_joined(bank, name, joined, **fields)


def gave(session, bank, by, giver, receiver, day: dt.date, minutes: int = 60) -> None:
    """Record help `giver` gave `receiver` on `day`, logged by a broker so it posts at once."""
    request = ExchangeRequest(
        uuid.uuid4(), bank.id, giver.id, receiver.id, minutes, by.id, happened_on=day
    )
    record_exchange(session, request, now=clock(day))


def confirmed(session, bank, giver, receiver, day: dt.date) -> None:
    """Record help the giver logged (pending) and the receiver then confirmed."""
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, giver.id, day)
    pending = record_exchange(session, request, now=clock(day))
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), receiver.id, now=clock(day))


def offer(session, bank, owner, day: dt.date) -> int:
    draft = ListingDraft("offer", "Gardening", "Weeding and pruning")
    return post_listing(session, bank.id, owner.id, draft, now=clock(day)).id


def referred(session, bank, who, day: dt.date) -> None:
    stamp = clock(day)()
    session.add(
        Referral(
            bank_id=bank.id,
            patient_e164=who.mobile_e164,
            first_name=who.first_name,
            status="joined",
            member_id=who.id,
            created_at=stamp,
            updated_at=stamp,
        )
    )
    session.commit()


def flags_by_name(session, bank, today: dt.date = TODAY) -> dict[str, dict[str, str]]:
    names = {m.id: m.display_name for m in session.query(Member).filter_by(bank_id=bank.id)}
    found: dict[str, dict[str, str]] = {}
    for flag in scan_dormant(session, bank.id, today):
        found.setdefault(names[flag.member_id], {})[flag.rule] = flag.reason
    return found


@pytest.fixture
def helpers(bank):
    """Return two busy members the others exchange with."""
    return member(bank, "Hal Helper"), member(bank, "Hana Helper")


def test_inactive_flags_a_member_whose_last_exchange_was_long_ago(session, bank, broker, helpers):
    hal, _ = helpers
    ivy, nat = member(bank, "Ivy Idle"), member(bank, "Nat Near")
    gave(session, bank, broker, hal, ivy, dt.date(2025, 3, 1))
    gave(session, bank, broker, ivy, hal, dt.date(2025, 4, 1))
    gave(session, bank, broker, nat, hal, dt.date(2025, 5, 1))
    # A pending exchange the receiver confirmed counts from its own day.
    confirmed(session, bank, hal, nat, dt.date(2025, 6, 1))
    flags = flags_by_name(session, bank)
    assert flags.get("Ivy Idle") == {"inactive": "No exchange for 90 days (since 1 April)."}
    assert "Nat Near" not in flags


def test_exchanges_after_the_scan_day_are_not_seen(session, bank, broker, helpers):
    hal, _ = helpers
    ivy = member(bank, "Ivy Idle")
    gave(session, bank, broker, hal, ivy, dt.date(2025, 3, 1))
    gave(session, bank, broker, ivy, hal, dt.date(2025, 7, 1))
    assert flags_by_name(session, bank).get("Ivy Idle") == {
        "inactive": "No exchange for 121 days (since 1 March)."
    }


def test_no_first_exchange_counts_from_joining_or_the_earliest_referral(session, bank):
    fay = member(bank, "Fay First", joined=dt.date(2025, 5, 1))
    rex = member(bank, "Rex Referred", joined=dt.date(2025, 5, 1))
    rita = member(bank, "Rita Recent", joined=dt.date(2025, 5, 1))
    member(bank, "Lea Left", status="left")
    referred(session, bank, rex, dt.date(2025, 6, 25))
    referred(session, bank, rex, dt.date(2025, 5, 20))
    referred(session, bank, rita, dt.date(2025, 6, 10))
    assert fay and rita
    flags = flags_by_name(session, bank)
    assert flags.get("Fay First") == {
        "no_first_exchange": "Joined 60 days ago and has not made a first exchange yet."
    }
    assert flags.get("Rex Referred") == {
        "no_first_exchange": "Referred 41 days ago and has not made a first exchange yet."
    }
    assert "Rita Recent" not in flags
    assert "Lea Left" not in flags


def test_only_giving_ignores_help_still_waiting_to_be_confirmed(session, bank, broker, helpers):
    hal, _ = helpers
    gil, gwen = member(bank, "Gil Giver"), member(bank, "Gwen Giver")
    for day in (dt.date(2024, 12, 1), dt.date(2025, 3, 1), dt.date(2025, 6, 20)):
        gave(session, bank, broker, gil, hal, day)
    for day in (dt.date(2025, 2, 1), dt.date(2025, 4, 1), dt.date(2025, 6, 20)):
        gave(session, bank, broker, gwen, hal, day)
    unconfirmed = ExchangeRequest(uuid.uuid4(), bank.id, hal.id, gil.id, 60, hal.id, TODAY)
    assert record_exchange(session, unconfirmed, now=clock(TODAY)).phase == "pending"
    flags = flags_by_name(session, bank)
    assert flags.get("Gil Giver") == {
        "only_giving": "Has given help 3 times in seven months but never received any."
    }
    assert "Gwen Giver" not in flags


def test_near_limit_flags_members_who_owe_and_offer_nothing(session, bank, broker, helpers):
    hal, hana = helpers
    nora, ned = member(bank, "Nora Owes"), member(bank, "Ned Offers")
    gave(session, bank, broker, hal, nora, dt.date(2025, 6, 15), minutes=560)
    gave(session, bank, broker, hana, ned, dt.date(2025, 6, 15), minutes=560)
    offer(session, bank, ned, dt.date(2025, 6, 20))
    flags = flags_by_name(session, bank)
    assert flags.get("Nora Owes") == {
        "near_limit_no_offers": "Owes 9 hours 20 minutes, close to the 10-hour limit,"
        " and offers nothing."
    }
    assert "Ned Offers" not in flags


def test_unanswered_offers_skip_offers_someone_answered(session, bank, broker, helpers):
    hal, _ = helpers
    olive, otto = member(bank, "Olive Offer"), member(bank, "Otto Answered")
    # Both last traded in March, long enough ago for the offer rule to look at them.
    for who in (olive, otto):
        gave(session, bank, broker, who, hal, dt.date(2025, 3, 25))
        gave(session, bank, broker, hal, who, dt.date(2025, 3, 26))
    offer(session, bank, olive, dt.date(2025, 5, 1))
    answered = offer(session, bank, otto, dt.date(2025, 5, 1))
    contact_listing(
        session, bank.id, hal.id, answered, "Yes please", now=clock(dt.date(2025, 5, 10))
    )
    flags = flags_by_name(session, bank)
    assert flags["Olive Offer"]["unanswered_offers"] == (
        "Their offer has had no answer for 60 days."
    )
    assert "unanswered_offers" not in flags.get("Otto Answered", {})


def test_below_rhythm_counts_group_exchanges_in_the_last_window(session, bank, broker, helpers):
    hal, hana = helpers
    rhea, remy = member(bank, "Rhea Rhythm"), member(bank, "Remy Regular")
    for who in (rhea, remy):
        for week in range(12):
            day = dt.date(2024, 10, 1) + dt.timedelta(days=14 * week)
            if week % 2:
                gave(session, bank, broker, hal, who, day)
            else:
                gave(session, bank, broker, who, hal, day)
    gave(session, bank, broker, rhea, hal, dt.date(2025, 6, 20))
    group = GroupExchangeRequest(
        uuid.uuid4(), bank.id, [remy.id], [hal.id, hana.id], 60, broker.id, dt.date(2025, 6, 20)
    )
    record_group_exchange(session, group, now=clock(dt.date(2025, 6, 20)))
    flags = flags_by_name(session, bank)
    assert flags.get("Rhea Rhythm") == {
        "below_rhythm": "1 exchange in the last 90 days against about 6 usually."
    }
    assert "Remy Regular" not in flags


def test_the_demo_bank_scans_and_flags_some_members(session):
    bank = seed_demo_bank(session, today=dt.date(2025, 9, 15))
    flags = list(scan_dormant(session, bank.id, dt.date(2025, 9, 15), DormancySettings()))
    assert flags
    assert {flag.rule for flag in flags} <= {
        "inactive",
        "no_first_exchange",
        "only_giving",
        "near_limit_no_offers",
        "unanswered_offers",
        "below_rhythm",
    }


def test_brokers_and_admins_are_never_on_the_outreach_list(session):
    from timebank.members.models import Member

    bank = seed_demo_bank(session, today=dt.date(2025, 9, 15))
    staff = set(
        session.scalars(
            sa.select(Member.id).where(Member.bank_id == bank.id, Member.role != "member")
        )
    )
    flags = list(scan_dormant(session, bank.id, dt.date(2025, 9, 15), DormancySettings()))
    assert staff and not staff & {flag.member_id for flag in flags}


@pytest.mark.parametrize("seed", [3, 4])
def test_the_accounts_totals_flag_the_same_members_as_summing_the_log(
    session, bank, broker, seed, monkeypatch
):
    """The scan reads each account's kept totals; summing the log must give the same flags."""
    rng = random.Random(seed)
    people = [member(bank, f"Member {n}") for n in range(14)]
    span = (TODAY - LONG_AGO).days
    for _ in range(90):
        giver, receiver = rng.sample(people, 2)
        # More of them lately, as in a bank that is growing.
        day = LONG_AGO + dt.timedelta(days=int(span * rng.random() ** 0.5))
        kind = rng.random()
        if kind < 0.5:
            gave(session, bank, broker, giver, receiver, day, minutes=rng.choice((30, 60, 90)))
        elif kind < 0.65:
            confirmed(session, bank, giver, receiver, day)
        elif kind < 0.75:
            request = ExchangeRequest(
                uuid.uuid4(), bank.id, giver.id, receiver.id, 60, giver.id, day
            )
            pending = record_exchange(session, request, now=clock(day))
            decline_pending(session, bank.id, pending.id, uuid.uuid4(), receiver.id, now=clock(day))
        elif kind < 0.88:
            others = rng.sample([p.id for p in people if p is not giver], 3)
            group = GroupExchangeRequest(
                uuid.uuid4(), bank.id, [giver.id], others, 30, broker.id, day
            )
            record_group_exchange(session, group, now=clock(day))
        else:
            request = ExchangeRequest(
                uuid.uuid4(), bank.id, giver.id, receiver.id, 60, broker.id, day
            )
            done = record_exchange(session, request, now=clock(day))
            reverse_transfer(
                session, bank.id, done.id, uuid.uuid4(), broker.id, "Typed twice", now=clock(day)
            )
    assert verify_ledger(session).ok  # the accounts' totals agree with the log
    assert not scan._any_trade_after(session, bank.id, TODAY)

    def summing_the_log(today: dt.date) -> list:
        with monkeypatch.context() as patched:
            patched.setattr(scan, "_any_trade_after", lambda *_: True)
            return list(scan_dormant(session, bank.id, today))

    rules = set()
    for today in (TODAY, TODAY + dt.timedelta(days=45), TODAY + dt.timedelta(days=400)):
        kept = list(scan_dormant(session, bank.id, today))
        assert kept == summing_the_log(today)
        rules |= {flag.rule for flag in kept}
    assert {"inactive", "below_rhythm"} <= rules
