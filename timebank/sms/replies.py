"""Every text the time bank sends, in one place, kept to one GSM-7 segment where possible.

Each function takes plain values and returns the body. Names from outside (a member's or a
practice's) are passed through `to_gsm7` and shortened so one odd character or a long name
does not turn a text into two or three.
"""

from __future__ import annotations

from timebank.minutes import format_clock, format_duration
from timebank.sms.gsm import segment_count, to_gsm7


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
    """Return the patient's invitation, asking for consent and saying who sees the answer."""
    # The practice learns whether its patient said yes (in its updates and its report).
    ask = " May we contact you? Reply YES or NO. Your practice sees your answer."
    hello = f"Hello {_name(first_name, 16)}, {_name(practice, 30)} suggested {_name(bank, 30)}"
    for about in (", where neighbours swap help.", "."):
        if segment_count(hello + about + ask) == 1:
            return hello + about + ask
    short = f"Hi {_name(first_name, 16)}, {_name(practice, 24)} suggested {_name(bank, 30)}."
    return short + ask


def patient_joined(reference: str) -> str:
    """Return the practice's feedback when its patient joins (no health details)."""
    return f"Update on referral {reference}: your patient has joined the time bank. Thank you."


def patient_first_exchange(reference: str) -> str:
    """Return the practice's feedback after its patient's first exchange."""
    return f"Update on referral {reference}: your patient has made their first exchange."


def _short(text: str, limit: int = 160) -> str:
    """Return `text` in GSM-7 cut at a word to fit `limit` characters."""
    text = to_gsm7(" ".join(text.split()))
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + "..."


def refusal(message: str) -> str:
    """Return a ledger's refusal, in its own words, shortened to one text."""
    return _short(message)


def exchange_confirmed(giver: str, minutes: int) -> str:
    """Return the receiver's receipt after confirming by text."""
    return f"Thank you. You confirmed {format_duration(minutes)} from {_name(giver)}."


def exchange_declined(giver: str, minutes: int) -> str:
    """Return the receiver's receipt after declining by text."""
    return (
        f"Thank you. You declined the {format_duration(minutes)} {_name(giver)} logged. "
        "No hours moved. Call your time bank if you want to talk about it."
    )


def code_not_found(code: int) -> str:
    """Return the kind reply to a YES or NO with a code that is not the member's."""
    return (
        f"Sorry, we could not find exchange {code} waiting for you. Please check the number "
        "in our text, or call your time bank."
    )


def already_answered(code: int) -> str:
    """Return the reply when an exchange was already confirmed or declined."""
    return f"Exchange {code} has already been answered, so nothing changed. Thank you."


def answer_needs_code() -> str:
    """Return the reply to a bare YES or NO from a member with nothing to answer."""
    return (
        "Please add the number from our text, e.g. YES 123 to confirm or NO 123 to decline. "
        "Text BAL for your balance."
    )


def gave_logged(receiver: str, minutes: int, what: str) -> str:
    """Return the giver's receipt for hours logged by text."""
    about = f" for {_name(what, 30).lower()}" if what else ""
    name = _name(receiver)
    return f"You gave {name} {format_duration(minutes)}{about}. {name} needs to confirm it."


def member_not_found(who: str) -> str:
    """Return the reply when GAVE names no member of the time bank."""
    return (
        f"Sorry, we could not find member {_name(who, 20)}. Check their member number or "
        "mobile, e.g. GAVE 1h30 TO 123 gardening."
    )


def gave_format() -> str:
    """Return how to log help given, after a GAVE we could not read."""
    return "To log help you gave, text e.g. GAVE 1h30 TO 123 gardening (123 = their member number)."


def already_member(bank: str) -> str:
    """Return the reply to JOIN from someone who is already a member."""
    return f"You are already a member of {_name(bank, 30)}. Text HELP to see what you can text."


def invitation_reminder(bank: str) -> str:
    """Return the reminder to an invited person whose text was not YES or NO."""
    return f"May {_name(bank, 30)} contact you about joining? Please reply YES or NO."


# --- Referrals: what practices, patients and brokers are told -------------------------


def referral_received_redacted(reference: str) -> str:
    """Return the practice's receipt when a number or a date was removed from the reason."""
    return (
        f"Thank you. Referral {reference} received. We removed a number or date from it: "
        "please never text NHS numbers, birth dates or diagnoses."
    )


def referral_already_open(reference: str) -> str:
    """Return the practice's reply when that patient already has an open referral."""
    return (
        f"That patient already has an open referral, {reference}. We will let you know "
        "when they join. No new referral was made."
    )


def referral_bad_number(mobile: str, wanted: str = "a mobile number we can text") -> str:
    """Return the practice's reply when the patient's number is not one we can text.

    `wanted` says which numbers are, e.g. "a UK mobile number".
    """
    return (
        f"Sorry, {_name(mobile, 20)} is not {wanted}. Nothing was saved. "
        "Please send: REFER 07123 456789 Jane a few words"
    )


def referral_for_brokers(reference: str, practice: str | None) -> str:
    """Return the brokers' alert about a new referral (never any health details)."""
    source = f"from {_name(practice, 40)}" if practice else "by text (they asked to join)"
    return f"New referral {reference} {source}. See the referral queue."


