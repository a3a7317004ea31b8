"""A refused exchange never shows a member another member's balance, and says what to do next."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import (
    OwnContextClient,
    date_fields,
    give,
    hidden_value,
    signed_in,
    text_of,
    transfer_count,
)
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.membership.tokens import create_token
from timebank.tenancy.days import today_in_zone

# A clock reading such as -1:30 or 2:00: what a balance looks like in a message.
CLOCK = re.compile(r"-?\d+:\d\d")


def log_on_the_web(client, bank, partner, direction: str, duration: str):
    assert client.post("/log", data={"member": str(partner.id)}).status_code == 302
    details = {
        "direction": direction,
        "duration": duration,
        **date_fields(today_in_zone(bank.timezone)),
        "skill_category": "Gardening",
    }
    assert client.post("/log/details", data=details).status_code == 302
    check = client.get("/log/check")
    return client.post("/log/check", data={"transfer_id": hidden_value(check, "transfer_id")})


def test_the_web_never_shows_the_other_members_balance_and_says_ask_the_broker(app):
    bank = TimeBankFactory(overdraft_minutes=-60)
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    give(joyce, dorothy, 30, by=dorothy)  # Dorothy is at -0:30 of a -1:00 limit.
    page = text_of(log_on_the_web(signed_in(app, joyce), bank, dorothy, "gave", "120"))
    assert "This exchange is more than Dorothy Palmer can receive right now." in page
    assert "Please ask your broker." in page
    assert "-0:30" not in page and "-2:30" not in page and "balance" not in page.lower()
    assert transfer_count() == 1


def test_the_web_shows_a_member_their_own_balance_and_the_most_that_fits(app):
    bank = TimeBankFactory(overdraft_minutes=-60)
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    page = text_of(log_on_the_web(signed_in(app, joyce), bank, sam, "received", "90"))
    assert (
        "This would take your balance to -1:30 (counting hours waiting to be confirmed), "
        "below the -1:00 limit. Up to 1:00 fits: try a smaller amount, or ask your broker."
    ) in page


def test_a_member_at_their_own_limit_is_told_to_ask_the_broker_not_offered_zero(session):
    bank = TimeBankFactory(overdraft_minutes=-60)
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    give(ann, bob, 60, by=bob)
    with pytest.raises(errors.OverdraftLimitReached) as refused:
        give(ann, bob, 30, by=bob)
    assert refused.value.message.endswith("below the -1:00 limit. Please ask your broker.")
    assert "fits" not in refused.value.message


def test_the_other_members_maximum_is_not_shown_either(session):
    bank = TimeBankFactory(max_balance_minutes=120)
    ann, bob, cat = (MemberFactory(bank=bank, display_name=n) for n in ("Ann", "Bob", "Cat"))
    give(ann, bob, 100, by=bob)  # Ann has 1:40 of a 2:00 most.
    with pytest.raises(errors.MaxBalanceReached) as refused:
        give(ann, cat, 60, by=cat)
    message = refused.value.message
    assert message == (
        "This exchange is more than Ann can be credited with right now. Please ask your broker."
    )
    with pytest.raises(errors.MaxBalanceReached) as own:
        give(ann, cat, 60, by=ann)
    assert "This would take your balance to 2:40" in own.value.message
    assert "Up to 0:20 fits" in own.value.message


def test_a_broker_sees_the_name_and_the_numbers(session, bank, broker):
    ann, bob = MemberFactory(bank=bank, display_name="Ann"), MemberFactory(bank=bank)
    give(bob, ann, 570, by=broker)
    with pytest.raises(errors.OverdraftLimitReached) as refused:
        give(bob, ann, 60, by=broker)
    assert refused.value.message == "Ann's balance would fall to -10:30, below the -10:00 limit."


def test_a_group_exchange_names_who_it_does_not_fit_without_their_balance(session, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    dot = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    give(ann, dot, 590, by=dot)
    with pytest.raises(errors.OverdraftLimitReached) as refused:
        record_group_exchange(
            session,
            GroupExchangeRequest(
                uuid.uuid4(), bank.id, [ann.id], [bob.id, dot.id], 30, ann.id
            ),  # fmt: skip
        )
    assert "Dorothy Palmer can receive" in refused.value.message
    assert not CLOCK.search(refused.value.message)


def test_a_refusal_seen_by_someone_else_than_the_holder_has_no_numbers(session, bank):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    give(ann, bob, 600, by=bob)
    with pytest.raises(errors.OverdraftLimitReached) as refused:
        record_exchange(session, ExchangeRequest(uuid.uuid4(), bank.id, ann.id, bob.id, 30, ann.id))
    assert not CLOCK.search(refused.value.message)


@pytest.fixture
def api(app):
    return OwnContextClient(app, app.response_class)


def test_the_api_problem_never_carries_the_other_members_balance(api, bank):
    joyce, dot = MemberFactory(bank=bank), MemberFactory(bank=bank, display_name="Dot")
    give(joyce, dot, 590, by=dot)
    token = create_token(db.session, bank.id, joyce.id, "Phone app")[1]
    response = api.post(
        "/api/v1/transfers",
        json={"id": str(uuid.uuid4()), "giver_id": joyce.id, "receiver_id": dot.id, "minutes": 60},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == "overdraft_limit_reached"
    assert "ask your broker" in body["detail"] and not CLOCK.search(body["detail"])


def test_a_text_never_tells_a_member_another_members_balance(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    give(joyce, dorothy, 590, by=dorothy)
    reply = reply_of(text_bank(client, app, joyce.mobile_e164, f"GAVE 1h TO {dorothy.id}"))
    assert reply == (
        "This exchange is more than Dorothy Palmer can receive right now. Please ask your broker."
    )
