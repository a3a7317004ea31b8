"""The brokers' community pot page, and the join date form on a member's broker page."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import balance, signed_in, transfer_count
from timebank.broker.joining import joined_on
from timebank.extensions import db
from timebank.ledger.models import Transfer
from timebank.ledger.pot import pot_balance
from timebank.members.models import Member
from timebank.membership.services import set_member_status
from timebank.tenancy.models import BrokerAction


def pot_now(bank) -> int:
    db.session.rollback()
    found = pot_balance(db.session, bank.id).balance
    db.session.rollback()
    return found


def held(response) -> str:
    found = re.search(r'id="pot-balance">(.*?)</dd>', response.get_data(as_text=True), re.S)
    assert found is not None
    return found.group(1).strip()


def give(client, member, hours="", mins="", note="", write_id=None):
    return client.post(
        "/broker/pot/donations",
        data={
            "member": str(member.id),
            "hours": hours,
            "mins": mins,
            "note": note,
            "transfer_id": str(write_id or uuid.uuid4()),
        },
        follow_redirects=True,
    )


def grant(client, member, hours="", mins="", reason="After a hospital stay", write_id=None):
    return client.post(
        "/broker/pot/grants",
        data={
            "member": str(member.id),
            "hours": hours,
            "mins": mins,
            "reason": reason,
            "transfer_id": str(write_id or uuid.uuid4()),
        },
        follow_redirects=True,
    )


def test_a_broker_records_a_gift_and_a_grant_and_sees_what_the_pot_holds(app, bank, broker):
    sam = MemberFactory(bank=bank, display_name="Sam Okafor")
    jo = MemberFactory(bank=bank, display_name="Jo Reid")
    client = signed_in(app, broker)
    assert held(client.get("/broker/pot")) == "no hours"

    gave = give(client, sam, hours="3", note="Moving away")
    assert "Recorded: Sam Okafor gave 3 hours to the community pot." in gave.get_data(as_text=True)
    assert held(gave) == "3 hours"
    granted = grant(client, jo, hours="1", mins="30")
    text = granted.get_data(as_text=True)
    assert "Recorded: The community pot gave 1 hour 30 minutes to Jo Reid." in text
    assert "The pot now holds 1 hour 30 minutes." in text
    assert held(granted) == "1 hour 30 minutes"
    assert "(After a hospital stay)" in text
    assert (balance(sam), balance(jo), pot_now(bank)) == (-180, 90, 90)


def test_a_grant_bigger_than_the_pot_is_refused_and_nothing_moves(app, bank, broker):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, broker)
    give(client, sam, mins="45")

    refused = grant(client, jo, hours="1")

    assert refused.status_code == 409
    assert "The community pot holds 45 minutes, so it cannot give 1 hour." in refused.get_data(
        as_text=True
    )
    assert (balance(jo), pot_now(bank), transfer_count()) == (0, 45, 1)


def test_a_gift_from_a_suspended_member_is_refused(app, session, bank, broker):
    sam = MemberFactory(bank=bank, display_name="Sam Okafor")
    set_member_status(session, bank.id, sam.id, "suspended")
    client = signed_in(app, broker)

    refused = give(client, sam, hours="1")

    assert refused.status_code == 409
    assert "Sam Okafor is not an active member (suspended)" in refused.get_data(as_text=True)
    assert transfer_count() == 0


def test_a_gift_that_would_pass_the_overdraft_is_refused_in_plain_words(app, bank, broker):
    sam = MemberFactory(bank=bank, display_name="Sam Okafor")  # overdraft: minus 10 hours
    client = signed_in(app, broker)

    refused = give(client, sam, hours="10", mins="1")

    assert refused.status_code == 409
    assert "-10:01, below the -10:00 limit" in refused.get_data(as_text=True)
    assert transfer_count() == 0


def test_pressing_the_button_twice_records_the_grant_once(app, bank, broker):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, broker)
    give(client, sam, hours="2")
    same = uuid.uuid4()
    grant(client, jo, hours="1", write_id=same)
    grant(client, jo, hours="1", write_id=same)
    assert (balance(jo), pot_now(bank), transfer_count()) == (60, 60, 2)


def test_members_cannot_reach_the_pot_page_or_its_forms(app, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    client = signed_in(app, sam)
    assert client.get("/broker/pot").status_code == 403
    assert give(client, sam, hours="1").status_code == 403
    assert grant(client, sam, hours="1").status_code == 403
    assert grant(client, jo, hours="1").status_code == 403
    assert transfer_count() == 0


def test_another_banks_member_number_is_not_found_and_nothing_moves(app, bank, broker):
    stranger = MemberFactory(bank=TimeBankFactory())
    client = signed_in(app, broker)

    refused = give(client, stranger, hours="1")

    assert refused.status_code == 422
    assert f"There is no member number {stranger.id} in this time bank." in refused.get_data(
        as_text=True
    )
    assert (balance(stranger), transfer_count()) == (0, 0)


def test_an_empty_reason_or_nonsense_hours_are_refused_plainly(app, bank, broker):
    sam = MemberFactory(bank=bank)
    client = signed_in(app, broker)
    give(client, sam, hours="2")

    no_reason = grant(client, sam, hours="1", reason="")
    words = grant(client, sam, hours="two")

    assert "Say why the pot gives these hours" in no_reason.get_data(as_text=True)
    assert "Enter the hours and minutes as numbers" in words.get_data(as_text=True)
    assert (no_reason.status_code, words.status_code, transfer_count()) == (422, 422, 1)


def test_the_pot_forms_need_the_csrf_token(app, bank, broker):
    sam = MemberFactory(bank=bank)
    client = signed_in(app, broker)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/broker/pot").get_data(as_text=True)
        refused = give(client, sam, hours="1")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    for action in ("donations", "grants"):
        form = (
            rf'action="/broker/pot/{action}" novalidate>\s*<input type="hidden" name="csrf_token"'
        )
        assert re.search(form, page)
    assert transfer_count() == 0 and "too long" in refused.get_data(as_text=True)


# The join date form on the member's broker page.


def stored_join_date(session, member) -> dt.date:
    """Return the member's join day as stored now, read afresh."""
    session.rollback()
    stamp = session.scalar(sa.select(Member.joined_at).where(Member.id == member.id))
    return (stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp).date()


