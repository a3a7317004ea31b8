"""The evidence report on a small hand-built time bank, with the answers worked out by hand.

The period is January to March 2026. Each exchange below says what it adds to the figures.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from tests.factories import TimeBankFactory, member_joined, noon_on, record_help
from timebank.ledger.resolutions import confirm_pending, reverse_transfer
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.ledger.services import (
    GroupExchangeRequest,
    record_group_exchange,
)
from timebank.membership.services import set_member_status
from timebank.reports.build import build_report
from timebank.reports.tables import SUPPRESSED, Report

START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


exchange = record_help


@pytest.fixture
def bank(session):
    """Return a bank whose members may log exchanges years back: these tests build history."""
    return TimeBankFactory(exchange_past_days=OLDEST_PAST_DAYS)


@pytest.fixture
def people(session, bank):
    """Return the bank's members by first name."""
    return {
        "ann": member_joined(bank, "Ann North", dt.date(2025, 6, 10), area="North"),
        "bob": member_joined(bank, "Bob North", dt.date(2026, 1, 15), area="North"),
        "cy": member_joined(bank, "Cy South", dt.date(2026, 2, 1), area="South"),
        "dee": member_joined(bank, "Dee Broker", dt.date(2025, 1, 1), role="broker"),
        "eve": member_joined(bank, "Eve South", dt.date(2025, 1, 1), area="South"),
        "fay": member_joined(bank, "Fay Nowhere", dt.date(2025, 1, 1)),
        "gus": member_joined(bank, "Gus North", dt.date(2025, 9, 1), area="North"),
    }


@pytest.fixture
def ledger(session, bank, people):
    """Build January to March 2026 (and a little either side) by hand."""
    ann, bob, cy, dee, eve, fay, gus = (people[k] for k in "ann bob cy dee eve fay gus".split())
    # 1. The period's first day: 60 minutes of gardening, North to North.
    exchange(session, ann, bob, 60, START, "Gardening")
    # 2. The period's last day: 30 minutes of company, North to South.
    exchange(session, bob, cy, 30, END, "Company")
    # 3. The day before: not in the period, but Eve and Ann were active in January.
    exchange(session, eve, ann, 45, dt.date(2025, 12, 31), "Gardening")
    # 4. The day after: counts for nothing.
    exchange(session, gus, ann, 15, dt.date(2026, 4, 1), "Gardening")
    # 5. Logged by the giver and never confirmed: not counted.
    exchange(session, cy, eve, 20, dt.date(2026, 2, 10), "Company", by=cy)
    # 6. Posted, then reversed: not counted.
    wrong = exchange(session, ann, eve, 90, dt.date(2026, 2, 15), "Company")
    reverse_transfer(session, bank.id, wrong, uuid.uuid4(), dee.id, "Logged twice")
    # 7. A group exchange: Eve cooks for Ann and Bob, 2 x 120 minutes, one exchange.
    record_group_exchange(
        session,
        GroupExchangeRequest(
            group_id=uuid.uuid4(),
            bank_id=bank.id,
            giver_ids=[eve.id],
            receiver_ids=[ann.id, bob.id],
            minutes=120,
            recorded_by_id=dee.id,
            happened_on=dt.date(2026, 2, 20),
            skill_category="Cooking",
        ),
    )
    # 8. Logged by Cy for 40, confirmed by Bob for 30; no kind of help said.
    pending = exchange(session, cy, bob, 40, dt.date(2026, 3, 5), by=cy)
    confirm_pending(session, bank.id, pending, uuid.uuid4(), bob.id, minutes=30)
    # 9. Long before: Fay and Gus met in October (a connection, not an active one).
    exchange(session, fay, gus, 60, dt.date(2025, 10, 1))
    set_member_status(session, bank.id, fay.id, "left", now=noon_on(dt.date(2026, 3, 10)))
    return bank


def figure(report: Report, key: str):
    for section in report.sections:
        for found in section.figures:
            if found.key == key:
                return found.value
    raise AssertionError(f"no figure {key}")


def rows(report: Report, key: str):
    table = report.table(key)
    assert table is not None, key
    return list(table.rows)


