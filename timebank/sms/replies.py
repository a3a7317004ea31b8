"""Every text the time bank sends, in one place, kept to one GSM-7 segment where possible.

Each function takes plain values and returns the body. Names from outside (a member's or a
practice's) are passed through `to_gsm7` and shortened so one odd character or a long name
does not turn a text into two or three.
"""

from __future__ import annotations

from timebank.ledger.rules import format_clock, format_duration
from timebank.sms.gsm import to_gsm7


def _name(value: str, limit: int = 24) -> str:
    return to_gsm7(" ".join(value.split()))[:limit]


def member_help(bank: str) -> str:
    """Return what a member can text."""
    return (
        f"{_name(bank, 30)}: BAL for your balance. Log help you gave: "
        "GAVE 1h30 TO 123 gardening (123 = their member number). STOP to stop texts."
    )


def partner_help(bank: str) -> str:
    """Return the referral format for a practice."""
    return (
        f"{_name(bank, 30)} referrals: REFER mobile first-name a few words, e.g. "
        "REFER 07123 456789 Jane gardening, lonely. No NHS numbers or diagnoses please."
    )


def stranger_reply(bank: str) -> str:
    """Return the polite reply to a number we do not know."""
    return (
        f"Thank you for texting {_name(bank, 30)}. We could not match your number. "
        "Text JOIN and your first name to ask to join, or call your time bank."
    )


def not_understood(bank: str) -> str:
    """Return the reply to a text we could not read."""
    return f"Sorry, {_name(bank, 30)} did not understand that. Text HELP to see what you can text."


def balance(first_name: str, minutes: int, lowest: int | None) -> str:
    """Return a member's balance in hours and minutes, with their limit."""
    limit = f" You can go down to {format_clock(lowest)}." if lowest is not None else ""
    return f"Hello {_name(first_name)}, your balance is {format_clock(minutes)} hours.{limit}"


def exchange_to_confirm(giver: str, minutes: int, what: str, code: int) -> str:
    """Return the text asking a receiver to confirm a pending exchange."""
    about = f" for {_name(what, 30).lower()}" if what else ""
    return (
        f"{_name(giver)} logged {format_duration(minutes)}{about} they gave you. "
        f"Reply YES {code} to confirm or NO {code} if it is not right."
    )


def referral_received(reference: str) -> str:
    """Return the practice's receipt for a referral."""
    return (
        f"Thank you. Referral {reference} received. We will text the patient to ask if "
        "they want to be contacted, and let you know when they join."
    )


def referral_invitation(first_name: str, practice: str, bank: str) -> str:
    """Return the patient's invitation, asking for explicit consent."""
    return (
        f"Hello {_name(first_name, 16)}, {_name(practice, 30)} suggested {_name(bank, 30)}, "
        "where neighbours swap help. May we contact you? Reply YES or NO."
    )


def patient_joined(reference: str) -> str:
    """Return the practice's feedback when its patient joins (no health details)."""
    return f"Update on referral {reference}: your patient has joined the time bank. Thank you."


def patient_first_exchange(reference: str) -> str:
    """Return the practice's feedback after its patient's first exchange."""
    return f"Update on referral {reference}: your patient has made their first exchange."
