"""Mobile numbers are stored as E.164; passwords only as argon2 hashes."""

from __future__ import annotations

import pytest

from timebank.members.passwords import hash_password, password_matches
from timebank.phones import InvalidPhoneNumber, normalise_mobile


@pytest.mark.parametrize(
    "typed",
    ["07123 456789", "07123456789", "+44 7123 456789", "(07123) 456-789", " 0044 7123456789"],
)
def test_uk_mobile_numbers_in_any_common_format_become_e164(typed):
    assert normalise_mobile(typed) == "+447123456789"


@pytest.mark.parametrize("typed", ["", "hello", "0712", "07123 4567891234"])
def test_malformed_numbers_are_refused_in_plain_words(typed):
    with pytest.raises(InvalidPhoneNumber) as caught:
        normalise_mobile(typed)
    assert "number" in caught.value.message


def test_password_hash_is_argon2_and_verifies_only_the_right_password():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2")
    assert "correct horse" not in stored
    assert password_matches(stored, "correct horse")
    assert not password_matches(stored, "wrong horse")
    assert not password_matches(None, "correct horse")
    assert not password_matches("not a hash", "correct horse")
