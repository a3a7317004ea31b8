"""Health data is kept only as long as promised: redacted on arrival, purged without residue.

A practice's REFER text may carry an NHS number or a date of birth however often it is
asked not to. Nothing stored may keep them, not even the text as received. When a referral
that never led to a member is purged, no row anywhere may still hold the patient's number
or name: the scans below read every text column of every table the database has, so a
table added later is covered without changing these tests.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.referrals import services
from timebank.referrals.models import Referral, ReferralEvent
from timebank.sms import replies
from timebank.sms.gsm import is_gsm7, segment_count
from timebank.sms.models import InboundMessage, OutboxMessage

PRACTICE_PHONE = "+447400000111"
PATIENT = "+447812913457"
PATIENT_FORMS = ("+447812913457", "07812 913457", "07812913457", "7812 913457")
NAME = "Zebedee"
NHS_NUMBER = "943 476 5919"
BIRTH_DATE = "12/03/1941"
FULL_WIDTH_NHS_NUMBER = "\uff19\uff14\uff13 \uff14\uff17\uff16 \uff15\uff19\uff11\uff19"


def _strings(session) -> list[tuple[str, str, str]]:
    """Return (table, column, value) for every non-empty text value in the whole database."""
    bind = session.connection()  # the session's own: SQLite allows one writer at a time
    inspector = sa.inspect(bind)
    found = []
    for table_name in inspector.get_table_names():
        table = sa.Table(table_name, sa.MetaData(), autoload_with=bind)
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text)]
        if not columns:
            continue
        for row in session.execute(sa.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value:
                    found.append((table_name, column.name, str(value)))
    return found


def _digits(text: str) -> str:
    """Return the digits of `text` in ASCII (full-width and other scripts' digits too)."""
    return "".join(str(int(ch)) for ch in re.sub(r"\D", "", text))


def holding(session, *needles: str) -> list[tuple[str, str, str]]:
    """Return every stored text value that holds one of `needles` (digits compared alone)."""
    hits = []
    for table, column, value in _strings(session):
        for needle in needles:
            digits = _digits(needle)
            if len(digits) >= 6 and digits[-10:] in _digits(value):
                hits.append((table, column, value))
            elif not digits and needle.lower() in value.lower():
                hits.append((table, column, value))
    return hits


def age_referrals(session, bank, days_past: int = 1) -> None:
    """Move every referral and text back in time past the bank's retention period."""
    back = dt.timedelta(days=bank.referral_retention_days + days_past)
    for referral in session.scalars(sa.select(Referral)):
        referral.created_at = referral.created_at - back
    for text in session.scalars(sa.select(InboundMessage)):
        text.received_at = text.received_at - back
    session.commit()


def purge(app) -> str:
    result = app.test_cli_runner().invoke(args=["referrals", "purge"])
    assert result.exit_code == 0, result.output
    return result.output


def send_texts(app) -> None:
    result = app.test_cli_runner().invoke(args=["sms", "send-pending"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def sent(app):
    """Return the texts the fake SMS backend has sent."""
    return app.extensions["timebank_sms"].sent


# --- Redaction when the text arrives ------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        f"REFER 07812 913457 {NAME} lonely since her fall NHS {NHS_NUMBER} dob {BIRTH_DATE}",
        f"REFER 07812 913457 {NAME} nhs no 943-476-5919 born {BIRTH_DATE}, hip op",
        f"REFER 07812913457 {NAME} 9434765919 DOB {BIRTH_DATE}",
        f"REFER 07812 913457 {NAME} NHS 943.476.5919 / {BIRTH_DATE}",
        f"REFER 07812 913457 {NAME} NHS {FULL_WIDTH_NHS_NUMBER}",
        f"REFER 07812 913457 {NAME}9434765919 lonely",
        # The NHS number where the mobile goes: refused, and the reply is not kept with it.
        f"REFER {NHS_NUMBER} {NAME} dob {BIRTH_DATE}",
        # Not a REFER the grammar understands, but still from the practice.
        f"Please refer {NAME} {NHS_NUMBER} {BIRTH_DATE} 07812 913457",
    ],
)
def test_no_row_holds_an_nhs_number_or_birth_date_right_after_a_refer_arrives(
    app, client, session, bank, broker, practice, body
):
    reply_of(text_bank(client, app, PRACTICE_PHONE, body))

    assert session.scalar(sa.select(sa.func.count(InboundMessage.id))) == 1
    assert holding(session, NHS_NUMBER, BIRTH_DATE) == []


def test_a_second_refer_for_an_open_referral_is_redacted_too(
    app, client, session, bank, broker, practice
):
    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} lonely")
    reply = reply_of(
        text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} NHS {NHS_NUMBER}")
    )

    assert "already has an open referral" in reply
    assert holding(session, NHS_NUMBER) == []


def test_the_practice_is_told_when_a_number_or_date_was_removed(
    app, client, session, bank, broker, practice
):
    reply = reply_of(
        text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} dob {BIRTH_DATE}")
    )

    [referral] = session.scalars(sa.select(Referral)).all()
    assert reply == replies.referral_received_redacted(f"R-{referral.id:04d}")
    assert BIRTH_DATE not in referral.reason and "[removed]" in referral.reason


