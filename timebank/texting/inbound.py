"""One text to a time bank: find the bank and the sender, do what it asks, return the reply.

Used by the Twilio webhook and by the development page, which simulates texts. A text is
stored (with its body) only when it belongs to a known flow; a stranger's text is not kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.members.models import Member
from timebank.outcomes.answers import number_by_text_in, yes_or_no_by_text_in
from timebank.phones import normalise_mobile, sender_number
from timebank.referrals import sms as referrals
from timebank.referrals.grammar import redact_identifiers
from timebank.referrals.models import Referral, ReferralPartner
from timebank.sms import commands, replies
from timebank.sms.models import InboundMessage
from timebank.sms.optouts import is_opted_out, record_opt_in, record_opt_out
from timebank.tenancy.models import TimeBank
from timebank.texting.member_texts import answer_by_code, balance_reply, gave_by_text


@dataclass(frozen=True)
class IncomingText:
    """What the provider tells us about a text: its id, who sent it, to which number, words."""

    message_sid: str
    from_number: str
    to_number: str
    body: str


@dataclass(frozen=True)
class Outcome:
    """What a text was understood as, the reply (None: say nothing) and whether to keep it."""

    kind: str
    reply: str | None
    keep: bool = True
    member_id: int | None = None
    keep_body: bool = True
    # The referral the text is about (a REFER, a patient's answer): purged with it.
    referral_id: int | None = None


@dataclass(frozen=True)
class _Text:
    bank: TimeBank
    sender: str
    body: str
    message_sid: str
    now: dt.datetime


def _e164(raw: str) -> str:
    """Return the sender as E.164 when it is a phone number, else as given (shortened)."""
    try:
        return normalise_mobile(raw)
    except InvalidInput:
        return (raw or "").strip()[:16]


def _bank_for(session: so.Session, to_number: str) -> TimeBank | None:
    number = _e164(to_number)
    if not number:
        return None
    return session.scalar(sa.select(TimeBank).where(TimeBank.sms_number == number))


def _member_for(session: so.Session, bank_id: int, e164: str) -> Member | None:
    return session.scalar(
        sa.select(Member).where(
            Member.bank_id == bank_id, Member.mobile_e164 == e164, Member.erased_at.is_(None)
        )
    )


def _is_invited(session: so.Session, bank_id: int, e164: str) -> bool:
    found = session.scalar(
        sa.select(Referral.id).where(
            Referral.bank_id == bank_id,
            Referral.patient_e164 == e164,
            Referral.status == "invited",
        )
    )
    return found is not None


def _from_partner(
    session: so.Session, text: _Text, partner: ReferralPartner, command: commands.Command
) -> Outcome:
    if isinstance(command, commands.Refer):
        reply = referrals.handle_refer(session, text.bank, partner, command, text.now)
        return Outcome("refer", reply)
    return Outcome("help", replies.partner_help(text.bank.name))


def _about_outcomes(
    session: so.Session, text: _Text, member: Member, command: commands.Command
) -> str | None:
    """Return the reply when the text answers the outcome questions, else None.

    A number answers only while a question is open; YES and NO answer the consent text or
    an open question. Nothing from a number that opted out (STOP) is taken as an answer.
    """
    if is_opted_out(session, text.bank.id, text.sender):
        return None
    if isinstance(command, commands.Number):
        return number_by_text_in(session, text.bank, member, command.value, text.now)
    if isinstance(command, commands.Unknown) and command.hint == "number":
        return number_by_text_in(session, text.bank, member, None, text.now)
    if isinstance(command, commands.Answer) and command.code is None:
        return yes_or_no_by_text_in(session, text.bank, member, command.yes, text.now)
    return None


def _from_member(
    session: so.Session, text: _Text, member: Member, command: commands.Command
) -> Outcome:
    def kept(kind: str, reply: str | None, body: bool = True) -> Outcome:
        return Outcome(kind, reply, member_id=member.id, keep_body=body)

    if isinstance(command, commands.Number | commands.Unknown):
        about = _about_outcomes(session, text, member, command)
        if about is not None:
            return kept("outcome", about, body=False)
    if isinstance(command, commands.Balance):
        return kept("balance", balance_reply(session, member))
    if isinstance(command, commands.Answer) and command.code is not None:
        return kept("answer", answer_by_code(session, member, command, text.message_sid, text.now))
    if isinstance(command, commands.Answer):
        reply = referrals.handle_invitation_answer(
            session, text.bank, text.sender, command.yes, text.now
        )
        if reply is None:
            about = _about_outcomes(session, text, member, command)
            if about is not None:
                return kept("outcome", about, body=False)
        return kept("consent" if reply else "answer", reply or replies.answer_needs_code())
    if isinstance(command, commands.Gave):
        reply = gave_by_text(session, text.bank, member, command, text.message_sid, text.now)
        return kept("gave", reply)
    if isinstance(command, commands.Join):
        return kept("join", replies.already_member(text.bank.name))
    if isinstance(command, commands.Unknown) and command.hint == "gave":
        return kept("unknown", replies.gave_format(), body=False)
    return kept("unknown", replies.not_understood(text.bank.name), body=False)


def _from_someone_else(session: so.Session, text: _Text, command: commands.Command) -> Outcome:
    if isinstance(command, commands.Join):
        return Outcome(
            "join", referrals.handle_join(session, text.bank, text.sender, command, text.now)
        )
    if isinstance(command, commands.Answer) and command.code is None:
        reply = referrals.handle_invitation_answer(
            session, text.bank, text.sender, command.yes, text.now
        )
        if reply is not None:
            return Outcome("consent", reply)
    if _is_invited(session, text.bank.id, text.sender):
        return Outcome("consent", replies.invitation_reminder(text.bank.name), keep_body=False)
    return Outcome("unknown", replies.stranger_reply(text.bank.name), keep=False)


def understand(session: so.Session, text: _Text) -> Outcome:
    """Do what the text asks, in the caller's transaction (the ledger commits its own)."""
    command = commands.parse_text(text.body)
    outcome = _act_on(session, text, command)
    if outcome.keep and (outcome.member_id is None or outcome.kind == "consent"):
        about = referrals.referral_about(session, text.bank.id, text.sender, command)
        outcome = replace(outcome, referral_id=about)
    return outcome


