"""Passwords: argon2 hashing (only hashes are stored) and the rules a new password must meet.

The rules follow the NCSC's advice: length, and none of the passwords people choose most
often, rather than demands for symbols. A password made only of spaces or of one repeated
character, or holding the member's own name or mobile number, is as easy to guess.
"""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from timebank.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200
# Shorter names ("Al", "Jo") are inside too many ordinary words to refuse.
MIN_NAME_LENGTH = 3
SUGGESTION = "Try three or four words you will remember that others would not guess."
# Digits, spaces and symbols people add before or after a common password ("Password1!").
_TRIMMINGS = re.compile(r"^[\W\d_]+|[\W\d_]+$")

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Return an argon2 hash of `password`."""
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Return True when `password` matches the stored hash."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return the most common passwords, lower-cased (see members/data/README.md)."""
    packed = resources.files("timebank.members").joinpath("data/common-passwords.txt.gz")
    text = gzip.decompress(packed.read_bytes()).decode("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def is_common(password: str) -> bool:
    """Tell whether `password` is a common one, whatever its case or trimmings."""
    lowered = password.strip().lower()
    forms = {lowered, _TRIMMINGS.sub("", lowered), re.sub(r"\s+", "", lowered)}
    return bool(forms & common_passwords())


def check_password_rules(
    password: str, names: tuple[str, ...] = (), mobile_e164: str | None = None
) -> None:
    """Raise InvalidInput, saying what to do instead, if `password` is too easy to guess."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"Your password needs at least {MIN_PASSWORD_LENGTH} characters. {SUGGESTION}"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Your password can have at most {MAX_PASSWORD_LENGTH} characters.")
    if not password.strip():
        raise InvalidInput(f"A password of only spaces is easy to guess. {SUGGESTION}")
    if len(set(password)) == 1:
        raise InvalidInput(
            f"A password of one character again and again is easy to guess. {SUGGESTION}"
        )
    if is_common(password):
        raise InvalidInput(
            "That password is one of the most common, so it is easy to guess."
            f" Choose another. {SUGGESTION}"
        )
    _check_personal(password, names, mobile_e164)


def _check_personal(password: str, names: tuple[str, ...], mobile_e164: str | None) -> None:
    lowered = password.casefold()
    words = {w.casefold() for name in names for w in re.findall(r"[^\W\d_]+", name)}
    if any(len(w) >= MIN_NAME_LENGTH and w in lowered for w in words):
        raise InvalidInput(
            "Your password has your name in it, which others may know."
            " Choose one without your name."
        )
    national = _national_number(mobile_e164)
    if national and national in re.sub(r"\D", "", password):
        raise InvalidInput(
            "Your password has your mobile number in it, which others may know."
            " Choose one without your number."
        )


def _national_number(mobile_e164: str | None) -> str | None:
    """Return a mobile's number without country code or leading 0, e.g. 7450120567."""
    if not mobile_e164:
        return None
    try:
        return str(phonenumbers.parse(mobile_e164).national_number)
    except phonenumbers.NumberParseException:
        return None
