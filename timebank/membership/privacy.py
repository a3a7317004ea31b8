"""A member's own data: everything held about them, and erasing it once they have left.

Erasure keeps the ledger whole. Transfers are append-only, so they stay as they are; they
name accounts, not people, and the member row stays under a pseudonym.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.csvfile import Cell, csv_text
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.ledger.models import Account, Transfer
from timebank.members.models import (
    Member,
    MemberSession,
    MobileChange,
    Organisation,
    SignInCode,
)
from timebank.members.profile import member_of_bank
from timebank.members.sessions import end_member_access
from timebank.membership.services import account_of
from timebank.minutes import format_duration
from timebank.offers.models import Listing, ListingContact
from timebank.outcomes.models import OutcomeConsent, OutcomeRound
from timebank.outcomes.questions import lonely_words
from timebank.sms.models import InboundMessage, OutboxMessage

# Letters and digits that cannot be mistaken for each other when read aloud or written.
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PSEUDONYM_LENGTH = 4
# Odd, so multiplying by it shuffles ids within each power of two without collisions.
PSEUDONYM_SHUFFLE = 0x9E3779B1
ERASED_TEXT = "Removed when this member's details were erased."
SESSION_END_WORDS = {
    "signed_out": "You signed out",
    "other_devices": "You signed out of your other devices",
    "password_changed": "The password was changed",
    "suspended": "Your membership was suspended",
    "left": "You left the time bank",
    "erased": "Your details were erased",
    "status_changed": "Your membership changed",
    "role_changed": "Your role changed",
    "idle": "Not used for a while",
    "expired": "Signed in for a long time",
}
HIDDEN_CODE = "A sign-in code (the code itself is not kept in this copy)."


# --- Pseudonyms -----------------------------------------------------------------------


def pseudonym(member_id: int) -> str:
    """Return the name an erased member keeps, e.g. "Former member 7K2Q": one per member."""
    length = PSEUDONYM_LENGTH
    while member_id >= len(PSEUDONYM_ALPHABET) ** length:
        length += 1
    space = len(PSEUDONYM_ALPHABET) ** length  # a power of two, so the shuffle is one-to-one
    number = (member_id * PSEUDONYM_SHUFFLE) % space
    letters = []
    for _ in range(length):
        number, digit = divmod(number, len(PSEUDONYM_ALPHABET))
        letters.append(PSEUDONYM_ALPHABET[digit])
    return "Former member " + "".join(reversed(letters))


# --- What is held ---------------------------------------------------------------------


@dataclass
class Section:
    """One part of a member's data: a table with a title, a file name and rows."""

    title: str
    slug: str
    headers: tuple[str, ...]
    # Text, or a number the app made (written to CSV as a number, never guarded).
    rows: list[tuple[Cell, ...]] = field(default_factory=list)


def _when(stamp: dt.datetime | dt.date | None) -> str:
    if stamp is None:
        return ""
    if isinstance(stamp, dt.datetime):
        return as_utc(stamp).strftime("%Y-%m-%d %H:%M UTC")
    return stamp.isoformat()


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def _profile(member: Member) -> Section:
    pairs = (
        ("Name", member.display_name),
        ("Mobile number", member.mobile_e164 or ""),
        ("Email", member.email or ""),
        ("Area", member.area or ""),
        ("What you can help with", member.skills),
        ("What you would like help with", member.help_wanted),
        ("When you are free", member.availability),
        ("Texts about exchanges and answers", _yes(member.sms_notifications)),
        ("Other members can see your mobile number", _yes(member.show_mobile)),
        ("Other members can see your area", _yes(member.show_area)),
        ("Status", member.status),
        ("Role", member.role),
        ("Joined", _when(member.joined_at)),
        ("Left", _when(member.left_at)),
        ("Agreed to the time bank keeping your details", _when(member.consent_at)),
        ("Last signed in", _when(member.last_sign_in_at)),
        ("Has a password", _yes(member.password_hash is not None)),
    )
    return Section("Your profile", "profile", ("Detail", "Value"), [tuple(p) for p in pairs])