def test_a_broker_sets_a_members_real_join_date_with_a_reason(app, session, bank, broker):
    ivy = MemberFactory(bank=bank, display_name="Ivy Paper")
    client = signed_in(app, broker)
    done = client.post(
        f"/broker/members/{ivy.id}/join-date",
        data={"joined_on": "2019-03-04", "reason": "On the paper register"},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "Ivy Paper joined on 4 March 2019" in text
    assert re.search(r'id="joined-on">4 March 2019<', text)
    assert stored_join_date(session, ivy) == dt.date(2019, 3, 4)
    detail = session.scalar(
        sa.select(BrokerAction.detail).where(BrokerAction.action == "join_date_set")
    )
    assert detail.endswith("to 2019-03-04: On the paper register")


def test_a_future_join_date_or_empty_reason_changes_nothing(app, session, bank, broker):
    ivy = MemberFactory(bank=bank)
    before = joined_on(ivy)
    client = signed_in(app, broker)
    future = client.post(
        f"/broker/members/{ivy.id}/join-date",
        data={"joined_on": "2099-01-01", "reason": "Paper"},
    )
    empty = client.post(
        f"/broker/members/{ivy.id}/join-date", data={"joined_on": "2019-01-01", "reason": " "}
    )
    assert "1 January 2099 is in the future" in future.get_data(as_text=True)
    assert "Say why the join date changes" in empty.get_data(as_text=True)
    assert (future.status_code, empty.status_code) == (422, 422)
    assert stored_join_date(session, ivy) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(BrokerAction)) == 0


def test_members_and_other_banks_brokers_cannot_change_a_join_date(app, session, bank):
    ivy, sam = MemberFactory(bank=bank), MemberFactory(bank=bank)
    before = joined_on(ivy)
    their_broker = MemberFactory(bank=TimeBankFactory(), role="broker")
    data = {"joined_on": "2019-01-01", "reason": "Paper"}
    as_member = signed_in(app, sam).post(f"/broker/members/{ivy.id}/join-date", data=data)
    as_stranger = signed_in(app, their_broker).post(
        f"/broker/members/{ivy.id}/join-date", data=data
    )
    assert (as_member.status_code, as_stranger.status_code) == (403, 404)
    assert stored_join_date(session, ivy) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0
