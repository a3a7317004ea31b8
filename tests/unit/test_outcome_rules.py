"""The outcome questions' pure rules: periods from joining, asking hours, bare numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from timebank.broker.dormancy import DormancySettings, MemberActivity, often_lonely
from timebank.outcomes import questions
from timebank.sms.commands import Number, Unknown, parse_text


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


def test_six_months_after_the_31st_of_august_is_the_last_day_of_february():
    assert questions.add_months(at(2025, 8, 31, 10), 6) == at(2026, 2, 28, 10)
    assert questions.add_months(at(2027, 8, 31, 10), 6) == at(2028, 2, 29, 10)


@pytest.mark.parametrize(
    ("now", "expected_round"),
    [
        (at(2025, 1, 10, 9), 0),  # the moment of joining
        (at(2025, 7, 10, 8, 59), 0),  # a minute before six months
        (at(2025, 7, 10, 9), 1),  # six months to the minute
        (at(2026, 1, 10, 9), 2),
        (at(2024, 12, 1), 0),  # a clock before joining still means the first period
    ],
)
def test_the_period_a_time_falls_in_counts_whole_six_months_from_joining(now, expected_round):
    period = questions.current_period(at(2025, 1, 10, 9), now)
    assert period.round == expected_round
    assert period.closes_at == questions.add_months(at(2025, 1, 10, 9), 6 * (expected_round + 1))


@pytest.mark.parametrize(
    ("utc", "allowed"),
    [
        (at(2025, 7, 1, 7, 59), False),  # 8:59 in London (summer time)
        (at(2025, 7, 1, 8, 0), True),  # 9:00 in London
        (at(2025, 7, 1, 18, 59), True),  # 19:59
        (at(2025, 7, 1, 19, 0), False),  # 20:00
        (at(2025, 12, 1, 19, 30), True),  # 19:30 in winter
    ],
)
def test_texts_that_ask_are_queued_from_nine_to_eight_in_the_banks_time(utc, allowed):
    assert questions.may_ask_now(utc, "Europe/London") is allowed


def test_every_question_text_fits_one_text_even_for_a_long_bank_name():
    from timebank.sms.gsm import segment_count

    bank = "The Very Long Name Of A Community Time Bank Of Somewhere"
    texts = [questions.consent_question(bank), questions.lonely_question(bank),
             questions.satisfied_question(), questions.thanks(bank),
             questions.out_of_range("lonely"), questions.out_of_range("satisfied")]  # fmt: skip
    assert [segment_count(text) for text in texts] == [1] * len(texts)


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("3", Number(3)),
        (" 10. ", Number(10)),
        ("three", Unknown("number")),
        ("3 please", Unknown()),
        ("1234", Unknown()),
    ],  # fmt: skip
)
def test_a_bare_number_parses_as_a_number_and_a_number_word_as_a_hint(body, command):
    assert parse_text(body) == command


def _activity(said: dt.date | None) -> MemberActivity:
    return MemberActivity(
        member_id=1, first_name="Joyce", status="active", do_not_contact=False,
        joined_on=dt.date(2025, 1, 1), referred_on=None, first_exchange_on=None,
        last_exchange_on=None, last_given_on=None, last_received_on=None,
        given_since_joined=0, received_since_joined=0, balance_minutes=0,
        overdraft_minutes=-600, open_offers=0, oldest_unanswered_offer_on=None,
        exchanges_last_window=0, exchanges_before_window=0, days_before_window=0,
        often_lonely_on=said,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("said", "flagged"),
    [
        (None, False),
        (dt.date(2025, 7, 1), True),
        (dt.date(2024, 12, 31), True),
        (dt.date(2024, 12, 30), False),
        (dt.date(2025, 7, 2), False),
    ],  # fmt: skip
)
def test_often_lonely_stands_for_182_days_from_the_answer(said, flagged):
    flag = often_lonely(_activity(said), dt.date(2025, 7, 1), DormancySettings())
    assert (flag is not None) is flagged
