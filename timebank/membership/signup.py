"""The sign-up meeting: a broker adds a new member, with their consent, and texts a welcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidDetail
from timebank.members.acting import acting_member
from timebank.members.models import Member, first_name_of
from timebank.members.profile import clean_mobile, clean_name, clean_text
from timebank.membership.services import stage_member
from timebank.outcomes.consent import agree_in
from timebank.sms.gsm import to_gsm7
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank


@dataclass(frozen=True)
class SignUp:
    """What the broker writes down at the sign-up meeting."""

    name: str
    mobile: str = ""
    area: str = ""
    skills: str = ""
    help_wanted: str = ""
    consent: bool = False
    # They said yes to two short questions about how they feel, now and every six months.
    outcome_questions: bool = False


def welcome_text(first_name: str, bank_name: str, sign_in_url: str) -> str:
    """Return the text that welcomes a new member and says how to sign in by code."""
    return (
        f"Welcome to {to_gsm7(bank_name)}, {to_gsm7(first_name)[:24]}! To sign in, go to"
        f" {sign_in_url} and ask for a code for this number."
    )


@use_case
def sign_up_member(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    details: SignUp,
    sign_in_url: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Add an active member who agreed to the bank keeping their details, and welcome them."""
    acting_member(session, bank_id, broker_id, "broker", "sign up new members")
    name = clean_name(details.name, field="name")
    mobile = clean_mobile(session, bank_id, details.mobile)
    texts = {
        field: clean_text(field, getattr(details, field))
        for field in ("area", "skills", "help_wanted")
    }
    if not details.consent:
        first = first_name_of(name)
        raise InvalidDetail(
            "consent", f"Ask {first} if they agree to the time bank keeping these details."
        )
    stamp = now()
    member = stage_member(
        session,
        bank_id,
        name,
        mobile=mobile,
        area=texts["area"] or None,
        now=lambda: stamp,
        skills=texts["skills"],
        help_wanted=texts["help_wanted"],
        consent_at=stamp,
    )
    if details.outcome_questions:
        agree_in(session, bank_id, member.id, "broker", stamp)
    if mobile is not None:
        bank = session.get(TimeBank, bank_id)
        assert bank is not None
        body = welcome_text(member.first_name, bank.name, sign_in_url)
        queue_sms(session, bank_id, mobile, body, "welcome", member.id, now=lambda: stamp)
    session.commit()
    return member
