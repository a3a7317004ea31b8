"""Members answer the outcome questions by text: consent, two numbers, NO for never again."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.factories import MemberFactory, member_joined
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.clock import utcnow
from timebank.membership.services import set_member_status
from timebank.outcomes import questions
from timebank.outcomes.asking import ask_due
from timebank.outcomes.consent import agree
from timebank.outcomes.models import OutcomeConsent, OutcomeRound
from timebank.sms.models import InboundMessage, OutboxMessage

NOT_UNDERSTOOD = "did not understand that"


def midday_today():
    """A clock at noon UTC today: within the hours texts that ask may be queued."""
    stamp = dt.datetime.combine(utcnow().date(), dt.time(12), tzinfo=dt.UTC)
    return lambda: stamp


def text(client, app, member, body: str) -> str | None:
    return reply_of(text_bank(client, app, member.mobile_e164, body))


def asked(session, member) -> list[str]:
    return list(
        session.scalars(
            sa.select(OutboxMessage.purpose)
            .where(OutboxMessage.member_id == member.id, OutboxMessage.purpose.like("outcome%"))
            .order_by(OutboxMessage.id)
        )
    )


def rounds(session, member) -> list[tuple]:
    session.expire_all()
    return [
        (row.round, row.lonely, row.satisfied, row.waiting_for)
        for row in session.scalars(
            sa.select(OutcomeRound).where(OutcomeRound.member_id == member.id)
        )
    ]


def agreed_and_asked(session, bank, name="Joyce Campbell"):
    member = MemberFactory(bank=bank, display_name=name)
    agree(session, bank.id, member.id, "broker")
    ask_due(session, bank.id, now=midday_today())
    return member


def test_a_member_who_agreed_answers_both_questions_with_two_numbers(client, app, session, bank):
    joyce = agreed_and_asked(session, bank)
    assert asked(session, joyce) == ["outcome_question"]
    first = session.scalar(sa.select(OutboxMessage.body).where(OutboxMessage.member_id == joyce.id))
    assert "How often do you feel lonely?" in first

    assert text(client, app, joyce, "2") == questions.satisfied_question()
    assert text(client, app, joyce, "7") == questions.thanks(bank.name)
    assert rounds(session, joyce) == [(0, 2, 7, None)]
    # The answer's words are not kept with the text; the answer is kept once, in its round.
    kept = session.scalars(sa.select(InboundMessage).where(InboundMessage.kind == "outcome"))
    assert [row.body for row in kept] == [None, None]


def test_a_number_out_of_range_or_in_words_is_refused_and_changes_nothing(
    client, app, session, bank
):
    joyce = agreed_and_asked(session, bank)
    assert text(client, app, joyce, "7") == questions.out_of_range("lonely")
    assert text(client, app, joyce, "0") == questions.out_of_range("lonely")
    assert text(client, app, joyce, "three") == questions.out_of_range("lonely")
    assert rounds(session, joyce) == [(0, None, None, "lonely")]
    assert text(client, app, joyce, "1") == questions.satisfied_question()
    assert text(client, app, joyce, "11") == questions.out_of_range("satisfied")
    assert rounds(session, joyce) == [(0, 1, None, "satisfied")]
    assert text(client, app, joyce, "0") == questions.thanks(bank.name)
    assert rounds(session, joyce) == [(0, 1, 0, None)]


def test_a_bare_number_with_no_question_open_keeps_its_usual_meaning(client, app, session, bank):
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    assert NOT_UNDERSTOOD in text(client, app, dorothy, "3")
    assert NOT_UNDERSTOOD in text(client, app, dorothy, "three")
    assert rounds(session, dorothy) == []


def test_a_second_reply_after_both_answers_is_thanked_and_changes_nothing(
    client, app, session, bank
):
    joyce = agreed_and_asked(session, bank)
    text(client, app, joyce, "4")
    text(client, app, joyce, "8")
    assert text(client, app, joyce, "3") == questions.already_answered()
    assert rounds(session, joyce) == [(0, 4, 8, None)]


def test_nobody_is_asked_twice_in_a_period(client, app, session, bank):
    joyce = agreed_and_asked(session, bank)
    ask_due(session, bank.id, now=midday_today())
    summary = ask_due(session, bank.id, now=midday_today())
    assert summary.questions_asked == 0
    assert asked(session, joyce) == ["outcome_question"]


def test_no_means_never_asked_again(client, app, session, bank):
    joyce = agreed_and_asked(session, bank)
    assert text(client, app, joyce, "NO") == questions.refused()
    assert NOT_UNDERSTOOD in text(client, app, joyce, "3")
    session.expire_all()
    consent = session.get(OutcomeConsent, joyce.id)
    assert consent.refused_at is not None
    later = utcnow() + dt.timedelta(days=200)
    noon_later = dt.datetime.combine(later.date(), dt.time(12), tzinfo=dt.UTC)
    summary = ask_due(session, bank.id, now=lambda: noon_later)
    assert (summary.consent_asked, summary.questions_asked) == (0, 0)
    assert asked(session, joyce) == ["outcome_question"]


def test_an_undecided_member_is_asked_to_agree_once_and_yes_starts_the_questions(
    client, app, session, bank
):
    olive = MemberFactory(bank=bank, display_name="Olive Grant")
    assert ask_due(session, bank.id, now=midday_today()).consent_asked == 1
    assert ask_due(session, bank.id, now=midday_today()).consent_asked == 0
    assert asked(session, olive) == ["outcome_consent"]
    assert text(client, app, olive, "YES") == questions.lonely_question(bank.name)
    session.expire_all()
    consent = session.get(OutcomeConsent, olive.id)
    assert (consent.agreed_via, consent.agreed_at is not None) == ("text", True)
    assert text(client, app, olive, "5") == questions.satisfied_question()
    assert rounds(session, olive) == [(0, 5, None, "satisfied")]


def test_no_to_the_consent_text_means_never_asked(client, app, session, bank):
    olive = MemberFactory(bank=bank, display_name="Olive Grant")
    ask_due(session, bank.id, now=midday_today())
    assert text(client, app, olive, "NO") == questions.refused()
    assert ask_due(session, bank.id, now=midday_today()).questions_asked == 0
    assert rounds(session, olive) == []


def test_a_member_who_texted_stop_is_not_asked_and_their_number_is_no_answer(
    client, app, session, bank
):
    joyce = agreed_and_asked(session, bank)
    assert text(client, app, joyce, "STOP") is None
    assert NOT_UNDERSTOOD in text(client, app, joyce, "2")
    assert rounds(session, joyce) == [(0, None, None, "lonely")]
    olive = MemberFactory(bank=bank, display_name="Olive Grant")
    text(client, app, olive, "STOP")
    assert ask_due(session, bank.id, now=midday_today()).consent_asked == 0


def test_a_suspended_member_is_not_asked_and_their_number_is_no_answer(client, app, session, bank):
    joyce = agreed_and_asked(session, bank)
    set_member_status(session, bank.id, joyce.id, "suspended")
    assert NOT_UNDERSTOOD in text(client, app, joyce, "2")
    assert rounds(session, joyce) == [(0, None, None, "lonely")]
    walter = MemberFactory(bank=bank, display_name="Walter Hughes")
    agree(session, bank.id, walter.id, "broker")
    set_member_status(session, bank.id, walter.id, "suspended")
    summary = ask_due(session, bank.id, now=midday_today())
    assert (summary.consent_asked, summary.questions_asked) == (0, 0)


def test_a_reply_after_the_period_closed_is_no_answer(client, app, session, bank):
    seven_months_ago = utcnow().date() - dt.timedelta(days=212)
    ruth = member_joined(bank, "Ruth Evans", seven_months_ago)
    agree(session, bank.id, ruth.id, "broker")
    during = dt.datetime.combine(seven_months_ago + dt.timedelta(days=150), dt.time(12))
    ask_due(session, bank.id, now=lambda: during.replace(tzinfo=dt.UTC))
    assert rounds(session, ruth) == [(0, None, None, "lonely")]
    assert NOT_UNDERSTOOD in text(client, app, ruth, "2")
    assert rounds(session, ruth) == [(0, None, None, "lonely")]


def test_texts_that_ask_are_queued_only_between_nine_and_eight(session, bank):
    MemberFactory(bank=bank, display_name="Olive Grant")
    late = dt.datetime.combine(utcnow().date(), dt.time(20, 30), tzinfo=dt.UTC)
    summary = ask_due(session, bank.id, now=lambda: late)
    assert summary.quiet_hours and summary.consent_asked == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_staff_and_members_with_texts_turned_off_are_not_texted(session, bank, broker):
    quentin = MemberFactory(bank=bank, display_name="Quiet Quentin")
    quentin.sms_notifications = False
    session.commit()
    summary = ask_due(session, bank.id, now=midday_today())
    assert summary.consent_asked == 0


def test_the_same_reply_delivered_twice_is_one_answer(client, app, session, bank):
    joyce = agreed_and_asked(session, bank)
    first = reply_of(text_bank(client, app, joyce.mobile_e164, "2", sid="SMoutcome-twice"))
    again = reply_of(text_bank(client, app, joyce.mobile_e164, "2", sid="SMoutcome-twice"))
    assert first == again == questions.satisfied_question()
    assert rounds(session, joyce) == [(0, 2, None, "satisfied")]


def test_a_text_after_answering_on_the_web_changes_nothing(client, app, session, bank):
    from timebank.outcomes.answers import answer_on_web

    joyce = agreed_and_asked(session, bank)
    answer_on_web(session, bank.id, joyce.id, 3, 6)
    assert text(client, app, joyce, "1") == questions.already_answered()
    assert rounds(session, joyce) == [(0, 3, 6, None)]


def _zone_where_it_is_midday() -> str:
    """Return a fixed-offset zone in which it is about noon now, so the command may ask."""
    hours_ahead = 12 - utcnow().hour  # Etc/GMT-N is N hours ahead of UTC
    return f"Etc/GMT{'-' if hours_ahead >= 0 else '+'}{abs(hours_ahead)}"


def test_the_command_asks_with_a_summary_and_a_dry_run_queues_nothing(app, session):
    from tests.factories import TimeBankFactory

    bank = TimeBankFactory(slug="midday", timezone=_zone_where_it_is_midday())
    MemberFactory(bank=bank, display_name="Olive Grant")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["outcomes", "ask", "--bank", "midday", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "midday: would have asked 1 to agree" in dry.output
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    real = runner.invoke(args=["outcomes", "ask", "--bank", "midday"])
    assert "midday: asked 1 to agree, asked 0 the loneliness question." in real.output
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1
    missing = runner.invoke(args=["outcomes", "ask", "--bank", "nowhere"])
    assert missing.exit_code != 0 and "There is no time bank called nowhere" in missing.output