def test_the_stored_refer_text_is_redacted_the_same_way_as_the_referral(
    app, client, session, bank, broker, practice
):
    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} hip op {NHS_NUMBER}")

    [referral] = session.scalars(sa.select(Referral)).all()
    [stored] = session.scalars(sa.select(InboundMessage)).all()
    assert stored.body is not None and stored.body.endswith(referral.reason)
    assert stored.referral_id == referral.id


def test_a_members_own_texts_keep_their_numbers(app, client, session, bank):
    member = MemberFactory(bank=bank, mobile="07956 111222")
    MemberFactory(bank=bank, mobile="07812 913457", display_name="Gil Giver")

    text_bank(client, app, member.mobile_e164, "GAVE 1h TO 07812 913457 gardening")

    [stored] = session.scalars(sa.select(InboundMessage)).all()
    assert stored.body == "GAVE 1h TO 07812 913457 gardening"


# --- The purge leaves nothing behind --------------------------------------------------


def refer_and_talk(app, client, session, bank, broker, practice) -> Referral:
    """A practice refers Zebedee; she asks who it is, says yes, texts JOIN; a broker closes it.

    The practice first gets her number wrong (a landline), so that text makes no referral.
    """
    text_bank(client, app, PRACTICE_PHONE, f"REFER 020 7946 0123 {NAME} lonely")
    text_bank(
        client,
        app,
        PRACTICE_PHONE,
        f"REFER 07812 913457 {NAME} lonely since her fall, NHS {NHS_NUMBER} dob {BIRTH_DATE}",
    )
    send_texts(app)
    text_bank(client, app, PATIENT, "Who is this please?")
    text_bank(client, app, PATIENT, "yes")
    text_bank(client, app, PATIENT, f"JOIN {NAME}")
    referral = session.scalars(sa.select(Referral)).one()
    services.mark_contacted(session, bank.id, referral.id, broker.id)
    services.close_referral(
        session, bank.id, referral.id, broker.id, f"{NAME} moved away, rang 07812 913457"
    )
    send_texts(app)
    return referral


def test_after_a_purge_no_row_anywhere_holds_the_patients_number_or_name(
    app, client, session, bank, broker, practice, sent
):
    refer_and_talk(app, client, session, bank, broker, practice)
    assert holding(session, PATIENT, NAME) != []  # the scan sees what was kept
    assert [text.to for text in sent].count(PATIENT) == 1
    age_referrals(session, bank)

    output = purge(app)

    assert "1 referral" in output
    session.expire_all()
    assert holding(session, *PATIENT_FORMS, NAME, NHS_NUMBER, BIRTH_DATE) == []


def test_a_purge_keeps_other_peoples_texts_and_the_brokers_alerts(
    app, client, session, bank, broker, practice
):
    refer_and_talk(app, client, session, bank, broker, practice)
    age_referrals(session, bank)
    text_bank(client, app, PRACTICE_PHONE, "REFER 07812 345678 Jane lonely")
    text_bank(client, app, "+447812345678", "yes")
    alerts_before = session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.to_e164 == broker.mobile_e164
        )
    )

    purge(app)

    session.expire_all()
    assert holding(session, "+447812345678", "Jane") != []
    kept = session.scalars(sa.select(InboundMessage.from_e164)).all()
    assert sorted(kept) == [PRACTICE_PHONE, "+447812345678"]
    alerts_after = session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.to_e164 == broker.mobile_e164
        )
    )
    assert alerts_after == alerts_before == 2


def test_a_refer_that_made_no_referral_is_deleted_after_the_retention_days_not_before(
    app, client, session, bank, broker, practice
):
    text_bank(client, app, PRACTICE_PHONE, f"REFER 020 7946 0123 {NAME} lonely")
    member = MemberFactory(bank=bank, mobile="07956 111222")
    text_bank(client, app, member.mobile_e164, "BAL")

    purge(app)
    session.expire_all()
    assert [t.kind for t in session.scalars(sa.select(InboundMessage))] == ["refer", "balance"]

    age_referrals(session, bank)
    purge(app)
    session.expire_all()
    assert [t.kind for t in session.scalars(sa.select(InboundMessage))] == ["balance"]


def test_a_referral_that_led_to_a_member_is_not_purged(
    app, client, session, bank, broker, practice
):
    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} lonely")
    text_bank(client, app, PATIENT, "yes")
    referral = session.scalars(sa.select(Referral)).one()
    member = MemberFactory(bank=bank, mobile="07812 913457", display_name=f"{NAME} Quill")
    services.link_member(session, bank.id, referral.id, member.id, broker.id)
    age_referrals(session, bank)

    assert "0 referrals" in purge(app)

    session.expire_all()
    assert session.get(Referral, referral.id).first_name == NAME
    assert session.scalar(sa.select(sa.func.count(InboundMessage.id))) == 2


