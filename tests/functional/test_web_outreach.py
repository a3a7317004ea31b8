"""Outreach pages: brokers work through the worklist; members never see flags."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.ledger_pages import signed_in
from timebank.broker import outreach_actions
from timebank.broker.models import OutreachContact, OutreachFlag
from timebank.extensions import db
from timebank.members.models import Member
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import BrokerAction

REASON = "has not made a first exchange yet"


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


def long_ago() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=100)


@pytest.fixture
def joyce(bank):
    """Return Joyce Campbell, who joined 100 days ago and has made no exchange."""
    return MemberFactory(bank=bank, display_name="Joyce Campbell", area="Catford", now=long_ago)


@pytest.fixture
def as_broker(app, broker):
    """Return a client with the broker signed in."""
    return signed_in(app, broker)


def current(flag_id: int) -> OutreachFlag:
    db.session.rollback()
    db.session.expire_all()
    found = db.session.get(OutreachFlag, flag_id)
    assert found is not None
    return found


def test_the_dashboard_links_to_the_worklist_with_a_count(as_broker, flag):
    text = as_broker.get("/broker").get_data(as_text=True)
    assert 'href="/broker/outreach"' in text and "1 member needs a call" in text


def test_the_worklist_shows_each_member_with_the_reason_and_links_to_them(as_broker, flag):
    page = as_broker.get("/broker/outreach")

    text = page.get_data(as_text=True)
    assert page.status_code == 200 and h1s(page) == ["Outreach"]
    assert "Joyce Campbell" in text and REASON in text and "Nobody yet" in text
    assert f'href="/broker/outreach/{flag.id}"' in text
    assert "<script" not in text


def test_the_worklist_filters_mine_unassigned_and_snoozed(app, session, as_broker, broker, flag):
    outreach_actions.assign(session, flag.bank_id, flag.id, broker.id, broker.id)

    mine = as_broker.get("/broker/outreach?show=mine").get_data(as_text=True)
    unassigned = as_broker.get("/broker/outreach?show=unassigned").get_data(as_text=True)
    snoozed = as_broker.get("/broker/outreach?snoozed=1").get_data(as_text=True)

    assert "Joyce Campbell" in mine and "Bea Broker" in mine
    assert "Joyce Campbell" not in unassigned and "Joyce Campbell" not in snoozed


def test_the_members_page_shows_their_details_reasons_and_forms(as_broker, joyce, flag):
    page = as_broker.get(f"/broker/outreach/{flag.id}")

    text = page.get_data(as_text=True)
    assert h1s(page) == ["Joyce Campbell"]
    assert "Catford" in text and REASON in text and "0:00 hours" in text
    assert "Hi Joyce, it&#39;s Bea from" in text  # the nudge, ready to edit
    for action in ("assign", "assign-me", "contact", "snooze", "resolve", "nudge"):
        assert f'action="/broker/outreach/{flag.id}/{action}"' in text


def test_recording_a_contact_redirects_with_a_confirmation(session, as_broker, broker, flag):
    response = as_broker.post(
        f"/broker/outreach/{flag.id}/contact",
        data={"contact-method": "phoned", "contact-outcome": "", "contact-note": "Left a message"},
    )

    assert response.status_code == 302
    page = as_broker.get(response.headers["Location"]).get_data(as_text=True)
    assert "Contact recorded." in page and "Left a message" in page and "Phoned" in page
    db.session.rollback()
    assert db.session.scalar(sa.select(OutreachContact.broker_id)) == broker.id


def test_a_contact_with_an_ending_outcome_takes_them_off_the_worklist(as_broker, flag):
    response = as_broker.post(
        f"/broker/outreach/{flag.id}/contact",
        data={"contact-method": "visited", "contact-outcome": "re_engaged"},
        follow_redirects=True,
    )

    assert "They are off the worklist: re-engaged." in response.get_data(as_text=True)
    assert current(flag.id).status == "resolved"
    assert "Joyce Campbell" not in as_broker.get("/broker/outreach").get_data(as_text=True)


def test_a_contact_without_a_method_shows_the_error_beside_it(as_broker, flag):
    response = as_broker.post(f"/broker/outreach/{flag.id}/contact", data={})

    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in text and "Choose how you tried to reach them." in text


def test_assigning_to_me_and_to_another_broker(as_broker, bank, broker, flag):
    grace = MemberFactory(bank=bank, display_name="Grace Broker", role="broker")

    me = as_broker.post(f"/broker/outreach/{flag.id}/assign-me", follow_redirects=True)
    assert "Assigned to you." in me.get_data(as_text=True)
    assert current(flag.id).assigned_to_id == broker.id
    other = as_broker.post(
        f"/broker/outreach/{flag.id}/assign", data={"assign-broker": str(grace.id)}
    )
    assert other.status_code == 302 and current(flag.id).assigned_to_id == grace.id


def test_snoozing_needs_a_future_date(as_broker, flag):
    past = as_broker.post(f"/broker/outreach/{flag.id}/snooze", data={"snooze-until": "2020-01-01"})
    assert past.status_code == 422 and "Choose a date after today." in past.get_data(as_text=True)

    until = dt.date.today() + dt.timedelta(days=14)
    done = as_broker.post(
        f"/broker/outreach/{flag.id}/snooze",
        data={"snooze-until": until.isoformat()},
        follow_redirects=True,
    )

    assert f"Put aside until {until.day} {until:%B %Y}." in done.get_data(as_text=True)
    assert (current(flag.id).status, current(flag.id).snoozed_until) == ("snoozed", until)


def test_resolving_from_the_page(as_broker, broker, flag):
    response = as_broker.post(
        f"/broker/outreach/{flag.id}/resolve", data={"resolve-outcome": "paused"}
    )

    assert response.status_code == 302
    assert (current(flag.id).status, current(flag.id).outcome) == ("resolved", "paused")
    page = as_broker.get(f"/broker/outreach/{flag.id}").get_data(as_text=True)
    assert "Not on the worklist" in page and "Resolved: paused" in page
    assert 'action="/broker/outreach' not in page


def test_sending_a_nudge_queues_the_edited_text(as_broker, joyce, flag):
    response = as_broker.post(
        f"/broker/outreach/{flag.id}/nudge",
        data={"nudge-text": "Hi Joyce, fancy the lunch club on Friday?"},
        follow_redirects=True,
    )

    assert "Text queued." in response.get_data(as_text=True)
    db.session.rollback()
    (message,) = db.session.scalars(sa.select(OutboxMessage))
    assert (message.body, message.to_e164) == (
        "Hi Joyce, fancy the lunch club on Friday?",
        joyce.mobile_e164,
    )


def test_a_nudge_over_one_text_is_refused_on_the_page(as_broker, flag):
    response = as_broker.post(f"/broker/outreach/{flag.id}/nudge", data={"nudge-text": "b" * 170})

    assert response.status_code == 422
    assert "This text is 170 characters" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_asked_not_to_be_contacted_from_the_page(as_broker, joyce, flag):
    response = as_broker.post(f"/broker/outreach/{flag.id}/do-not-contact", follow_redirects=True)

    assert "They will not be flagged again." in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Member, joyce.id).do_not_contact is True
    actions = db.session.scalars(sa.select(BrokerAction.action)).all()
    assert actions == ["do_not_contact"]


def test_members_get_403_on_every_outreach_page(app, bank, flag):
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    as_sam = signed_in(app, sam)

    assert as_sam.get("/broker/outreach").status_code == 403
    assert as_sam.get(f"/broker/outreach/{flag.id}").status_code == 403
    posted = as_sam.post(f"/broker/outreach/{flag.id}/resolve", data={"resolve-outcome": "left"})
    assert posted.status_code == 403
    assert current(flag.id).status == "open"


def test_a_broker_of_another_bank_gets_404_for_a_flag(app, flag):
    stranger = MemberFactory(display_name="Other Broker", role="broker")
    as_stranger = signed_in(app, stranger)

    assert as_stranger.get(f"/broker/outreach/{flag.id}").status_code == 404
    posted = as_stranger.post(
        f"/broker/outreach/{flag.id}/resolve", data={"resolve-outcome": "left"}
    )
    assert posted.status_code == 404
    assert "Joyce" not in as_stranger.get("/broker/outreach").get_data(as_text=True)
    assert current(flag.id).status == "open"


def test_a_flagged_members_own_pages_never_mention_the_flag(app, joyce, flag):
    as_joyce = signed_in(app, joyce)

    for path in ("/", "/profile", f"/members/{joyce.id}"):
        response = as_joyce.get(path, follow_redirects=True)
        text = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert REASON not in text and "Outreach" not in text and "outreach" not in text


def test_acting_on_a_member_already_dealt_with_says_so(session, as_broker, broker, flag):
    outreach_actions.resolve(session, flag.bank_id, flag.id, broker.id, "paused")

    response = as_broker.post(
        f"/broker/outreach/{flag.id}/contact",
        data={"contact-method": "phoned"},
        follow_redirects=True,
    )

    assert "Joyce Campbell is no longer on the worklist." in response.get_data(as_text=True)
