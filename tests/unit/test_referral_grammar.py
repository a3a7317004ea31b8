"""What a referral text may keep: never an NHS number, only a few words of need."""

from __future__ import annotations

from timebank.referrals.grammar import (
    parse_reference,
    redact_identifiers,
    reference,
    tidy_first_name,
)


def test_nhs_numbers_are_removed_from_the_reason_in_any_spacing():
    for written in ("943 476 5919", "9434765919", "943-476-5919"):
        cleaned, removed = redact_identifiers(f"gardening, NHS {written}, lonely")
        assert removed and "5919" not in cleaned
        assert cleaned == "gardening, NHS [removed], lonely"


def test_an_ordinary_reason_is_kept_as_written():
    assert redact_identifiers("help with shopping on Tuesdays") == (
        "help with shopping on Tuesdays",
        False,
    )


def test_references_round_trip():
    assert reference(42) == "R-0042"
    assert [parse_reference(t) for t in ("R-0042", "r42", " 42 ", "R 42", "x42")] == [
        42,
        42,
        42,
        42,
        None,
    ]


def test_first_names_are_tidied():
    assert tidy_first_name("jANE") == "Jane"
    assert tidy_first_name("mary-ann.") == "Mary-Ann"
