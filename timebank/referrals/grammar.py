"""Rules for what a referral text may carry: a first name, a mobile and a few words of need."""

from __future__ import annotations

import re

# NHS numbers are ten digits, often written 3-3-4. They must never be kept from a text.
_NHS_NUMBER = re.compile(r"(?<!\d)\d{3}[\s-]?\d{3}[\s-]?\d{4}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{6,}")
MAX_REASON = 200


def redact_identifiers(reason: str) -> tuple[str, bool]:
    """Remove NHS-number-like and other long digit runs; say whether anything was removed."""
    cleaned = _NHS_NUMBER.sub("[removed]", reason)
    cleaned = _LONG_DIGITS.sub("[removed]", cleaned)
    cleaned = " ".join(cleaned.split())[:MAX_REASON]
    return cleaned, cleaned != " ".join(reason.split())[:MAX_REASON]


def reference(referral_id: int) -> str:
    """Return the short reference a practice quotes: R-0042."""
    return f"R-{referral_id:04d}"


def parse_reference(text: str) -> int | None:
    """Return the referral id in 'R-0042', 'r42' or '42', if there is one."""
    match = re.fullmatch(r"\s*(?:r\s*-?\s*)?0*(\d{1,9})\s*", text, re.IGNORECASE)
    return int(match.group(1)) if match else None


def tidy_first_name(name: str) -> str:
    """Return a first name as people write it on a letter: 'jANE' -> 'Jane'."""
    name = name.strip(" .,")[:40]
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))
