"""The pure parts behind the member's pages: dates, statements, and the words they use."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from timebank.ledger.queries import BalanceSummary, ExchangeLine, Statement
from timebank.tenancy.days import today_in_zone
from timebank.web.exchange_drafts import join_names, kind_of_help
from timebank.web.home import limit_sentence, parse_month


def line(minutes: int, given: bool, code: str = "exchange") -> ExchangeLine:
    return ExchangeLine(
        id=uuid.uuid4(),
        code=code,
        happened_on=dt.date(2026, 10, 1),
        recorded_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
        minutes=minutes,
        logged_minutes=minutes,
        given=given,
        state="confirmed",
        other_member_id=None,
        other_name="Sam",
        skill_category=None,
        description="",
        recorded_by_id=None,
        group_id=None,
    )


def test_today_is_the_date_in_the_banks_time_zone():
    late_evening_utc = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)
    assert today_in_zone("Europe/London", lambda: late_evening_utc) == dt.date(2026, 7, 1)
    assert today_in_zone("UTC", lambda: late_evening_utc) == dt.date(2026, 6, 30)


def test_statement_keeps_help_apart_from_corrections():
    statement = Statement(
        dt.date(2026, 10, 1),
        opening=120,
        lines=[line(45, True), line(90, False), line(60, False, code="reversal")],
    )
    assert (statement.given, statement.received, statement.other_changes) == (45, 90, -60)
    assert statement.closing == 120 + 45 - 90 - 60


@pytest.mark.parametrize(
    ("minimum", "maximum", "words"),
    [
        (-600, None, "You can go down to minus 10 hours."),
        (-90, None, "You can go down to minus 1 hour 30 minutes."),
        (0, None, "Your balance cannot go below zero."),
        (None, None, "There is no lower limit on your balance."),
        (-600, 2400, "You can go down to minus 10 hours. You can go up to 40 hours."),
    ],
)
def test_the_limit_is_said_in_words(minimum, maximum, words):
    assert limit_sentence(BalanceSummary(0, minimum, maximum, 0, 0)) == words


def test_kinds_of_help_read_naturally_inside_a_sentence():
    assert kind_of_help("Gardening") == "gardening"
    assert kind_of_help("IT help") == "IT help"
    assert kind_of_help(None) == "help"


def test_names_are_joined_as_people_write_them():
    assert join_names(["Ann"]) == "Ann"
    assert join_names(["Ann", "Bob"]) == "Ann and Bob"
    assert join_names(["Ann", "Bob", "Cy"]) == "Ann, Bob and Cy"


@pytest.mark.parametrize(
    ("text", "month"),
    [("2026-10", (2026, 10)), ("2026-13", None), ("soon", None), ("", None), (None, None)],
)
def test_a_month_in_a_web_address_is_read_carefully(text, month):
    assert parse_month(text) == month