def _account(account: Account) -> Section:
    pairs = (
        ("Balance", format_duration(account.balance)),
        ("Balance in minutes", account.balance),
        ("Hours given (minutes)", account.credits_posted),
        ("Hours received (minutes)", account.debits_posted),
        ("Waiting to be confirmed, to you (minutes)", account.credits_pending),
        ("Waiting to be confirmed, from you (minutes)", account.debits_pending),
        ("Lowest balance allowed (minutes)", account.min_balance),
        ("Account open", _yes(account.is_open)),
        ("Opened", _when(account.opened_at)),
    )
    return Section("Your hour account", "account", ("Detail", "Value"), [tuple(p) for p in pairs])


def _holder_names(session: so.Session, account_ids: Iterable[int]) -> dict[int, str]:
    rows = session.execute(
        sa.select(Account.id, Member.display_name, Organisation.name)
        .outerjoin(Member, Member.id == Account.member_id)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.id.in_(set(account_ids)))
    )
    return {account_id: person or org or "" for account_id, person, org in rows}


def _transfers(session: so.Session, bank_id: int, member_id: int, account_id: int) -> Section:
    transfers = session.scalars(
        sa.select(Transfer)
        .where(
            Transfer.bank_id == bank_id,
            sa.or_(
                Transfer.debit_account_id == account_id,
                Transfer.credit_account_id == account_id,
                Transfer.recorded_by_id == member_id,
            ),
        )
        .order_by(Transfer.recorded_at, Transfer.id)
    ).all()
    names = _holder_names(
        session, [t.debit_account_id for t in transfers] + [t.credit_account_id for t in transfers]
    )
    section = Section(
        "Every exchange and transfer you are part of or recorded",
        "transfers",
        (
            "Id",
            "Recorded",
            "Happened on",
            "Kind",
            "Stage",
            "Minutes",
            "Time",
            "Given by",
            "Received by",
            "Recorded by you",
            "Description",
            "Kind of help",
            "Reason",
            "Confirms or declines",
            "Puts right",
        ),
    )
    for t in transfers:
        section.rows.append(
            (str(t.id), _when(t.recorded_at), _when(t.happened_on), t.code, t.phase,
             t.amount, format_duration(t.amount), names.get(t.credit_account_id, ""),
             names.get(t.debit_account_id, ""), _yes(t.recorded_by_id == member_id),
             t.description, t.skill_category or "", t.reason or "",
             str(t.pending_id or ""), str(t.reverses_id or ""))
        )  # fmt: skip
    return section


def _listings(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Your offers and requests",
        "offers_and_requests",
        ("Id", "Offer or request", "Kind of help", "Title", "Description", "When", "Where",
         "Open or closed", "Posted", "Last changed"),
    )  # fmt: skip
    for item in session.scalars(
        sa.select(Listing)
        .where(Listing.bank_id == bank_id, Listing.member_id == member_id)
        .order_by(Listing.id)
    ):
        section.rows.append(
            (str(item.id), item.kind, item.skill_category, item.title, item.description,
             item.availability, item.area, item.status, _when(item.created_at),
             _when(item.updated_at))
        )  # fmt: skip
    return section


def _contacts(session: so.Session, bank_id: int, member_id: int) -> Section:
    sender = so.aliased(Member)
    receiver = so.aliased(Member)
    rows = session.execute(
        sa.select(ListingContact, Listing.title, sender.display_name, receiver.display_name)
        .join(Listing, Listing.id == ListingContact.listing_id)
        .join(sender, sender.id == ListingContact.from_member_id)
        .join(receiver, receiver.id == ListingContact.to_member_id)
        .where(
            ListingContact.bank_id == bank_id,
            sa.or_(
                ListingContact.from_member_id == member_id,
                ListingContact.to_member_id == member_id,
            ),
        )
        .order_by(ListingContact.created_at, ListingContact.id)
    ).all()
    section = Section(
        "Answers to offers and requests, from you and to you",
        "contacts",
        ("When", "About", "From", "To", "Message"),
    )
    for contact, title, from_name, to_name in rows:
        section.rows.append((_when(contact.created_at), title, from_name, to_name, contact.message))
    return section


def _texts(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Text messages sent to you",
        "texts",
        ("Queued", "Sent", "To", "Why", "Status", "Message"),
    )
    for text in session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.bank_id == bank_id, OutboxMessage.member_id == member_id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ):
        # A code is a key: a copy of the data must never carry one.
        body = HIDDEN_CODE if text.purpose == "sign_in_code" else text.body
        section.rows.append(
            (_when(text.created_at), _when(text.sent_at), text.to_e164, text.purpose,
             text.status, body)
        )  # fmt: skip
    return section


