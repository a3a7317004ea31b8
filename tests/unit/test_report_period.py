"""Report periods: presets seen from a given day, and dates typed by people."""

from __future__ import annotations

import datetime as dt

import pytest

from timebank.errors import InvalidInput
from timebank.reports.period import Period, add_months, parse_period, preset

TODAY = dt.date(2026, 3, 5)


def test_last_twelve_months_are_the_twelve_whole_months_before_this_one():
    assert preset("last_12_months", TODAY) == Period(dt.date(2025, 3, 1), dt.date(2026, 2, 28))


def test_this_month_runs_to_today_and_last_month_is_whole():
    assert preset("this_month", TODAY) == Period(dt.date(2026, 3, 1), TODAY)
    assert preset("last_month", TODAY) == Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_last_month_in_january_is_last_december():
    january = dt.date(2026, 1, 15)
    assert preset("last_month", january) == Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))


def test_financial_year_runs_april_to_march():
    assert preset("this_financial_year", TODAY) == Period(dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    assert preset("this_financial_year", dt.date(2026, 4, 1)) == Period(
        dt.date(2026, 4, 1), dt.date(2027, 3, 31)
    )


def test_a_calendar_year_is_this_year_unless_another_is_chosen():
    assert preset("year", TODAY) == Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert preset("year", TODAY, 2024).end == dt.date(2024, 12, 31)
    with pytest.raises(InvalidInput, match="between 2000 and 2100"):
        preset("year", TODAY, 1066)


def test_an_unknown_preset_lists_the_choices_in_words():
    with pytest.raises(InvalidInput, match="the last 12 months, this year so far, this month"):
        preset("fortnight", TODAY)


def test_typed_dates_make_a_period_with_both_ends_included():
    period = parse_period("2026-01-01", " 2026-01-31 ")
    assert period == Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert period.days == 31


def test_an_end_before_the_start_says_so():
    with pytest.raises(InvalidInput, match="end date is before the start date"):
        parse_period("2026-02-01", "2026-01-31")


def test_a_period_of_more_than_five_years_is_refused():
    assert parse_period("2021-01-01", "2025-12-31").days == 1826
    with pytest.raises(InvalidInput, match="at most five years"):
        parse_period("2021-01-01", "2026-01-01")


@pytest.mark.parametrize("text", ["31/01/2026", "2026-02-30", "yesterday"])
def test_a_date_that_is_not_a_date_says_how_to_write_one(text):
    with pytest.raises(InvalidInput, match="like 2026-04-01"):
        parse_period(text, "2026-03-01")


def test_a_missing_date_asks_for_it():
    with pytest.raises(InvalidInput, match="Please give the end date"):
        parse_period("2026-01-01", None)


def test_months_of_a_period_are_the_first_days_of_each_month_it_touches():
    period = Period(dt.date(2025, 11, 15), dt.date(2026, 1, 10))
    assert period.months() == [dt.date(2025, 11, 1), dt.date(2025, 12, 1), dt.date(2026, 1, 1)]
    assert period.month_end(dt.date(2026, 1, 1)) == dt.date(2026, 1, 10)


def test_adding_months_keeps_the_day_or_the_months_last_day():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)
