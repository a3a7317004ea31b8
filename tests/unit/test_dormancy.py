"""The broker's dormancy rules: who needs outreach, from when, and why in plain words."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timebank.broker.dormancy import DormancySettings, Flag, MemberActivity, flags_for

TODAY = dt.date(2026, 11, 23)
SETTINGS = DormancySettings()


def ago(days: int) -> dt.date:
    """Return the date `days` before the fixed today."""
    return TODAY - dt.timedelta(days=days)


# A settled, active member no rule flags: exchanges both ways, recently, at a steady rhythm.
SETTLED = MemberActivity(
    member_id=7,
    first_name="Joyce",
    status="active",
    do_not_contact=False,
    joined_on=ago(400),
    referred_on=None,
    first_exchange_on=ago(380),
    last_exchange_on=ago(5),
    last_given_on=ago(5),
    last_received_on=ago(20),
    given_since_joined=10,
    received_since_joined=10,
    balance_minutes=0,
    overdraft_minutes=-600,
    open_offers=1,
    oldest_unanswered_offer_on=None,
    exchanges_last_window=5,
    exchanges_before_window=20,
    days_before_window=360,
)


# A member whose last exchange was long enough ago to be inactive.
LAST_TRADED_LONG_AGO = {"last_exchange_on": ago(100), "last_given_on": ago(100)}


def member(**changes: object) -> MemberActivity:
    """Return the settled member with some facts changed."""
    return dataclasses.replace(SETTLED, **changes)  # type: ignore[arg-type]


def rules_for(activity: MemberActivity) -> list[str]:
    """Return the rule codes flagged for a member today."""
    return [flag.rule for flag in flags_for(activity, TODAY, SETTINGS)]


def only_flag(activity: MemberActivity) -> Flag:
    """Return the single flag raised for a member today."""
    flags = flags_for(activity, TODAY, SETTINGS)
    assert len(flags) == 1, flags
    return flags[0]


def test_a_settled_member_is_not_flagged():
    assert flags_for(SETTLED, TODAY, SETTINGS) == []


# Day-counting rules: the day before is quiet, the day it is due and the day after flag.

WITHIN_A_DAY = [(-1, False), (0, True), (1, True)]


@pytest.mark.parametrize(("offset", "flagged"), WITHIN_A_DAY)
def test_inactive_is_due_on_the_sixtieth_day_without_an_exchange(offset, flagged):
    activity = member(last_exchange_on=ago(60 + offset), exchanges_last_window=0)
    assert ("inactive" in rules_for(activity)) is flagged


@pytest.mark.parametrize(("offset", "flagged"), WITHIN_A_DAY)
def test_no_first_exchange_is_due_thirty_days_after_joining(offset, flagged):
    activity = never_exchanged(joined_on=ago(30 + offset))
    assert rules_for(activity) == (["no_first_exchange"] if flagged else [])


@pytest.mark.parametrize(("offset", "flagged"), WITHIN_A_DAY)
def test_no_first_exchange_counts_from_a_referral_after_joining(offset, flagged):
    activity = never_exchanged(joined_on=ago(200), referred_on=ago(30 + offset))
    assert rules_for(activity) == (["no_first_exchange"] if flagged else [])


@pytest.mark.parametrize(("offset", "flagged"), WITHIN_A_DAY)
def test_no_first_exchange_counts_from_joining_after_an_earlier_referral(offset, flagged):
    activity = never_exchanged(joined_on=ago(30 + offset), referred_on=ago(45))
    assert rules_for(activity) == (["no_first_exchange"] if flagged else [])


@pytest.mark.parametrize(("offset", "flagged"), WITHIN_A_DAY)
def test_only_giving_is_due_182_days_after_the_first_gift(offset, flagged):
    activity = member(
        first_exchange_on=ago(182 + offset), received_since_joined=0, last_received_on=None
    )
    assert rules_for(activity) == (["only_giving"] if flagged else [])


@pytest.mark.parametrize(("offset", "flagged"), WITHIN_A_DAY)
def test_unanswered_offers_is_due_on_the_thirtieth_day_without_an_answer(offset, flagged):
    # Only for a member who has not traded recently: this one last did 100 days ago.
    activity = member(oldest_unanswered_offer_on=ago(30 + offset), **LAST_TRADED_LONG_AGO)
    assert ("unanswered_offers" in rules_for(activity)) is flagged


@pytest.mark.parametrize(("headroom", "flagged"), [(61, False), (60, True), (59, True)])
def test_near_limit_is_due_within_an_hour_of_the_overdraft_limit(headroom, flagged):
    activity = member(balance_minutes=-600 + headroom, open_offers=0)
    assert rules_for(activity) == (["near_limit_no_offers"] if flagged else [])


def test_near_limit_is_not_flagged_while_the_member_offers_something():
    assert rules_for(member(balance_minutes=-590, open_offers=1)) == []


def test_near_limit_needs_a_debt_even_when_no_overdraft_is_allowed():
    assert rules_for(member(balance_minutes=0, overdraft_minutes=0, open_offers=0)) == []


# 24 exchanges over 270 days is exactly 8 per 90-day window; a quarter of that is 2.
@pytest.mark.parametrize(("recent", "flagged"), [(3, False), (2, False), (1, True), (0, True)])
def test_below_rhythm_is_due_below_a_quarter_of_the_usual_rate(recent, flagged):
    activity = member(
        exchanges_last_window=recent, exchanges_before_window=24, days_before_window=270
    )
    assert rules_for(activity) == (["below_rhythm"] if flagged else [])


@pytest.mark.parametrize(("history", "flagged"), [(5, False), (6, True), (7, True)])
def test_below_rhythm_needs_six_exchanges_of_history(history, flagged):
    activity = member(
        exchanges_last_window=0, exchanges_before_window=history, days_before_window=90
    )
    assert rules_for(activity) == (["below_rhythm"] if flagged else [])


@pytest.mark.parametrize(("days", "flagged"), [(89, False), (90, True), (91, True)])
def test_below_rhythm_needs_a_whole_window_of_history(days, flagged):
    activity = member(exchanges_last_window=0, exchanges_before_window=30, days_before_window=days)
    assert rules_for(activity) == (["below_rhythm"] if flagged else [])


def test_a_bank_setting_moves_the_inactive_boundary():
    activity = member(last_exchange_on=ago(45))
    assert rules_for(activity) == []
    strict = DormancySettings(inactive_days=45)
    assert [flag.rule for flag in flags_for(activity, TODAY, strict)] == ["inactive"]


def test_someone_who_never_exchanged_is_not_inactive_but_has_no_first_exchange():
    assert rules_for(never_exchanged(joined_on=ago(300))) == ["no_first_exchange"]


def never_exchanged(**changes: object) -> MemberActivity:
    """Return a member who has never given or received anything."""
    blank: dict[str, object] = dict(
        first_exchange_on=None,
        last_exchange_on=None,
        last_given_on=None,
        last_received_on=None,
        given_since_joined=0,
        received_since_joined=0,
        exchanges_last_window=0,
        exchanges_before_window=0,
        days_before_window=0,
    )
    return member(**(blank | changes))


# The reasons, word for word, and the day each condition began.


def test_inactive_reason_gives_the_days_and_the_last_exchange_date():
    flag = only_flag(member(last_exchange_on=dt.date(2026, 9, 9), exchanges_before_window=0))
    assert flag == Flag(7, "inactive", "No exchange for 75 days (since 9 September).", ago(75))


def test_inactive_reason_adds_the_year_when_it_was_last_year():
    flag = only_flag(member(last_exchange_on=dt.date(2025, 12, 30), exchanges_before_window=0))
    assert flag.reason == "No exchange for 328 days (since 30 December 2025)."


def test_no_first_exchange_reason_says_how_long_since_joining():
    flag = only_flag(never_exchanged(joined_on=ago(40)))
    assert flag == Flag(
        7, "no_first_exchange", "Joined 40 days ago and has not made a first exchange yet.", ago(40)
    )


def test_no_first_exchange_reason_says_referred_when_the_referral_came_later():
    flag = only_flag(never_exchanged(joined_on=ago(90), referred_on=ago(33)))
    assert flag.reason == "Referred 33 days ago and has not made a first exchange yet."
    assert flag.since == ago(33)


def test_only_giving_reason_counts_the_gifts():
    flag = only_flag(
        member(
            first_exchange_on=ago(190),
            given_since_joined=12,
            received_since_joined=0,
            last_received_on=None,
        )
    )
    assert flag == Flag(
        7,
        "only_giving",
        "Has given help 12 times in six months but never received any.",
        ago(190),
    )


def test_near_limit_reason_says_what_is_owed_against_the_limit():
    flag = only_flag(member(balance_minutes=-570, open_offers=0))
    assert flag.rule == "near_limit_no_offers"
    assert flag.reason == "Owes 9 hours 30 minutes, close to the 10-hour limit, and offers nothing."
    assert flag.since == SETTLED.last_exchange_on


def test_near_limit_reason_spells_out_a_limit_that_is_not_whole_hours():
    flag = only_flag(member(balance_minutes=-60, overdraft_minutes=-90, open_offers=0))
    assert (
        flag.reason == "Owes 1 hour, close to the limit of 1 hour 30 minutes, and offers nothing."
    )


def offer_flag(activity: MemberActivity) -> Flag:
    """Return the unanswered offer flag raised for a member today."""
    found = [f for f in flags_for(activity, TODAY, SETTINGS) if f.rule == "unanswered_offers"]
    assert len(found) == 1, found
    return found[0]


def test_unanswered_offer_reason_gives_the_days_waiting():
    flag = offer_flag(member(oldest_unanswered_offer_on=ago(35), **LAST_TRADED_LONG_AGO))
    assert flag == Flag(
        7, "unanswered_offers", "Their offer has had no answer for 35 days.", ago(35)
    )


def test_unanswered_offer_reason_says_one_of_several_offers():
    activity = member(oldest_unanswered_offer_on=ago(35), open_offers=3, **LAST_TRADED_LONG_AGO)
    flag = offer_flag(activity)
    assert flag.reason == "One of their offers has had no answer for 35 days."


def test_below_rhythm_reason_compares_with_their_usual_rate():
    # 28 exchanges in 300 days is about 8.4 per 90 days; 2 is below a quarter of that.
    flag = only_flag(
        member(exchanges_last_window=2, exchanges_before_window=28, days_before_window=300)
    )
    assert flag == Flag(
        7,
        "below_rhythm",
        "2 exchanges in the last 90 days against about 8 usually.",
        ago(90),
    )


def test_below_rhythm_reason_reads_naturally_for_none_and_one():
    quiet = dict(exchanges_before_window=40, days_before_window=300)
    assert only_flag(member(exchanges_last_window=0, **quiet)).reason == (
        "No exchanges in the last 90 days against about 12 usually."
    )
    assert only_flag(member(exchanges_last_window=1, **quiet)).reason == (
        "1 exchange in the last 90 days against about 12 usually."
    )


def test_several_rules_can_fire_together():
    activity = member(
        last_exchange_on=ago(200),
        first_exchange_on=ago(300),
        received_since_joined=0,
        last_received_on=None,
        balance_minutes=-560,
        open_offers=0,
        exchanges_last_window=0,
        exchanges_before_window=12,
        days_before_window=210,
    )
    assert rules_for(activity) == [
        "inactive",
        "only_giving",
        "near_limit_no_offers",
        "below_rhythm",
    ]


# Members who left, asked not to be contacted or are suspended are never flagged.


def dates() -> st.SearchStrategy[dt.date]:
    """Return a strategy for dates up to the fixed today."""
    return st.dates(min_value=ago(3000), max_value=TODAY)


activities = st.builds(
    MemberActivity,
    member_id=st.integers(1, 10**6),
    first_name=st.text(max_size=10),
    status=st.sampled_from(["applicant", "active", "suspended", "left"]),
    do_not_contact=st.booleans(),
    joined_on=dates(),
    referred_on=st.none() | dates(),
    first_exchange_on=st.none() | dates(),
    last_exchange_on=st.none() | dates(),
    last_given_on=st.none() | dates(),
    last_received_on=st.none() | dates(),
    given_since_joined=st.integers(0, 500),
    received_since_joined=st.integers(0, 500),
    balance_minutes=st.integers(-2000, 2000),
    overdraft_minutes=st.integers(-2000, 0),
    open_offers=st.integers(0, 5),
    oldest_unanswered_offer_on=st.none() | dates(),
    exchanges_last_window=st.integers(0, 50),
    exchanges_before_window=st.integers(0, 500),
    days_before_window=st.integers(0, 3000),
)


@given(activities, st.sampled_from(["left", "suspended"]))
def test_left_and_suspended_members_are_never_flagged(activity, status):
    assert flags_for(dataclasses.replace(activity, status=status), TODAY, SETTINGS) == []


@given(activities)
def test_members_who_asked_not_to_be_contacted_are_never_flagged(activity):
    muted = dataclasses.replace(activity, do_not_contact=True)
    assert flags_for(muted, TODAY, SETTINGS) == []


@given(activities)
def test_every_flag_reads_as_a_sentence_and_began_by_today(activity):
    for flag in flags_for(activity, TODAY, SETTINGS):
        assert flag.member_id == activity.member_id
        assert (flag.reason[0].isupper() or flag.reason[0].isdigit()) and flag.reason[-1] == "."
        assert flag.since <= TODAY


# The nightly scan streams a whole region's members through the rules.


def random_activity(rng: random.Random, member_id: int) -> MemberActivity:
    """Return a plausible member summary, drawn so that every rule fires for some."""

    def maybe_ago(most: int) -> dt.date | None:
        return None if rng.random() < 0.2 else ago(rng.randrange(most))

    first = maybe_ago(900)
    return MemberActivity(
        member_id=member_id,
        first_name="Member",
        status=rng.choice(("active", "active", "active", "applicant", "suspended", "left")),
        do_not_contact=rng.random() < 0.05,
        joined_on=ago(rng.randrange(1000)),
        referred_on=maybe_ago(400),
        first_exchange_on=first,
        last_exchange_on=None if first is None else ago(rng.randrange(300)),
        last_given_on=maybe_ago(300),
        last_received_on=maybe_ago(300),
        given_since_joined=rng.randrange(40),
        received_since_joined=rng.choice((0, rng.randrange(40))),
        balance_minutes=rng.randrange(-700, 700),
        overdraft_minutes=rng.choice((-600, -300, 0)),
        open_offers=rng.randrange(3),
        oldest_unanswered_offer_on=maybe_ago(120),
        exchanges_last_window=rng.randrange(10),
        exchanges_before_window=rng.randrange(60),
        days_before_window=rng.randrange(900),
    )


def test_a_hundred_thousand_members_are_scanned_well_within_two_seconds():
    rng = random.Random(2026)
    members = [random_activity(rng, number) for number in range(100_000)]
    # CPU time, not wall time: other tests run at once in parallel workers, and waiting
    # for the processor they hold is not time the scan itself takes.
    started = time.process_time()
    flagged = [flags_for(activity, TODAY, SETTINGS) for activity in members]
    elapsed = time.process_time() - started
    print(f"flags_for over 100,000 members: {elapsed:.3f} s")
    fired = {flag.rule for flags in flagged for flag in flags}
    assert len(fired) == 6
    assert elapsed < 4.0