def _texts_in(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Text messages you sent to the time bank",
        "texts_received",
        ("Received", "From", "Understood as", "Message", "Our reply"),
    )
    for text in session.scalars(
        sa.select(InboundMessage)
        .where(InboundMessage.bank_id == bank_id, InboundMessage.member_id == member_id)
        .order_by(InboundMessage.received_at, InboundMessage.id)
    ):
        section.rows.append(
            (_when(text.received_at), text.from_e164, text.kind, text.body or "",
             text.reply or "")
        )  # fmt: skip
    return section


def _codes(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Sign-in codes you asked for (times only)",
        "sign_in_codes",
        ("Asked for", "Why", "Expired", "Used", "Wrong tries"),
    )
    for code in session.scalars(
        sa.select(SignInCode)
        .where(SignInCode.bank_id == bank_id, SignInCode.member_id == member_id)
        .order_by(SignInCode.created_at)
    ):
        section.rows.append(
            (_when(code.created_at), code.purpose, _when(code.expires_at), _when(code.used_at),
             str(code.failed_attempts))
        )  # fmt: skip
    return section


def _sessions(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Times you signed in on the web (kept 30 days after each ended)",
        "sign_ins",
        ("Signed in", "Last used", "Ended", "Why it ended"),
    )
    for row in session.scalars(
        sa.select(MemberSession)
        .where(MemberSession.bank_id == bank_id, MemberSession.member_id == member_id)
        .order_by(MemberSession.created_at, MemberSession.id)
    ):
        section.rows.append(
            (_when(row.created_at), _when(row.last_seen_at), _when(row.ended_at),
             SESSION_END_WORDS.get(row.ended_reason or "", ""))
        )  # fmt: skip
    return section


def _outcome_consent(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Questions about how you feel: what you told us", "outcome_consent", ("Detail", "Value")
    )
    consent = session.scalar(
        sa.select(OutcomeConsent).where(
            OutcomeConsent.bank_id == bank_id, OutcomeConsent.member_id == member_id
        )
    )
    if consent is not None:
        section.rows += [
            ("Asked by text whether you agree", _when(consent.asked_at)),
            ("You agreed", _when(consent.agreed_at)),
            ("How you agreed", consent.agreed_via or ""),
            ("You said no (never asked again)", _when(consent.refused_at)),
        ]
    return section


def _outcome_answers(session: so.Session, bank_id: int, member_id: int) -> Section:
    section = Section(
        "Your answers about loneliness and life satisfaction",
        "outcome_answers",
        ("Six months from", "How often you feel lonely", "Answered",
         "How satisfied you are with your life (0 to 10)", "Answered"),
    )  # fmt: skip
    for row in session.scalars(
        sa.select(OutcomeRound)
        .where(OutcomeRound.bank_id == bank_id, OutcomeRound.member_id == member_id)
        .order_by(OutcomeRound.round)
    ):
        lonely = lonely_words(row.lonely) if row.lonely is not None else ""
        satisfied = row.satisfied if row.satisfied is not None else ""
        section.rows.append(
            (_when(row.opens_at), lonely, _when(row.lonely_at), satisfied,
             _when(row.satisfied_at))
        )  # fmt: skip
    return section


def member_data(session: so.Session, bank_id: int, member_id: int) -> list[Section]:
    """Return everything the time bank holds about a member, section by section."""
    member = member_of_bank(session, bank_id, member_id)
    account = account_of(session, bank_id, member_id)
    return [
        _profile(member),
        _account(account),
        _transfers(session, bank_id, member_id, account.id),
        _listings(session, bank_id, member_id),
        _contacts(session, bank_id, member_id),
        _texts(session, bank_id, member_id),
        _texts_in(session, bank_id, member_id),
        _codes(session, bank_id, member_id),
        _sessions(session, bank_id, member_id),
        _outcome_consent(session, bank_id, member_id),
        _outcome_answers(session, bank_id, member_id),
    ]


def _shown(value: Cell) -> str:
    return "" if value is None else str(value)


