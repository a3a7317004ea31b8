"""Rules for what a referral text may carry: a first name, a mobile and a few words of need."""

from __future__ import annotations

import re

# NHS numbers are ten digits, often written 3-3-4 but also 5-5, with dots, slashes or
# dashes: any ten digits or more with up to three such marks between two digits. They must
# never be kept from a text (`\d` also matches other scripts' digits, e.g. full-width).
_NHS_NUMBER = re.compile(r"(?<!\d)\d(?:[\s./\-\u2010-\u2015]{0,3}\d){9,}(?!\d)")
_LONG_DIGITS = re.compile(r"\d{6,}")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
# Dates of birth as people type them: 12/03/1941, 12.3.41, 1941-03-12, 12th March 1941,
# March 12 1941, and a bare year after "born" or "DOB". Any full date goes: in a few words
# of need a date is far more often a birthday than anything a broker needs.
_DATES = re.compile(
    r"(?<!\d)\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?!\d)"
    r"|(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{2,4}}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
    r"|\b(?:dob|d\.o\.b\.?|born(?:\s+in)?)\s*:?\s*\d{4}\b",
    re.IGNORECASE,
)
REMOVED = "[removed]"
MAX_REASON = 200


def redact_identifiers(text: str, limit: int = MAX_REASON) -> tuple[str, bool]:
    """Remove dates of birth, NHS numbers and other long digit runs; say if any were removed.

    The one redaction for everything a practice texts: the reason kept on a referral and
    the practice's text itself, before either is stored. Spaces are tidied and the result
    cut to `limit` characters.
    """
    cleaned, found = text, 0
    for pattern in (_DATES, _NHS_NUMBER, _LONG_DIGITS):
        cleaned, count = pattern.subn(REMOVED, cleaned)
        found += count
    return " ".join(cleaned.split())[:limit], found > 0


def reference(referral_id: int) -> str:
    """Return the short reference a practice quotes: R-0042."""
    return f"R-{referral_id:04d}"


def parse_reference(text: str) -> int | None:
    """Return the referral id in 'R-0042', 'r42' or '42', if there is one."""
    match = re.fullmatch(r"\s*(?:r\s*-?\s*)?0*(\d{1,9})\s*", text, re.IGNORECASE)
    return int(match.group(1)) if match else None


def tidy_first_name(name: str) -> str:
    """Return a first name as people write it on a letter: 'jANE' -> 'Jane'.

    Names have no digits: any typed into one (an NHS number run on) are dropped.
    """
    name = re.sub(r"\d", "", name).strip(" .,")[:40]
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))
