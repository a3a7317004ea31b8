"""The one redaction for what practices text: NHS numbers and birth dates in any spelling."""

from __future__ import annotations

import pytest

from timebank.referrals.grammar import MAX_REASON, redact_identifiers


@pytest.mark.parametrize(
    "written",
    [
        "943 476 5919",
        "9434765919",
        "943-476-5919",
        "943.476.5919",
        "943 / 476 / 5919",
        "94347 65919",
        "943\u2013476\u20135919",  # en dashes, as phones autocorrect them
        "\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19",  # full-width digits
    ],
)
def test_an_nhs_number_is_removed_however_it_is_written(written):
    cleaned, removed = redact_identifiers(f"gardening, NHS {written}, lonely")

    assert removed
    assert cleaned == "gardening, NHS [removed], lonely"


@pytest.mark.parametrize(
    "birth",
    [
        "12/03/1941",
        "12.3.41",
        "12-03-1941",
        "1941-03-12",
        "12th March 1941",
        "12 Mar 41",
        "3rd of May 1941",
        "March 12, 1941",
        "born 1941",
        "DOB: 1941",
        "d.o.b. 1941",
    ],
)
def test_a_date_of_birth_is_removed(birth):
    cleaned, removed = redact_identifiers(f"lonely, {birth}, likes cards")

    assert removed
    assert cleaned == "lonely, [removed], likes cards"


@pytest.mark.parametrize(
    "words",
    [
        "help with shopping on Tuesdays",
        "mornings 9 - 12, 2 - 4 weekdays",
        "1h30 on 3rd May at 10:30",
        "aged 82, 2 cats, lonely since 2019",
        "gardening in May",
    ],
)
def test_ordinary_words_of_need_are_kept_as_written(words):
    assert redact_identifiers(words) == (words, False)


def test_the_reason_is_cut_to_its_limit_and_a_whole_text_to_the_limit_given():
    long = "x " * 200 + "943 476 5919"

    assert len(redact_identifiers(long)[0]) == MAX_REASON
    assert redact_identifiers(long, 1600)[0].endswith("[removed]")