def join_thanks(first_name: str, bank: str) -> str:
    """Return the reply to someone who texted JOIN."""
    hello = f"Thank you, {_name(first_name, 16)}." if first_name else "Thank you."
    return (
        f"{hello} Someone from {_name(bank, 30)} will call or text you soon to talk about joining."
    )


def invitation_accepted(bank: str) -> str:
    """Return the reply to a patient who said YES to being contacted."""
    return f"Thank you. Someone from {_name(bank, 30)} will be in touch soon to say hello."


def invitation_declined(bank: str) -> str:
    """Return the reply to a patient who said NO: polite, and the last text they get."""
    return (
        f"Thank you for letting us know. {_name(bank, 30)} will not text you again "
        "about this. Take care."
    )


def outreach_nudge(first_name: str, broker: str, bank: str) -> str:
    """Return the friendly text a broker can send a member the time bank has not seen lately."""
    hello = f"Hi {_name(first_name, 16)}, it's {_name(broker, 16)} from {_name(bank, 30)}."
    # The warmest wording that fits one text: long names get the shorter one.
    for ask in (
        " We haven't seen you for a while. Can we help, or is there something you'd like "
        "to offer? Reply or call us.",
        " We've missed you! Can we help, or would you like to offer something? Reply or call us.",
    ):
        if segment_count(hello + ask) == 1:
            return hello + ask
    return hello + " We've missed you! Can we help? Reply or call us."


# --- Proposals: a broker asks a member to help with a request --------------------------


def _fit(head: str, extra: str, tail: str, limit: int = 160) -> str:
    """Return head + extra + tail, `extra` shortened (or dropped) so the whole fits `limit`."""
    room = limit - len(head) - len(tail)
    extra = to_gsm7(" ".join(extra.split()))
    if len(extra) > room:
        extra = extra[: max(room - 3, 0)].rstrip(" ,.;:") + "..." if room > 12 else ""
    return head + extra + tail


def proposal_ask(
    broker: str, bank: str, requester: str, skill: str, details: str, code: int
) -> str:
    """Return the text asking a member whether they can help with a request."""
    head = f"{_name(broker, 16)} from {_name(bank, 30)}: could you help {_name(requester, 16)} "
    head += f"with {_name(skill, 30)}"
    tail = f"? Reply YES {code} or NO {code}."
    room = 160 - len(head) - len(tail) - 3
    about = _short(details, room) if details and room > 12 else ""
    return head + (f" ({about})" if about else "") + tail


def proposal_accepted(requester: str) -> str:
    """Return the helper's receipt after saying yes to a proposal by text."""
    return (
        f"Thank you for saying yes to helping {_name(requester, 16)}. We will be in touch "
        "soon to introduce you."
    )


def proposal_declined(requester: str) -> str:
    """Return the helper's receipt after saying no to a proposal by text."""
    return (
        f"Thank you for letting us know. No problem at all: we will ask someone else to "
        f"help {_name(requester, 16)}."
    )


def proposal_already_answered(code: int) -> str:
    """Return the reply when a proposal was already answered."""
    return f"You already answered request {code}, so nothing changed. Thank you."


def proposal_closed(code: int) -> str:
    """Return the reply when a proposal was withdrawn before the member answered."""
    return f"Request {code} is no longer needed, so there is nothing to do. Thank you all the same."


def proposal_no_longer_needed(bank: str, requester: str, code: int) -> str:
    """Return the polite text to a member whose proposal was withdrawn before they answered."""
    return (
        f"{_name(bank, 30)}: {_name(requester, 16)} has now found help, so there is no need "
        f"to answer request {code}. Thank you for being there."
    )


def introduction(
    bank: str, other: str, skill: str, to_helper: bool, meeting: str, broker: str
) -> str:
    """Return the text introducing two members, with the first meeting and who to call."""
    name, skill = _name(other, 16), _name(skill, 30)
    what = f"would like your help with {skill}" if to_helper else f"can help you with {skill}"
    head = f"{_name(bank, 30)}: {name} {what}."
    tail = f" Questions? {_name(broker, 40)}"
    if not meeting:
        return head + tail
    return _fit(head + " First meeting ", meeting, "." + tail)


def admin_invitation(code: str, bank: str, url: str, hours: int) -> str:
    """Return the text that invites a time bank's admin to sign in with a one-time code."""
    return (
        f"{code} is your code to sign in to {_name(bank, 30)} as its admin. "
        f"Open {url} and type it. It lasts {hours} hours and works once."
    )


def bank_suspended(bank: str) -> str:
    """Return the reply to any text to a suspended time bank."""
    return (
        f"{_name(bank, 30)} is suspended for now, so texts to it do nothing. "
        "Please contact the people who run your time bank."
    )


def imported_member_invitation(bank: str, url: str) -> str:
    """Return the text inviting a member brought in by an import to sign in for the first time."""
    return (
        f"{_name(bank, 30)}: sign in at {to_gsm7(url)} with this mobile number "
        "and a code we text you. STOP to stop texts."
    )
