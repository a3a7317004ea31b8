"""Decline, close, block and do-not-contact ask "Are you sure?" on a page of their own first."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory
from tests.functional.ledger_pages import give, signed_in, text_of
from timebank.broker import outreach
from timebank.broker.models import OutreachFlag
from timebank.broker.safeguarding import blocks_of
from timebank.extensions import db
from timebank.ledger.models import Transfer
from timebank.members.models import Member
from timebank.offers.models import Listing


def forms_posting_to(page, action: str) -> list[str]:
    """Return the forms on a page that post to `action`."""
    html = page.get_data(as_text=True)
    return re.findall(rf'<form[^>]*action="{re.escape(action)}"[^>]*>.*?</form>', html, re.S)


def hidden_fields(form_html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html))


def answer_yes(client, question, action: str, csrf: bool = True):
    """Press the question page's "Yes" button: post its form, as a browser would."""
    [form] = forms_posting_to(question, action)
    data = hidden_fields(form)
    assert "csrf_token" in data
    if not csrf:
        data.pop("csrf_token")
    return client.post(action, data=data)


def assert_is_a_question(page, heading: str, yes: str, back: str) -> None:
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(rf"<h1>{re.escape(heading)}</h1>", html), html
    assert f">{yes}</button>" in html
    assert f'href="{back}">No, go back</a>' in html
    assert "<script" not in html.split("<main")[-1]  # works without JavaScript


@pytest.fixture
def csrf_on(app):
    """Return a switch that turns CSRF checks on (after signing in), off again after the test."""
    yield lambda: app.config.update(WTF_CSRF_ENABLED=True)
    app.config["WTF_CSRF_ENABLED"] = False


def read(column, condition):
    """Read one value afresh from the database."""
    db.session.rollback()
    return db.session.scalar(sa.select(column).where(condition))


def resolved(transfer_id) -> bool:
    db.session.rollback()
    return (
        db.session.scalar(sa.select(Transfer.id).where(Transfer.pending_id == transfer_id))
        is not None
    )


# Declining an exchange.


def test_declining_from_home_asks_first_and_only_the_answer_declines(app, bank, csrf_on):
    joyce, sam = MemberFactory(bank=bank, display_name="Joyce Campbell"), MemberFactory(bank=bank)
    pending = give(joyce, sam, 60, skill_category="Gardening")
    client = signed_in(app, sam)
    csrf_on()
    action = f"/home/exchanges/{pending.id}/decline"
    home = client.get("/home")
    assert forms_posting_to(home, action) == []  # no one-tap decline any more
    assert f'href="{action}"' in home.get_data(as_text=True)
    question = client.get(action)
    assert_is_a_question(question, "Decline this exchange?", "Yes, decline", "/home")
    assert "Joyce Campbell says they gave you 1 hour for gardening" in text_of(question)
    assert "no hours move" in text_of(question)
    assert not resolved(pending.id)
    assert answer_yes(client, question, action, csrf=False).status_code == 400
    assert not resolved(pending.id)
    done = answer_yes(client, question, action)
    assert done.status_code == 302
    assert resolved(pending.id)


def test_nobody_else_can_open_the_question_about_my_exchange(app, bank):
    joyce, sam, olive = (MemberFactory(bank=bank) for _ in range(3))
    pending = give(joyce, sam, 60)
    assert signed_in(app, olive).get(f"/home/exchanges/{pending.id}/decline").status_code == 404
    assert signed_in(app, joyce).get(f"/home/exchanges/{pending.id}/decline").status_code == 404


def test_the_question_about_an_exchange_already_answered_says_so(app, bank):
    joyce, sam = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = give(joyce, sam, 60)
    client = signed_in(app, sam)
    question = client.get(f"/home/exchanges/{pending.id}/decline")
    answer_yes(client, question, f"/home/exchanges/{pending.id}/decline")
    again = client.get(f"/home/exchanges/{pending.id}/decline", follow_redirects=True)
    assert "already been confirmed or declined" in text_of(again)


# Closing an offer or request.


@pytest.mark.parametrize("page", ["/offers/mine", "/offers/{id}"])
def test_closing_an_offer_asks_first_and_only_the_answer_closes(app, bank, csrf_on, page):
    member = MemberFactory(bank=bank)
    listing = ListingFactory(member=member, kind="offer", title="Lifts to the surgery")
    client = signed_in(app, member)
    csrf_on()
    action = f"/offers/{listing.id}/close"
    shown = client.get(page.format(id=listing.id))
    assert forms_posting_to(shown, action) == []
    question = client.get(action)
    assert_is_a_question(
        question, "Close this offer?", "Yes, close this offer", f"/offers/{listing.id}"
    )
    assert "Lifts to the surgery" in text_of(question)
    assert read(Listing.status, Listing.id == listing.id) == "open"
    assert answer_yes(client, question, action).status_code == 302
    assert read(Listing.status, Listing.id == listing.id) == "closed"


