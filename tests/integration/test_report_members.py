"""Members staying on (joining cohorts) and members leaving, on hand-built members."""

from __future__ import annotations

import datetime as dt

from tests.factories import member_joined, noon_on, record_help
from timebank.membership.services import set_member_status
from timebank.reports.build import build_report

START, END = dt.date(2025, 1, 1), dt.date(2026, 1, 31)


def helped(session, member, helper, on):
    """Record an hour of help from `helper` to `member` on `on`."""
    record_help(session, helper, member, on=on)


def retention_rows(report):
    table = report.table("retention")
    assert table is not None
    return {row[0]: row[1:] for row in table.rows}


def test_cohorts_count_who_traded_in_the_three_months_up_to_each_mark(session, bank):
    helper = member_joined(bank, "Hugh Helper", dt.date(2020, 1, 1))
    ann = member_joined(bank, "Ann January", dt.date(2025, 1, 10))
    bob = member_joined(bank, "Bob January", dt.date(2025, 1, 20))
    member_joined(bank, "Cy January", dt.date(2025, 1, 31))  # never trades
    dee = member_joined(bank, "Dee October", dt.date(2025, 10, 5))
    member_joined(bank, "Eve November", dt.date(2025, 11, 1))
    # January's joiners: 3 months on is February to April, 6 is May to July, 12 is
    # November to January. Ann traded in March, June and December; Bob in February only.
    for day in (dt.date(2025, 3, 3), dt.date(2025, 6, 3), dt.date(2025, 12, 3)):
        helped(session, ann, helper, day)
    helped(session, bob, helper, dt.date(2025, 2, 14))
    # October's joiner: 3 months on is November to January; Dee traded in December.
    helped(session, dee, helper, dt.date(2025, 12, 24))

    rows = retention_rows(build_report(session, bank.id, START, END, "broker"))

    assert rows[dt.date(2025, 1, 1)] == (3, 2, 1, 1)
    assert rows[dt.date(2025, 10, 1)] == (1, 1, None, None)
    # November's 3 months on end in February 2026, after the period: not yet.
    assert rows[dt.date(2025, 11, 1)] == (1, None, None, None)
    assert rows[dt.date(2025, 2, 1)] == (0, 0, 0, None)
    assert len(rows) == 13


def test_leaving_is_dated_and_coming_back_clears_it(session, bank):
    fay = member_joined(bank, "Fay Leaving", dt.date(2024, 1, 1))

    set_member_status(session, bank.id, fay.id, "left", now=noon_on(dt.date(2025, 3, 1)))
    assert fay.left_at is not None and fay.left_at.date() == dt.date(2025, 3, 1)
    # Saying "left" again keeps the day they first left.
    set_member_status(session, bank.id, fay.id, "left", now=noon_on(dt.date(2025, 4, 1)))
    assert fay.left_at.date() == dt.date(2025, 3, 1)

    set_member_status(session, bank.id, fay.id, "active", now=noon_on(dt.date(2025, 5, 1)))
    assert fay.left_at is None


def test_members_who_left_count_in_the_period_they_left_unless_they_came_back(session, bank):
    dates = (dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2026, 1, 31), dt.date(2026, 2, 1))
    for number, day in enumerate(dates):
        person = member_joined(bank, f"Leaver {number}", dt.date(2024, 1, 1))
        set_member_status(session, bank.id, person.id, "left", now=noon_on(day))
    back = member_joined(bank, "Gil Returning", dt.date(2024, 1, 1))
    set_member_status(session, bank.id, back.id, "left", now=noon_on(dt.date(2025, 6, 1)))
    set_member_status(session, bank.id, back.id, "active", now=noon_on(dt.date(2025, 7, 1)))

    report = build_report(session, bank.id, START, END, "broker")

    members = next(section for section in report.sections if section.key == "members")
    left = next(found for found in members.figures if found.key == "left_members")
    # The first and last days of the period count; the days either side do not.
    assert left.value == 2


def test_a_three_year_period_counts_active_members_in_its_late_months(session, bank):
    helper = member_joined(bank, "Hugh Helper", dt.date(2020, 1, 1))
    ann = member_joined(bank, "Ann Late", dt.date(2020, 1, 1))
    helped(session, ann, helper, dt.date(2025, 11, 20))

    report = build_report(session, bank.id, dt.date(2023, 1, 1), dt.date(2025, 12, 31))

    line = dict(report.table("active_by_month").rows)
    # Month 35 of the period: November 2025 is in its three months (and in December's).
    assert line[dt.date(2025, 12, 1)] == 2
    assert line[dt.date(2025, 11, 1)] == 2
    assert line[dt.date(2025, 10, 1)] == 0
    # Its bit is the 37th: in a 32-bit number it would wrap round to April 2023.
    assert line[dt.date(2023, 4, 1)] == 0
    assert line[dt.date(2023, 1, 1)] == 0
