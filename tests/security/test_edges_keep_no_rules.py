"""The edges keep no rules: the services decide, and every edge shows their refusal.

If the API re-checked who may record or confirm, a change to the ledger's rule would not be
seen there; if it skipped one, a member could do what only a broker may. These tests change
the rule in the service and watch the API follow, and try what an adversary would: another
bank's listing, a closed one, a suspended broker, a broker's token that carries only a
member's role.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory, sign_in_as
from tests.functional.ledger_pages import OwnContextClient, date_fields, signed_in, text_of
from tests.functional.test_api_transfers import assert_problem, bearer, token_for
from timebank.broker import safeguarding
from timebank.broker.models import MemberCheck
from timebank.errors import DateInFuture, InvalidDetail, NotAllowed
from timebank.extensions import db
from timebank.ledger import errors as ledger_errors
from timebank.ledger import rules
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.offers import services as offers
from timebank.offers.models import Listing
from timebank.tenancy.days import today_in_zone


@pytest.fixture
def api(app):
    """A client whose every request has its own app context and session, as in production."""
    return OwnContextClient(app, app.response_class)


def transfer(giver, receiver, day: dt.date | None = None, **more) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "giver_id": giver.id,
        "receiver_id": receiver.id,
        "minutes": 60,
        **({"happened_on": day.isoformat()} if day else {}),
        **more,
    }


# A rule changed in the service is seen by the API: it keeps no copy.


def everyone_has_broker_rights(member_is_broker: bool, acting_role: str | None = None) -> bool:
    return True


def test_the_api_follows_the_ledgers_rule_on_who_records_for_others(api, bank, monkeypatch):
    ann, bob, cat = (MemberFactory(bank=bank) for _ in range(3))
    refused = api.post("/api/v1/transfers", json=transfer(ann, bob), headers=bearer(token_for(cat)))
    assert_problem(refused, 403, "not_your_exchange")

    # Suppose every member had a broker's rights in the ledger: one change, in the rule.
    monkeypatch.setattr(rules, "broker_rights", everyone_has_broker_rights)
    taken = api.post("/api/v1/transfers", json=transfer(ann, bob), headers=bearer(token_for(cat)))
    group = api.post(
        "/api/v1/group-exchanges",
        json={"id": str(uuid.uuid4()), "giver_ids": [ann.id], "receiver_ids": [bob.id, cat.id]}
        | {"minutes": 30},
        headers=bearer(token_for(MemberFactory(bank=bank))),
    )

    assert taken.status_code == 201, taken.get_data(as_text=True)
    assert group.status_code == 201, group.get_data(as_text=True)


def test_the_api_follows_the_ledgers_rule_on_who_confirms(api, bank, monkeypatch):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    waiting = api.post("/api/v1/transfers", json=transfer(ann, bob), headers=bearer(token_for(ann)))
    transfer_id = waiting.get_json()["id"]
    own = api.post(
        f"/api/v1/transfers/{transfer_id}/confirm", json={}, headers=bearer(token_for(ann))
    )
    assert_problem(own, 403, "not_your_exchange")
    assert "Only the person who received the help" in own.get_json()["detail"]

    monkeypatch.setattr(rules, "broker_rights", everyone_has_broker_rights)
    confirmed = api.post(
        f"/api/v1/transfers/{transfer_id}/confirm", json={}, headers=bearer(token_for(ann))
    )

    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    assert confirmed.get_json()["state"] == "confirmed"


# Adversaries.


def test_a_brokers_member_token_cannot_confirm_or_decline_for_others(api, bank, broker):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    waiting = api.post("/api/v1/transfers", json=transfer(ann, bob), headers=bearer(token_for(ann)))
    path = f"/api/v1/transfers/{waiting.get_json()['id']}"
    as_member = bearer(token_for(broker, role="member"))

    assert_problem(api.post(f"{path}/confirm", json={}, headers=as_member), 404)
    assert_problem(api.post(f"{path}/decline", json={}, headers=as_member), 404)
    full = api.post(f"{path}/confirm", json={}, headers=bearer(token_for(broker)))
    assert full.status_code == 200 and full.get_json()["state"] == "confirmed"


def test_a_brokers_member_token_cannot_close_someone_elses_listing(api, bank, broker):
    listing = ListingFactory(member=MemberFactory(bank=bank))

    refused = api.post(
        f"/api/v1/listings/{listing.id}/close", headers=bearer(token_for(broker, role="member"))
    )

    body = assert_problem(refused, 403, "not_your_listing")
    assert body["detail"] == "Only the member who posted this, or a broker, can close it."
    assert db.session.get(Listing, listing.id).status == "open"


def test_a_suspended_broker_cannot_close_a_listing_through_the_service(session, bank):
    listing = ListingFactory(member=MemberFactory(bank=bank))
    suspended = MemberFactory(bank=bank, role="broker", status="suspended")

    with pytest.raises(offers.NotYourListing):
        offers.close_by_owner_or_broker(session, bank.id, suspended.id, listing.id)
    assert session.get(Listing, listing.id).status == "open"


def test_a_closed_listing_is_refused_by_the_service_in_the_same_words_on_the_api(
    api, session, bank
):
    owner = MemberFactory(bank=bank)
    listing = ListingFactory(member=owner, kind="request")
    offers.close_listing(session, bank.id, owner.id, listing.id)

    with pytest.raises(offers.ListingClosed) as refused:
        offers.own_open_listing(session, bank.id, owner.id, listing.id)
    answer = api.patch(
        f"/api/v1/listings/{listing.id}", json={"title": "Later"}, headers=bearer(token_for(owner))
    )

    body = assert_problem(answer, 409, "listing_closed")
    assert (
        body["detail"]
        == refused.value.message
        == ("This request is closed, so it cannot be changed.")
    )


def test_another_banks_listing_cannot_be_changed_or_closed_on_any_edge(app, api, bank, broker):
    theirs = ListingFactory(member=MemberFactory(bank=TimeBankFactory()))
    mine = MemberFactory(bank=bank)

    patched = api.patch(
        f"/api/v1/listings/{theirs.id}", json={"title": "x"}, headers=bearer(token_for(mine))
    )
    closed = api.post(f"/api/v1/listings/{theirs.id}/close", headers=bearer(token_for(broker)))
    page = signed_in(app, mine).post(f"/offers/{theirs.id}/close")

    assert (patched.status_code, closed.status_code, page.status_code) == (404, 404, 404)
    assert db.session.get(Listing, theirs.id).status == "open"


def test_someone_elses_listing_is_403_on_the_api_and_404_on_the_web(app, api, bank):
    listing = ListingFactory(member=MemberFactory(bank=bank))
    other = MemberFactory(bank=bank)

    answer = api.patch(
        f"/api/v1/listings/{listing.id}", json={"title": "x"}, headers=bearer(token_for(other))
    )
    page = signed_in(app, other).get(f"/offers/{listing.id}/edit")

    assert_problem(answer, 403, "not_your_listing")
    assert page.status_code == 404
    assert isinstance(offers.NotYourListing("x"), NotAllowed)


# "Not in the future" is the bank's own day, decided in the service, in the same words.


def test_tomorrow_is_refused_with_the_same_words_by_the_service_the_api_and_the_web(
    app, api, session, bank
):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    today = today_in_zone(bank.timezone)
    tomorrow = today + dt.timedelta(days=1)
    words = ledger_errors.ExchangeDateInFuture(today).message

    with pytest.raises(ledger_errors.ExchangeDateInFuture) as refused:
        record_exchange(
            session,
            ExchangeRequest(uuid.uuid4(), bank.id, ann.id, bob.id, 60, bob.id, tomorrow),
        )
    answer = api.post(
        "/api/v1/transfers", json=transfer(ann, bob, tomorrow), headers=bearer(token_for(bob))
    )
    web = signed_in(app, bob)
    web.post("/log", data={"member": str(ann.id)})
    page = web.post(
        "/log/details",
        data={"direction": "received", "duration": "60", **date_fields(tomorrow)}
        | {"skill_category": "Gardening"},
    )

    assert refused.value.message == words
    assert assert_problem(answer, 422, "date_in_future")["detail"] == words
    assert words in text_of(page)


def test_today_is_taken_on_the_api_whatever_the_hour(api, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    today = today_in_zone(bank.timezone)

    answer = api.post(
        "/api/v1/transfers", json=transfer(ann, bob, today), headers=bearer(token_for(bob))
    )

    assert answer.status_code == 201 and answer.get_json()["happened_on"] == today.isoformat()


def at(year, month, day, hour, minute=0):
    stamp = dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)
    return lambda: stamp


def test_a_safeguarding_check_dated_tomorrow_in_the_banks_day_is_refused_near_midnight(
    session,
):
    bank = TimeBankFactory(timezone="Pacific/Auckland")
    broker = MemberFactory(bank=bank, role="broker")
    joyce = MemberFactory(bank=bank)
    # 11:30 UTC on 10 June is 23:30 in Auckland: still 10 June there.
    before_midnight = at(2026, 6, 10, 11, 30)
    with pytest.raises(DateInFuture) as refused:
        safeguarding.record_check(
            session, bank.id, broker.id, joyce.id, dt.date(2026, 6, 11), now=before_midnight
        )
    today = safeguarding.record_check(
        session, bank.id, broker.id, joyce.id, dt.date(2026, 6, 10), now=before_midnight
    )
    # 12:30 UTC is 00:30 on 11 June in Auckland, though still 10 June in UTC.
    after_midnight = safeguarding.record_check(
        session, bank.id, broker.id, joyce.id, dt.date(2026, 6, 11), now=at(2026, 6, 10, 12, 30)
    )

    assert isinstance(refused.value, InvalidDetail) and refused.value.field == "checked_on"
    assert refused.value.message == "The date of the check cannot be in the future."
    assert (today.checked_on, after_midnight.checked_on) == (
        dt.date(2026, 6, 10),
        dt.date(2026, 6, 11),
    )


def test_the_check_page_refuses_tomorrow_in_the_banks_day_in_the_services_words(
    client, session, bank, broker
):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, broker)
    tomorrow = today_in_zone(bank.timezone) + dt.timedelta(days=1)

    page = client.post(
        f"/broker/members/{joyce.id}/checks", data={"checked_on": tomorrow.isoformat()}
    )
    taken = client.post(
        f"/broker/members/{joyce.id}/checks",
        data={"checked_on": today_in_zone(bank.timezone).isoformat()},
    )

    assert "The date of the check cannot be in the future." in page.get_data(as_text=True)
    assert taken.status_code == 302
    assert session.scalar(sa.select(sa.func.count()).select_from(MemberCheck)) == 1
