"""The outreach API: brokers list flags, read a case, assign, record contacts, snooze, resolve."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.broker import outreach, outreach_actions
from timebank.broker.models import OutreachContact, OutreachFlag
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.tokens import create_token
from timebank.tenancy.models import BrokerAction

REASON = "has not made a first exchange yet"


def bearer(member: Member, **kwargs) -> dict[str, str]:
    token = create_token(db.session, member.bank_id, member.id, "Tests", **kwargs)[1]
    return {"Authorization": f"Bearer {token}"}


def long_ago() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=100)


def current(flag_id: int) -> OutreachFlag:
    db.session.rollback()
    db.session.expire_all()
    found = db.session.get(OutreachFlag, flag_id)
    assert found is not None
    return found


@pytest.fixture
def joyce(bank):
    """Return Joyce Campbell, who joined 100 days ago and has made no exchange."""
    return MemberFactory(bank=bank, display_name="Joyce Campbell", now=long_ago)


@pytest.fixture
def as_broker(broker):
    return bearer(broker)


def test_a_broker_lists_the_open_flags_with_reasons(client, as_broker, joyce, flag):
    response = client.get("/api/v1/outreach/flags", headers=as_broker)

    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["items"]] == [flag.id] and body["next_cursor"] is None
    item = body["items"][0]
    assert item["member_id"] == joyce.id and item["member_name"] == "Joyce Campbell"
    assert REASON in item["reason"] and item["status"] == "open"
    assert item["assigned_to_id"] is None and item["raised_at"].endswith("+00:00")


def test_flags_filter_by_status_and_by_who_has_them(client, session, broker, as_broker, flag):
    unassigned = client.get("/api/v1/outreach/flags?assigned=none", headers=as_broker).get_json()
    outreach_actions.assign(session, flag.bank_id, flag.id, broker.id, broker.id)
    mine = client.get("/api/v1/outreach/flags?assigned=me", headers=as_broker).get_json()
    none = client.get("/api/v1/outreach/flags?assigned=none", headers=as_broker).get_json()
    resolved = client.get("/api/v1/outreach/flags?status=resolved", headers=as_broker)

    assert [item["id"] for item in unassigned["items"]] == [flag.id]
    assert [item["id"] for item in mine["items"]] == [flag.id]
    assert none["items"] == [] and resolved.get_json()["items"] == []


def test_the_next_cursor_walks_every_flag_exactly_once(client, session, bank, as_broker):
    for n in range(5):
        MemberFactory(bank=bank, display_name=f"Quiet {n}", now=long_ago)
    outreach.refresh_flags(session, bank.id, dt.date.today())
    every = set(session.scalars(sa.select(OutreachFlag.id)))
    seen, cursor = [], None
    for _ in range(10):
        query = "/api/v1/outreach/flags?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query, headers=as_broker).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(every) >= 5 and sorted(seen) == sorted(every) and len(seen) == len(every)


def test_a_broker_assigns_a_case_to_themself_or_another_broker(
    client, bank, broker, as_broker, flag
):
    other = MemberFactory(bank=bank, display_name="Bo Broker", role="broker")

    mine = client.post(f"/api/v1/outreach/flags/{flag.id}/assign", headers=as_broker, json={})
    theirs = client.post(
        f"/api/v1/outreach/flags/{flag.id}/assign",
        headers=as_broker,
        json={"broker_id": other.id},
    )

    assert mine.status_code == 200 and mine.get_json()["assigned_to_id"] == broker.id
    assert theirs.get_json()["assigned_to_id"] == other.id
    assert current(flag.id).assigned_to_id == other.id


def test_assigning_to_someone_who_is_not_a_broker_is_a_422(client, joyce, as_broker, flag):
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/assign",
        headers=as_broker,
        json={"broker_id": joyce.id},
    )
    assert response.status_code == 422 and "not an active broker" in response.get_json()["detail"]


def test_a_contact_is_recorded_and_shows_on_the_case(client, broker, as_broker, flag):
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/contacts",
        headers=as_broker,
        json={"method": "phoned", "outcome": "needs_support", "note": "Call back on Friday"},
    )

    assert response.status_code == 201
    contact = response.get_json()
    assert (contact["method"], contact["outcome"], contact["broker_id"]) == (
        "phoned",
        "needs_support",
        broker.id,
    )
    case = client.get(f"/api/v1/outreach/flags/{flag.id}", headers=as_broker).get_json()
    assert [c["note"] for c in case["contacts"]] == ["Call back on Friday"]
    assert case["status"] == "open" and case["assigned_to_id"] == broker.id
    line = db.session.scalar(sa.select(BrokerAction).filter_by(action="outreach_contact"))
    assert line is not None and line.broker_id == broker.id


def test_a_contact_that_re_engaged_the_member_resolves_the_flag(client, as_broker, flag):
    client.post(
        f"/api/v1/outreach/flags/{flag.id}/contacts",
        headers=as_broker,
        json={"method": "visited", "outcome": "re_engaged"},
    )
    found = current(flag.id)
    assert (found.status, found.outcome) == ("resolved", "re_engaged")


def test_a_broker_snoozes_a_case_until_a_later_day(client, as_broker, flag):
    until = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/snooze", headers=as_broker, json={"until": until}
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "snoozed"
    assert response.get_json()["snoozed_until"] == until


@pytest.mark.parametrize(
    "until", [dt.date.today().isoformat(), "2999-01-01", "tomorrow", "2026-02-30", None]
)
def test_a_snooze_date_not_within_the_next_year_is_a_422(client, as_broker, flag, until):
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/snooze", headers=as_broker, json={"until": until}
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert current(flag.id).status == "open"


def test_a_broker_resolves_a_case_with_how_it_ended(client, broker, as_broker, flag):
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/resolve", headers=as_broker, json={"outcome": "paused"}
    )

    body = response.get_json()
    assert response.status_code == 200
    assert (body["status"], body["outcome"], body["resolved_by_id"]) == (
        "resolved",
        "paused",
        broker.id,
    )
    again = client.post(
        f"/api/v1/outreach/flags/{flag.id}/resolve", headers=as_broker, json={"outcome": "left"}
    )
    assert again.status_code == 409 and "no longer on the worklist" in again.get_json()["detail"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("contacts", {"method": "emailed"}),
        ("contacts", {"method": "phoned", "outcome": "happy"}),
        ("contacts", {"method": "phoned", "note": "x" * 501}),
        ("contacts", {"method": "phoned", "note": "Rang\x00"}),
        ("contacts", {}),
        ("resolve", {"outcome": "needs_support"}),
        ("resolve", {}),
        ("assign", {"broker_id": "me"}),
        ("assign", {"broker_id": 99999999999}),
        ("assign", {"broker_id": 1, "extra": True}),
    ],
)
def test_bad_action_details_are_a_422_and_change_nothing(client, as_broker, flag, action, body):
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/{action}", headers=as_broker, json=body
    )

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert db.session.query(OutreachContact).count() == 0
    found = current(flag.id)
    assert (found.status, found.assigned_to_id) == ("open", None)


def test_members_and_practice_tokens_get_403_everywhere(client, admin, joyce, practice, flag):
    for headers in (bearer(joyce), bearer(admin, partner_id=practice.id)):
        assert client.get("/api/v1/outreach/flags", headers=headers).status_code == 403
        assert client.get(f"/api/v1/outreach/flags/{flag.id}", headers=headers).status_code == 403
        for action in ("assign", "contacts", "snooze", "resolve"):
            response = client.post(
                f"/api/v1/outreach/flags/{flag.id}/{action}", headers=headers, json={}
            )
            assert response.status_code == 403


def test_an_admin_may_work_on_outreach(client, admin, flag):
    response = client.post(
        f"/api/v1/outreach/flags/{flag.id}/assign", headers=bearer(admin), json={}
    )
    assert response.status_code == 200 and response.get_json()["assigned_to_id"] == admin.id


def test_another_banks_flags_are_404_and_never_listed(client, session, as_broker):
    other_bank = TimeBankFactory()
    MemberFactory(bank=other_bank, now=long_ago)
    MemberFactory(bank=other_bank, role="broker")
    outreach.refresh_flags(session, other_bank.id, dt.date.today())
    theirs = session.scalar(sa.select(OutreachFlag).filter_by(bank_id=other_bank.id))
    assert theirs is not None

    listed = client.get("/api/v1/outreach/flags", headers=as_broker).get_json()
    read = client.get(f"/api/v1/outreach/flags/{theirs.id}", headers=as_broker)
    resolved = client.post(
        f"/api/v1/outreach/flags/{theirs.id}/resolve",
        headers=as_broker,
        json={"outcome": "left"},
    )

    assert theirs.id not in [item["id"] for item in listed["items"]]
    assert read.status_code == 404 and resolved.status_code == 404
    assert current(theirs.id).status == "open"


@pytest.mark.parametrize(
    "query", ["status=closed", "assigned=someone", "limit=-1", "cursor=WyIxIl0=", "cursor=!!"]
)
def test_bad_list_arguments_are_a_422(client, as_broker, query):
    response = client.get(f"/api/v1/outreach/flags?{query}", headers=as_broker)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
