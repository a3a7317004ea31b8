"""Mobile numbers: read what people type, store E.164, and say which numbers a bank can text.

phonenumbers turns letters into the digits of a phone keypad (07450 ABCDEF reads as
07450 222333), which would give a member a stranger's number. So every letter, in any
alphabet, is refused before the library sees the text. Digits of any script (full-width
digits from a Japanese keyboard, say) are read as the digits they are, and dashes pasted
from a document as dashes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder

from timebank.errors import InvalidInput

# What a number may hold besides digits: the ways people space and group them.
_PUNCTUATION = frozenset(" +-()./")
# A sender as the provider writes one: + and up to 15 digits, the first not 0.
_E164 = re.compile(r"\+[1-9]\d{6,14}")
MOBILE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
# How the errors name a country; others take phonenumbers' English name.
_COUNTRY_NAMES = {"GB": "UK"}
DEFAULT_MOBILE_REGIONS = ("GB",)


class InvalidPhoneNumber(InvalidInput):
    code = "invalid_phone_number"


def _plain_digits(text: str) -> str:
    """Return `text` with digits of any script as 0-9; refuse letters and other signs."""
    cleaned = []
    for char in unicodedata.normalize("NFKC", text):
        if unicodedata.category(char) == "Cf":  # invisible direction marks pasted from phones
            continue
        if char.isdecimal():
            cleaned.append(str(unicodedata.decimal(char)))
        elif char.isspace() or char in _PUNCTUATION:
            cleaned.append(" " if char.isspace() else char)
        elif unicodedata.category(char) == "Pd":  # dashes pasted from documents: – ‑
            cleaned.append("-")
        elif char.isalpha():
            raise InvalidPhoneNumber(
                f"{text} has letters in it. A phone number has only digits, like 07123 456789."
            )
        else:
            raise InvalidPhoneNumber(f"{text} does not look like a phone number.")
    return "".join(cleaned)


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Please enter a mobile number.")
    digits = _plain_digits(text)
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"{text} does not look like a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"{text} is not a valid phone number. Please check the digits.")
    return number


def _e164_of(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_mobile(raw: str, region: str = "GB") -> str:
    """Return `raw` as an E.164 number (+447123456789) or raise InvalidPhoneNumber."""
    return _e164_of(_parse(raw, region))


def country_name(region: str) -> str:
    """Return how people name the country of region code `region`: UK, Ireland, France."""
    if region in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[region]
    example = phonenumbers.example_number(region)
    return (geocoder.country_name_for_number(example, "en") if example else "") or region


def mobiles_allowed(regions: Sequence[str]) -> str:
    """Return the numbers a bank takes in plain words: 'a UK mobile number'."""
    names = [country_name(region) for region in regions]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"a {listed} mobile number"


def _example(region: str) -> str:
    example = phonenumbers.example_number_for_type(region, PhoneNumberType.MOBILE)
    if example is None:
        return ""
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


def allowed_mobile(raw: str, regions: Sequence[str] = DEFAULT_MOBILE_REGIONS) -> str:
    """Return `raw` in E.164 if it is a mobile of a country in `regions`, else raise.

    Landlines, premium and personal numbers, satellite phones (+870, +881, +882) and the
    mobiles of other countries are refused in words that say what to type instead.
    """
    regions = tuple(regions) or DEFAULT_MOBILE_REGIONS
    for region in regions[1:]:  # a number written the way another allowed country writes it
        try:
            return _mobile_of(_parse(raw, region), regions)
        except InvalidPhoneNumber:
            pass
    return _mobile_of(_parse(raw, regions[0]), regions, raw)


def _mobile_of(number: phonenumbers.PhoneNumber, regions: Sequence[str], raw: str = "") -> str:
    example = _example(regions[0])
    wanted = f"This must be {mobiles_allowed(regions)}" + (f", like {example}." if example else ".")
    region = phonenumbers.region_code_for_number(number)
    country = geocoder.country_name_for_number(number, "en") if region not in regions else ""
    if country:
        raise InvalidPhoneNumber(f"{raw.strip()} is a {country} number. {wanted}")
    if region not in regions or phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise InvalidPhoneNumber(f"{raw.strip()} is not a mobile number we can text. {wanted}")
    return _e164_of(number)


def parse_regions(text: str) -> tuple[str, ...]:
    """Return region codes written as 'GB' or 'gb, ie'; raise for a code phonenumbers lacks."""
    regions = tuple(dict.fromkeys(part.strip().upper() for part in text.split(",") if part.strip()))
    if not regions:
        raise InvalidInput("Give at least one country code, such as GB.")
    unknown = [code for code in regions if code not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise InvalidInput(
            f"{', '.join(unknown)} is not a country code we know. Use two letters, such as GB."
        )
    if len(",".join(regions)) > 60:
        raise InvalidInput("Give at most 20 country codes.")
    return regions


def sender_number(raw: str) -> str | None:
    """Return a texter's number if the provider gave a real phone number, else None.

    Alphanumeric senders (EVILCORP), short codes and operator messages are not numbers
    anyone can be matched with or texted back.
    """
    text = (raw or "").strip()
    if not _E164.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    return _e164_of(number) if phonenumbers.is_valid_number(number) else None


def format_national(e164: str) -> str:
    """Return a stored E.164 number the way people write it: 07123 456789 in the UK.

    A number of another country keeps its country code (+353 85 012 3456). Anything that is
    not an E.164 number (a value stored before senders were checked) comes back as it is,
    so no page fails on it.
    """
    text = e164 or ""
    if not _E164.fullmatch(text):
        return text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return text
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == "GB"
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)
