"""Mobile numbers: read what people type, store E.164."""

from __future__ import annotations

import phonenumbers

from timebank.errors import InvalidInput


class InvalidPhoneNumber(InvalidInput):
    code = "invalid_phone_number"


def normalise_mobile(raw: str, region: str = "GB") -> str:
    """Return `raw` as an E.164 number (+447123456789) or raise InvalidPhoneNumber."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Please enter a mobile number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"{text} does not look like a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"{text} is not a valid phone number. Please check the digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_national(e164: str) -> str:
    """Return a stored E.164 number the way people write it in the UK: 07123 456789."""
    number = phonenumbers.parse(e164, "GB")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