def as_text(sections: list[Section], bank_name: str, made_at: dt.datetime) -> str:
    """Return the member's data as a plain text file a person can read."""
    lines = [f"Your data held by {bank_name}", f"Made on {_when(made_at)}", ""]
    for section in sections:
        lines += [section.title, "=" * len(section.title), ""]
        if not section.rows:
            lines += ["Nothing held.", ""]
        elif section.headers == ("Detail", "Value"):
            lines += [f"{name}: {_shown(value)}" for name, value in section.rows] + [""]
        else:
            for row in section.rows:
                lines += [
                    f"{h}: {v}" for h, v in zip(section.headers, row, strict=True) if _shown(v)
                ]
                lines.append("")
    return "\n".join(lines)


def as_csv_zip(sections: list[Section]) -> bytes:
    """Return the member's data as a zip holding one CSV file per section."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for section in sections:
            archive.writestr(f"{section.slug}.csv", csv_text([section.headers, *section.rows]))
    return buffer.getvalue()


# --- Erasure ----------------------------------------------------------------------------


@use_case
def erase_member(
    session: so.Session,
    bank_id: int,
    member_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Remove a departed member's personal details; their hours stay in the ledger."""
    member = member_of_bank(session, bank_id, member_id)
    if member.erased_at is not None:
        raise InvalidInput("This member's details have already been erased.")
    if member.status != "left":
        raise InvalidInput(
            f"{member.display_name} has not left the time bank. Only the details of a member"
            " who has left can be erased. Change their status to left first."
        )
    stamp = now()
    _forget_person(member, stamp)
    end_member_access(session, bank_id, member_id, "erased", lambda: stamp)
    _forget_listings(session, bank_id, member_id, stamp)
    session.execute(
        sa.update(ListingContact)
        .where(
            ListingContact.bank_id == bank_id,
            sa.or_(
                ListingContact.from_member_id == member_id,
                ListingContact.to_member_id == member_id,
            ),
        )
        .values(message="")
    )
    _forget_texts(session, bank_id, member_id)
    session.execute(
        sa.delete(SignInCode).where(
            SignInCode.bank_id == bank_id, SignInCode.member_id == member_id
        )
    )
    session.execute(
        sa.delete(MemberSession).where(
            MemberSession.bank_id == bank_id, MemberSession.member_id == member_id
        )
    )
    session.execute(
        sa.delete(MobileChange).where(
            MobileChange.bank_id == bank_id, MobileChange.member_id == member_id
        )
    )
    _forget_outcomes(session, bank_id, member_id)
    session.commit()
    return member


def _forget_person(member: Member, stamp: dt.datetime) -> None:
    member.display_name = pseudonym(member.id)
    member.mobile_e164 = member.email = member.area = member.password_hash = None
    member.skills = member.help_wanted = member.availability = ""
    member.sms_notifications = member.show_mobile = member.show_area = False
    member.erased_at = stamp


def _forget_listings(session: so.Session, bank_id: int, member_id: int, stamp: dt.datetime) -> None:
    session.execute(
        sa.update(Listing)
        .where(Listing.bank_id == bank_id, Listing.member_id == member_id)
        .values(
            status="closed", title="Removed", description="", availability="", area="",
            updated_at=stamp,
        )
    )  # fmt: skip


def _forget_texts(session: so.Session, bank_id: int, member_id: int) -> None:
    texts = sa.update(OutboxMessage).where(
        OutboxMessage.bank_id == bank_id, OutboxMessage.member_id == member_id
    )
    # A text still waiting has no number to go to any more, so it will never be sent.
    session.execute(
        texts.where(OutboxMessage.status.in_(("queued", "sending"))).values(
            status="failed", error="Not sent: the member's details were erased."
        )
    )
    session.execute(texts.values(body=ERASED_TEXT, to_e164=""))
    # What they texted in: the words go, the record that a text came stays for dedupe.
    session.execute(
        sa.update(InboundMessage)
        .where(InboundMessage.bank_id == bank_id, InboundMessage.member_id == member_id)
        .values(body=None, reply=None, from_e164="")
    )


def _forget_outcomes(session: so.Session, bank_id: int, member_id: int) -> None:
    """Delete the member's answers on loneliness and life satisfaction, and their consent."""
    for model in (OutcomeRound, OutcomeConsent):
        session.execute(
            sa.delete(model).where(model.bank_id == bank_id, model.member_id == member_id)
        )