def test_only_the_owner_is_asked_about_closing(app, bank):
    listing = ListingFactory(member=MemberFactory(bank=bank), kind="request")
    other = signed_in(app, MemberFactory(bank=bank))
    response = other.get(f"/offers/{listing.id}/close")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/offers/{listing.id}")


# Blocking a match, and do-not-contact (brokers).


def test_a_block_asks_first_and_only_the_answer_records_it(app, bank, broker, csrf_on):
    ann = MemberFactory(bank=bank, display_name="Ann Able")
    bob = MemberFactory(bank=bank, display_name="Bob Baker")
    client = signed_in(app, broker)
    csrf_on()
    page = client.get(f"/broker/members/{ann.id}")
    assert forms_posting_to(page, f"/broker/members/{ann.id}/blocks") == []
    [form] = forms_posting_to(page, f"/broker/members/{ann.id}/blocks/check")
    question = client.post(
        f"/broker/members/{ann.id}/blocks/check",
        data={**hidden_fields(form), "other": "Bob Baker", "reason": "Asked at the centre"},
    )
    assert_is_a_question(
        question,
        "Never match Ann Able with Bob Baker?",
        "Yes, record the block",
        f"/broker/members/{ann.id}",
    )
    assert "Reason: Asked at the centre" in text_of(question)
    assert blocks_of(db.session, bank.id, ann.id) == []
    done = answer_yes(client, question, f"/broker/members/{ann.id}/blocks")
    assert done.status_code == 302
    db.session.rollback()
    [line] = blocks_of(db.session, bank.id, ann.id)
    assert (line.other.id, line.block.reason) == (bob.id, "Asked at the centre")


def test_a_block_for_a_name_nobody_has_asks_nothing_and_says_so(app, bank, broker):
    ann = MemberFactory(bank=bank, display_name="Ann Able")
    page = signed_in(app, broker).post(
        f"/broker/members/{ann.id}/blocks/check", data={"other": "Nobody Here"}
    )
    assert "No other member is called Nobody Here." in text_of(page)
    assert "Yes, record the block" not in text_of(page)


def test_do_not_contact_on_the_member_page_asks_first(app, bank, broker, csrf_on):
    ann = MemberFactory(bank=bank, display_name="Ann Able")
    client = signed_in(app, broker)
    csrf_on()
    action = f"/broker/members/{ann.id}/do-not-contact"
    assert forms_posting_to(client.get(f"/broker/members/{ann.id}"), action) == []
    question = client.get(action)
    assert_is_a_question(
        question,
        "Did Ann Able ask not to be contacted?",
        "Yes, they asked not to be contacted",
        f"/broker/members/{ann.id}",
    )
    assert read(Member.do_not_contact, Member.id == ann.id) is False
    assert answer_yes(client, question, action).status_code == 302
    assert read(Member.do_not_contact, Member.id == ann.id) is True
    # Undoing it is one tap: it only lets outreach contact them again.
    assert forms_posting_to(client.get(f"/broker/members/{ann.id}"), action) != []


def test_do_not_contact_on_an_outreach_case_asks_first(app, session, bank, broker, csrf_on):
    quiet = MemberFactory(
        bank=bank,
        display_name="Quinn Quiet",
        now=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=100),
    )
    outreach.refresh_flags(session, bank.id, dt.date.today())
    flag = session.scalar(sa.select(OutreachFlag).filter_by(member_id=quiet.id))
    client = signed_in(app, broker)
    csrf_on()
    action = f"/broker/outreach/{flag.id}/do-not-contact"
    assert forms_posting_to(client.get(f"/broker/outreach/{flag.id}"), action) == []
    question = client.get(action)
    assert_is_a_question(
        question,
        "Did Quinn Quiet ask not to be contacted?",
        "Yes, they asked not to be contacted",
        f"/broker/outreach/{flag.id}",
    )
    assert answer_yes(client, question, action).status_code == 302
    assert read(Member.do_not_contact, Member.id == quiet.id) is True


def test_members_cannot_open_the_brokers_questions(app, bank):
    ann, sam = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, sam)
    assert client.get(f"/broker/members/{ann.id}/do-not-contact").status_code == 403
    assert client.post(f"/broker/members/{ann.id}/blocks/check").status_code == 403
