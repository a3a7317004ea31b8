"""The SMS grammar: what members and practices text, read forgivingly and never crashing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from timebank.sms.commands import (
    Answer,
    Balance,
    Gave,
    Help,
    Join,
    OptIn,
    OptOut,
    Refer,
    Unknown,
    parse_duration,
    parse_text,
)
from timebank.sms.gsm import is_gsm7, segment_count, to_gsm7


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "cancel", "END", "quit."])
def test_every_opt_out_word_stops_texts(word):
    assert parse_text(word) == OptOut()


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_and_unstop_opt_back_in(word):
    assert parse_text(word) == OptIn()


def test_stop_inside_a_sentence_is_not_an_opt_out():
    assert parse_text("please stop by on tuesday") == Unknown()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Help()),
        ("  BAL ", Balance()),
        ("balance", Balance()),
        ("YES 123", Answer(True, 123)),
        ("no #45", Answer(False, 45)),
        ("Yes", Answer(True, None)),
        ("n", Answer(False, None)),
        ("join", Join("")),
        ("JOIN Mary", Join("Mary")),
    ],
)
def test_keywords_are_read_in_any_case_and_spacing(text, expected):
    assert parse_text(text) == expected


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("30m", 30),
        ("45 mins", 45),
        ("1h", 60),
        ("1h30", 90),
        ("1 hour 30", 90),
        ("1:30", 90),
        ("1.5", 90),
        ("2 hours", 120),
        ("2", 120),
        ("90", 90),
        ("0", None),
        ("lots", None),
    ],
)
def test_durations_are_read_the_ways_people_write_them(text, minutes):
    assert parse_duration(text) == minutes


def test_gave_to_a_member_number_with_what_it_was():
    assert parse_text("GAVE 1h30 TO 123 gardening") == Gave(90, 123, None, "gardening")
    assert parse_text("log 1.5 to M12") == Gave(90, 12, None, "")


def test_gave_to_a_mobile_number_in_uk_format():
    assert parse_text("gave 2 hours to 07123 456789 shopping") == Gave(
        120, None, "07123 456789", "shopping"
    )


def test_gave_without_a_readable_time_says_which_command_it_looked_like():
    assert parse_text("gave lots to bob") == Unknown("gave")


@pytest.mark.parametrize(
    "text",
    [
        "REFER 07123 456789 Jane gardening, lonely since her husband died",
        "refer: +44 7123-456-789 Jane gardening, lonely since her husband died",
        "Refer 0712 345 6789 Jane gardening, lonely since her husband died",
        "refer   07123456789   Jane   gardening,  lonely since her husband died",
    ],
)
def test_referrals_tolerate_case_spacing_and_uk_number_formats(text):
    command = parse_text(text)
    assert isinstance(command, Refer)
    assert command.first_name == "Jane"
    assert command.reason == "gardening, lonely since her husband died"
    assert "".join(ch for ch in command.mobile if ch.isdigit()).endswith("7123456789")


def test_a_comma_after_the_first_name_is_forgiven():
    assert parse_text("REFER 07812 345678 Jane, lonely") == Refer("07812 345678", "Jane", "lonely")


def test_a_referral_without_a_name_is_not_understood():
    assert parse_text("REFER 07123 456789") == Unknown("refer")
    assert parse_text("REFER Jane") == Unknown("refer")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_at_all_parses_without_error(body):
    command = parse_text(body)
    assert command is not None


@pytest.mark.parametrize(
    "body", ["", "   ", "😀😀", "'; DROP TABLE members; --", "x" * 5000, "Bonjour, je voudrais"]
)
def test_odd_texts_are_unknown(body):
    assert isinstance(parse_text(body), Unknown)


def test_gsm7_segments_are_counted_like_a_phone_does():
    assert segment_count("a" * 160) == 1
    assert segment_count("a" * 161) == 2
    assert segment_count("a" * 306) == 2 and segment_count("a" * 307) == 3
    assert segment_count("€" * 80) == 1 and segment_count("€" * 81) == 2
    assert segment_count("😀" * 35) == 1 and segment_count("😀" * 36) == 2
    assert segment_count("é" * 70) == 1 and is_gsm7("é")


def test_typographic_characters_are_replaced_to_stay_in_gsm7():
    text = to_gsm7("It\u2019s \u201cdone\u201d \u2013 thanks\u2026")
    assert text == 'It\'s "done" - thanks...' and is_gsm7(text)
