"""Members agree to, answer or refuse the outcome questions on the web, without JavaScript."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.ledger_pages import signed_in
from timebank.extensions import db
from timebank.outcomes.consent import agree
from timebank.outcomes.models import OutcomeConsent, OutcomeRound

PAGE = "/how-you-feel"


@pytest.fixture
def csrf_on(app):
    """Return a switch that turns CSRF checks on (after signing in), off again after the test."""
    yield lambda: app.config.update(WTF_CSRF_ENABLED=True)
    app.config["WTF_CSRF_ENABLED"] = False


def html(response) -> str:
    return response.get_data(as_text=True)


def token(page) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html(page)).group(1)


def rounds(member) -> list[tuple]:
    db.session.rollback()
    return [
        (row.round, row.lonely, row.satisfied)
        for row in db.session.scalars(
            sa.select(OutcomeRound).where(OutcomeRound.member_id == member.id)
        )
    ]


def consent(member) -> OutcomeConsent | None:
    db.session.rollback()
    return db.session.get(OutcomeConsent, member.id)


def test_a_member_agrees_then_answers_both_questions_in_one_go(app, bank, csrf_on):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    client = signed_in(app, joyce)
    csrf_on()
    first = client.get(PAGE)
    assert "Yes, ask me" in html(first) and "<script" not in html(first).split("<main")[-1]
    assert client.post(f"{PAGE}/agree", data={}).status_code == 400  # no CSRF token
    assert consent(joyce) is None
    client.post(f"{PAGE}/agree", data={"csrf_token": token(first)})
    assert consent(joyce).agreed_via == "web"
    questions = client.get(PAGE)
    assert "How often do you feel lonely?" in html(questions)
    assert 'type="radio" value="1"' in html(questions)
    done = client.post(
        PAGE,
        data={"csrf_token": token(questions), "lonely": "4", "satisfied": "8"},
        follow_redirects=True,
    )
    assert "Your answers are saved" in html(done)
    assert rounds(joyce) == [(0, 4, 8)]
    assert "we have your answers for these six months" in html(client.get(PAGE))


def test_a_missing_or_out_of_range_answer_is_explained_and_saves_nothing(app, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    agree(db.session, bank.id, joyce.id, "web")
    client = signed_in(app, joyce)
    missing = client.post(PAGE, data={"satisfied": "8"})
    assert missing.status_code == 422
    assert "Please choose how often you feel lonely." in html(missing)
    wrong = client.post(PAGE, data={"lonely": "7", "satisfied": "8"})
    assert wrong.status_code == 422
    words = client.post(PAGE, data={"lonely": "3", "satisfied": "three"})
    assert "from 0 to 10" in html(words)
    assert rounds(joyce) == []


def test_answering_twice_in_a_period_keeps_the_first_answers(app, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    agree(db.session, bank.id, joyce.id, "web")
    client = signed_in(app, joyce)
    client.post(PAGE, data={"lonely": "2", "satisfied": "6"})
    again = client.post(PAGE, data={"lonely": "5", "satisfied": "10"})
    assert again.status_code == 422 and "already answered" in html(again)
    assert rounds(joyce) == [(0, 2, 6)]


def test_a_member_who_has_not_agreed_cannot_answer(app, bank):
    olive = MemberFactory(bank=bank, display_name="Olive Grant")
    client = signed_in(app, olive)
    refused = client.post(PAGE, data={"lonely": "2", "satisfied": "6"})
    assert refused.status_code == 422
    assert rounds(olive) == []


def test_no_thank_you_means_never_asked_and_the_page_says_so(app, bank):
    olive = MemberFactory(bank=bank, display_name="Olive Grant")
    client = signed_in(app, olive)
    page = client.post(f"{PAGE}/no", follow_redirects=True)
    assert "We will not ask you these questions again." in html(page)
    assert consent(olive).refused_at is not None
    assert "You said no to these questions" in html(page)


def test_the_page_needs_a_signed_in_member(client, bank):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_broker_records_a_new_members_yes_at_sign_up_and_only_then(client, session, bank):
    from tests.factories import sign_in_as
    from timebank.members.models import Member

    sign_in_as(client, MemberFactory(bank=bank, display_name="Bea Broker", role="broker"))
    details = {"name": "Jane Doe", "mobile": "07812 345678", "consent": "y"}
    client.post("/broker/sign-up", data={**details, "outcome_questions": "y"})
    client.post("/broker/sign-up", data={**details, "name": "Ann Lee", "mobile": "07812 345679"})
    jane, ann = (
        session.scalars(sa.select(Member).where(Member.display_name == name)).one()
        for name in ("Jane Doe", "Ann Lee")
    )
    assert consent(jane).agreed_via == "broker" and consent(jane).agreed_at is not None
    assert consent(ann) is None


def test_brokers_see_the_answers_table_on_the_report_page_and_as_csv(client, session, bank):
    from tests.factories import sign_in_as
    from timebank.outcomes.answers import answer_on_web

    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    agree(session, bank.id, joyce.id, "web")
    answer_on_web(session, bank.id, joyce.id, 2, 6)
    sign_in_as(client, MemberFactory(bank=bank, display_name="Bea Broker", role="broker"))
    page = html(client.get("/reports"))
    assert "How often members feel lonely, at joining and later" in page
    assert "Members who answered both times" in page
    download = client.get("/reports/outcome_loneliness.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "Often or always" in download.get_data(as_text=True)