def test_a_referral_that_led_to_a_member_is_purged_once_the_member_is_erased(
    app, client, session, bank, broker, practice
):
    from timebank.membership.privacy import erase_member
    from timebank.membership.services import set_member_status

    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} lonely NHS {NHS_NUMBER}")
    text_bank(client, app, PATIENT, "yes")
    referral = session.scalars(sa.select(Referral)).one()
    member = MemberFactory(bank=bank, mobile="07812 913457", display_name=f"{NAME} Quill")
    services.link_member(session, bank.id, referral.id, member.id, broker.id)
    text_bank(client, app, PATIENT, "BAL")
    set_member_status(session, bank.id, member.id, "left")
    erase_member(session, bank.id, member.id)
    assert holding(session, *PATIENT_FORMS, NAME) != []  # the referral still names them

    assert "1 referral" in purge(app)

    session.expire_all()
    assert holding(session, *PATIENT_FORMS, NAME, NHS_NUMBER) == []
    assert session.get(Referral, referral.id).member_id == member.id


def test_a_purged_referral_is_gone_from_the_brokers_queue_and_pages(
    app, client, session, bank, broker, practice
):
    from tests.factories import sign_in_as

    referral = refer_and_talk(app, client, session, bank, broker, practice)
    age_referrals(session, bank)
    purge(app)
    sign_in_as(client, broker)

    queue = client.get("/broker/referrals?status=closed")
    page = client.get(f"/broker/referrals/{referral.id}")

    assert queue.status_code == 200 and f"R-{referral.id:04d}" not in queue.text
    assert page.status_code == 404


def test_purging_twice_purges_once(app, client, session, bank, broker, practice):
    refer_and_talk(app, client, session, bank, broker, practice)
    age_referrals(session, bank)

    first, second = purge(app), purge(app)

    assert "1 referral " in first and "0 referrals" in second


def test_a_purge_keeps_the_steps_reports_count_but_not_their_words(
    app, client, session, bank, broker, practice
):
    referral = refer_and_talk(app, client, session, bank, broker, practice)
    before = session.scalars(
        sa.select(ReferralEvent.status).where(ReferralEvent.referral_id == referral.id)
    ).all()
    age_referrals(session, bank)

    purge(app)

    session.expire_all()
    events = session.scalars(
        sa.select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
    ).all()
    assert [event.status for event in events] == before
    assert all(event.note == "" for event in events)
    kept = session.get(Referral, referral.id)
    assert kept.status == "closed" and kept.purged_at is not None
    assert (kept.patient_e164, kept.first_name, kept.reason, kept.outcome) == ("", "", "", None)


def test_a_number_that_texted_stop_stays_opted_out_after_its_referral_is_purged(
    app, client, session, bank, broker, practice, sent
):
    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} lonely")
    text_bank(client, app, PATIENT, "STOP")
    age_referrals(session, bank)
    purge(app)
    session.expire_all()
    # The opt-out is all that is kept: the number alone, so it is never texted again.
    assert {table for table, _, _ in holding(session, *PATIENT_FORMS, NAME)} == {"sms_opt_outs"}

    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} lonely")
    send_texts(app)

    assert [text.to for text in sent].count(PATIENT) == 1  # the first invitation, before STOP
    again = session.scalars(
        sa.select(OutboxMessage.status).where(OutboxMessage.to_e164 == PATIENT)
    ).all()
    assert again == ["suppressed"]


# --- Reports keep their figures ----------------------------------------------------------


def test_a_purge_does_not_change_the_referral_figures_of_past_reports(
    app, client, session, bank, broker, practice
):
    from timebank.reports.build import build_report

    refer_and_talk(app, client, session, bank, broker, practice)
    text_bank(client, app, PRACTICE_PHONE, "REFER 07812 345678 Jane lonely")
    text_bank(client, app, "+447812345678", "no")
    age_referrals(session, bank, days_past=40)
    created = session.scalars(sa.select(Referral.created_at)).first()
    start, end = created.date() - dt.timedelta(days=3), created.date() + dt.timedelta(days=3)

    def figures():
        report = build_report(session, bank.id, start, end, "broker")
        return list(report.table("referrals_by_practice").rows), list(
            report.table("referral_funnel").rows
        )

    before = figures()
    assert before[1][0] == ("Referred", 2)

    purge(app)

    session.expire_all()
    assert figures() == before


# --- The invitation says who sees the answer ----------------------------------------------


def test_the_invitation_says_the_answer_is_shared_with_the_practice(
    app, client, session, bank, broker, practice, sent
):
    text_bank(client, app, PRACTICE_PHONE, f"REFER 07812 913457 {NAME} lonely")
    send_texts(app)

    [invitation] = [text.body for text in sent if text.to == PATIENT]
    assert "practice" in invitation.split("Reply YES or NO")[1].lower()
    assert "answer" in invitation.lower()
    assert is_gsm7(invitation) and segment_count(invitation) == 1


def test_the_invitation_stays_one_gsm7_text_with_the_longest_names():
    body = replies.referral_invitation("Bartholomew-Jones", "Ä" + "x" * 60, "Ŵ" + "y" * 60)

    assert is_gsm7(body)
    assert segment_count(body) == 1
    assert "practice" in body.split("Reply YES or NO")[1].lower()