def _act_on(session: so.Session, text: _Text, command: commands.Command) -> Outcome:
    bank, sender = text.bank, text.sender
    if isinstance(command, commands.OptOut):
        record_opt_out(session, bank.id, sender, text.now)
        return Outcome("opt_out", None)  # the provider itself confirms STOP
    if isinstance(command, commands.OptIn):
        record_opt_in(session, bank.id, sender, text.now)
        return Outcome("opt_in", None)
    if bank.suspended_at is not None:
        # Nothing a suspended bank's texts ask is done; the words are not kept.
        return Outcome("suspended", replies.bank_suspended(bank.name), keep=False)
    member = _member_for(session, bank.id, sender)
    # A practice's REFER is looked for first, in case its phone is also a member's.
    if member is None or isinstance(command, commands.Refer):
        partner = referrals.partner_for_number(session, bank.id, sender)
        if partner is not None:
            return _from_partner(session, text, partner, command)
    if isinstance(command, commands.Help):
        # A stranger's HELP is answered but not kept.
        member_id = member.id if member else None
        return Outcome("help", replies.member_help(bank.name), member is not None, member_id)
    if member is not None:
        return _from_member(session, text, member, command)
    return _from_someone_else(session, text, command)


def _earlier_reply(session: so.Session, message_sid: str) -> tuple[bool, str | None]:
    row = session.execute(
        sa.select(InboundMessage.reply).where(InboundMessage.message_sid == message_sid)
    ).first()
    return (row is not None, row[0] if row is not None else None)


def _stored(words: str | None, outcome: Outcome) -> str | None:
    """Return words as kept: from anyone but a member (a practice above all), redacted.

    A practice's REFER may carry an NHS number or a date of birth: they go before the text
    is stored, as they go from the referral's reason. A member's own texts (GAVE TO a
    mobile number) are kept as written.
    """
    if words is None or outcome.member_id is not None:
        return words
    return redact_identifiers(words, commands.MAX_TEXT)[0]


def _keep(session: so.Session, text: _Text, outcome: Outcome) -> None:
    session.add(
        InboundMessage(
            message_sid=text.message_sid,
            bank_id=text.bank.id,
            from_e164=text.sender,
            kind=outcome.kind,
            body=_stored(text.body[: commands.MAX_TEXT] if outcome.keep_body else None, outcome),
            member_id=outcome.member_id,
            referral_id=outcome.referral_id,
            reply=_stored(outcome.reply, outcome),
            received_at=text.now,
        )
    )


@use_case
def receive_text(
    session: so.Session, incoming: IncomingText, now: Callable[[], dt.datetime] = utcnow
) -> str | None:
    """Handle one text to a time bank once and return the reply (None: reply nothing)."""
    message_sid = (incoming.message_sid or "").strip()[:64]
    seen, reply = _earlier_reply(session, message_sid)
    if seen or not message_sid:
        session.rollback()
        return reply
    bank = _bank_for(session, incoming.to_number)
    sender = sender_number(incoming.from_number)
    if bank is None or sender is None:  # no bank, or a sender no one can text back (EVILCORP)
        session.rollback()
        return None
    body = (incoming.body or "")[: commands.MAX_TEXT]
    text = _Text(bank, sender, body, message_sid, now())
    outcome = understand(session, text)
    if outcome.keep:
        _keep(session, text, outcome)
    try:
        session.commit()
    except sa.exc.IntegrityError:  # the same text, delivered twice at once, was kept first
        session.rollback()
        return _earlier_reply(session, message_sid)[1]
    return outcome.reply