def test_hours_and_exchanges_count_confirmed_unreversed_exchanges_in_the_period(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # 60 (first day) + 120 (group: Eve's 2 hours, once) + 30 (confirmed for 30) + 30 (last
    # day). The ledger credited Eve 240 for the group: 360 + 120 credited in all.
    assert figure(report, "hours_exchanged") == 240
    assert figure(report, "hours_credited") == 360
    assert figure(report, "exchanges") == 4
    assert rows(report, "exchanges_by_month") == [(JAN, 1, 60), (FEB, 1, 120), (MAR, 2, 60)]
    assert rows(report, "exchanges_by_category") == [
        ("Cooking", 1, 120),
        ("Gardening", 1, 60),
        ("Company", 1, 30),
        ("Not said", 1, 30),
    ]


def test_member_figures_of_the_period(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # Traded from 1 January to 31 March: Ann, Bob, Cy and Eve (not Fay, nor Gus on 1 April).
    assert figure(report, "active_members") == 4
    assert figure(report, "new_members") == 2  # Bob and Cy
    assert figure(report, "left_members") == 1  # Fay, on 10 March
    # Ann (gave 1, got 7), Bob, Cy (got 2, gave 8); Eve's only receiving was reversed.
    assert figure(report, "gave_and_received") == 3


def test_active_members_by_month_look_back_over_three_calendar_months(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # January: November to January holds exchanges 3 and 1 (Eve, Ann, Bob), not Fay and
    # Gus's of 1 October. February: December to February, the same three. March: Cy too.
    assert rows(report, "active_by_month") == [(JAN, 3), (FEB, 3), (MAR, 4)]


def test_estimated_value_is_hours_times_the_banks_hourly_value(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    assert figure(report, "hourly_value") == 1390
    # Four hours of help given (the group exchange once for its one giver).
    assert figure(report, "estimated_value") == 240 * 1390 // 60


def test_funder_report_hides_few_people_shows_hours_money_and_exchanges_and_names_no_member(
    session, ledger, people
):
    report = build_report(session, ledger.id, START, END, "funder")

    # Exchanges, hours and money are not people: exact, however few.
    assert figure(report, "exchanges") == 4
    assert figure(report, "hours_exchanged") == 240
    assert figure(report, "estimated_value") == 240 * 1390 // 60
    # Four active members: a count of people from 1 to 7, hidden.
    assert figure(report, "active_members") is SUPPRESSED
    assert figure(report, "hourly_value") == 1390
    text = repr(report)
    for person in people.values():
        assert re.search(rf"\b{person.first_name}\b", text) is None, person.first_name


def test_networks_count_each_members_circle_up_to_the_end(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # Pairs up to 31 March: Ann-Bob, Bob-Cy, Ann-Eve, Bob-Eve, Fay-Gus (not the reversed
    # Ann-Eve of February, the pending Cy-Eve, nor Gus-Ann in April).
    # Circles: Ann 2, Bob 3, Cy 1, Eve 2, Fay 1, Gus 1 -> 1 1 1 2 2 3, middle (1 + 2) / 2.
    assert figure(report, "median_partners") == 1.5
    assert rows(report, "partners_distribution") == [
        ("1", 3),
        ("2 to 3", 3),
        ("4 to 6", 0),
        ("7 to 10", 0),
        ("11 or more", 0),
    ]


def test_new_connections_are_pairs_meeting_for_the_first_time_in_the_period(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # Ann-Bob in January, Bob-Eve in February, Bob-Cy in March; Ann-Eve met in December.
    assert figure(report, "new_connections") == 3
    assert rows(report, "connections_by_month") == [(JAN, 1), (FEB, 1), (MAR, 1)]


def test_exchanges_across_areas_count_each_giver_and_receiver_pair(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # Ann-Bob (North-North) once; Eve-Ann, Eve-Bob (the group), Cy-Bob and Bob-Cy cross.
    assert figure(report, "cross_area_exchanges") == 4
    assert figure(report, "cross_area_share") == 80.0


def test_a_short_period_has_no_cohort_old_enough_to_show(session, ledger):
    report = build_report(session, ledger.id, START, END, "broker")

    # Bob joined in January, Cy in February: 3 months on is April and May, after the end.
    assert rows(report, "retention") == [
        (JAN, 1, None, None, None),
        (FEB, 1, None, None, None),
        (MAR, 0, None, None, None),
    ]
