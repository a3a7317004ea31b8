"""Presets that mean what they say, and the previous period retention compares with."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.functional.ledger_pages import signed_in, text_of
from timebank.reports.period import Period, preset, previous


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        # On 7 December: December 2025 to November 2026, not 1 January to today.
        (dt.date(2026, 12, 7), dt.date(2025, 12, 1), dt.date(2026, 11, 30)),
        # On the first of a month: the month just begun is not one of the twelve.
        (dt.date(2026, 3, 1), dt.date(2025, 3, 1), dt.date(2026, 2, 28)),
        # On the last day of a year: still the twelve months before this one.
        (dt.date(2026, 12, 31), dt.date(2025, 12, 1), dt.date(2026, 11, 30)),
    ],
)
def test_the_last_12_months_are_twelve_whole_months(today, start, end):
    found = preset("last_12_months", today)

    assert found == Period(start, end)
    assert len(found.months()) == 12


def test_this_year_so_far_runs_from_the_first_of_january_to_today():
    today = dt.date(2026, 12, 7)

    assert preset("this_year", today) == Period(dt.date(2026, 1, 1), today)


@pytest.mark.parametrize(
    ("start", "end", "before_start", "before_end"),
    [
        # A quarter follows the quarter before it.
        ((2026, 1, 1), (2026, 3, 31), (2025, 10, 1), (2025, 12, 31)),
        # A month follows the month before, however long each is.
        ((2026, 3, 1), (2026, 3, 31), (2026, 2, 1), (2026, 2, 28)),
        # Other dates: as many days, ending the day before.
        ((2026, 12, 2), (2026, 12, 7), (2026, 11, 26), (2026, 12, 1)),
    ],
)
def test_the_previous_period_is_as_long_and_ends_the_day_before(
    start, end, before_start, before_end
):
    found = previous(Period(dt.date(*start), dt.date(*end)))

    assert found == Period(dt.date(*before_start), dt.date(*before_end))


def test_the_period_form_names_both_presets_plainly(app, broker):
    text = text_of(signed_in(app, broker).get("/reports"))

    assert "The last 12 whole months" in text
    assert "This year so far (1 January to today)" in text


def test_this_year_so_far_can_be_chosen_on_the_page(app, broker, bank):
    from timebank.reports.formatting import format_date
    from timebank.tenancy.days import today_in_zone

    page = signed_in(app, broker).get("/reports", query_string={"period": "this_year"})
    today = today_in_zone(bank.timezone)

    assert page.status_code == 200
    assert f"1 January {today.year} to {format_date(today)}" in text_of(page)
