"""Every broker and admin page, walked from the app's own URL map, for people it must refuse.

The routes are read from Flask's URL map rather than listed by hand, so a page added later
is covered the day it lands: a member of the time bank gets 403 on every broker and admin
page, and staff of another time bank get 404 for every record of this one and change
nothing. A route with an id this test does not know how to fill fails the test, which is
the reminder to add that record here.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import signed_in
from timebank.broker.models import MemberBlock, MemberCheck, OutreachFlag, Proposal
from timebank.extensions import db
from timebank.membership.tokens import create_token
from timebank.referrals.models import PartnerNumber, Referral
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import BrokerAction

STAFF_PREFIXES = ("/broker", "/admin", "/reports")
# Pages that belong to a member rather than to staff, and must not open to anyone else.
MEMBER_OWNED_PREFIXES = ("/my-requests", "/proposals")


@pytest.fixture
def records(session, bank, broker, admin, practice):
    """Make one of every record a broker or admin page can name, in `bank`."""
    requester = MemberFactory(bank=bank, display_name="Jane Requester")
    helper = MemberFactory(bank=bank, display_name="Harriet Helper")
    request = ListingFactory(member=requester, kind="request", title="Help with the hedge")
    proposal = Proposal(
        bank_id=bank.id,
        request_id=request.id,
        helper_id=helper.id,
        proposed_by_id=broker.id,
        channel="web",
    )
    flag = OutreachFlag(
        bank_id=bank.id,
        member_id=helper.id,
        rule="inactive",
        reason="No exchange for 70 days.",
        since=dt.date(2026, 9, 1),
    )
    check = MemberCheck(
        bank_id=bank.id,
        member_id=helper.id,
        checked_on=dt.date(2026, 1, 5),
        expires_on=None,
        recorded_by_id=broker.id,
    )
    block = MemberBlock(
        bank_id=bank.id,
        member_id=helper.id,
        blocked_member_id=requester.id,
        recorded_by_id=broker.id,
    )
    referral = Referral(
        bank_id=bank.id,
        partner_id=practice.id,
        patient_e164="+447450555777",
        first_name="Jane",
    )
    session.add_all([proposal, flag, check, block, referral])
    session.commit()
    number = session.scalar(sa.select(PartnerNumber).where(PartnerNumber.bank_id == bank.id))
    token, _secret = create_token(
        session, bank.id, admin.id, "Practice system", partner_id=practice.id
    )
    return {
        "member_id": helper.id,
        "helper_id": helper.id,
        "listing_id": request.id,
        "proposal_id": proposal.id,
        "flag_id": flag.id,
        "check_id": check.id,
        "block_id": block.id,
        "referral_id": referral.id,
        "partner_id": practice.id,
        "number_id": number.id,
        "token_id": token.id,
        "action": "hide",
        "table_key": "exchanges_by_month",
        "name": "members.csv",
        "requester": requester,
        "helper": helper,
    }


def routes(app, prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
    """Return (method, rule) for every route under the prefixes, GET and POST."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefixes):
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((method, rule.rule))
    return sorted(found)


def fill(rule: str, values: dict) -> str:
    """Put the records' ids into a route's placeholders; fail on a placeholder not known."""
    path = rule
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].split(":")[-1]
        assert name in values, f"{rule}: add a {name} record to this test's `records` fixture"
        path = path[:start] + str(values[name]) + path[end + 1 :]
    return path


def call(client, method: str, path: str, records: dict):
    """GET the page, or POST to it with the other record's ids a form would carry."""
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"member_id": records["member_id"]})


def audit_and_outbox_counts(bank_id: int) -> tuple[int, int]:
    db.session.rollback()
    actions = db.session.scalar(
        sa.select(sa.func.count()).select_from(BrokerAction).where(BrokerAction.bank_id == bank_id)
    )
    texts = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.bank_id == bank_id)
    )
    return actions, texts


def test_the_url_map_has_the_broker_pages_this_test_walks(app):
    rules = {rule for _method, rule in routes(app, STAFF_PREFIXES)}
    for expected in ("/broker/requests", "/broker/outreach", "/broker/members/<int:member_id>"):
        assert expected in rules


def test_a_member_gets_403_on_every_broker_and_admin_page(app, bank, records):
    member = MemberFactory(bank=bank, display_name="Maisie Member")
    client = signed_in(app, member)
    before = audit_and_outbox_counts(bank.id)

    answers = {
        f"{method} {rule}": call(client, method, fill(rule, records), records).status_code
        for method, rule in routes(app, STAFF_PREFIXES)
    }

    assert answers and set(answers.values()) == {403}, {
        route: code for route, code in answers.items() if code != 403
    }
    assert audit_and_outbox_counts(bank.id) == before


def test_staff_of_another_time_bank_get_404_for_every_record_of_this_one(app, bank, records):
    other_bank = TimeBankFactory()
    other_admin = MemberFactory(bank=other_bank, display_name="Otto Other", role="admin")
    client = signed_in(app, other_admin)
    before = audit_and_outbox_counts(bank.id)

    answers = {
        f"{method} {rule}": call(client, method, fill(rule, records), records).status_code
        for method, rule in routes(app, STAFF_PREFIXES)
        if "<int:" in rule
    }

    assert answers and set(answers.values()) == {404}, {
        route: code for route, code in answers.items() if code != 404
    }
    assert audit_and_outbox_counts(bank.id) == before


def test_the_lists_of_another_time_bank_show_none_of_this_ones_people(app, bank, broker, records):
    own = signed_in(app, broker)
    assert "Harriet Helper" in own.get("/broker/members?q=Harriet").get_data(as_text=True)
    assert "Help with the hedge" in own.get("/broker/requests").get_data(as_text=True)
    other_bank = TimeBankFactory()
    other_broker = MemberFactory(bank=other_bank, display_name="Otto Other", role="broker")
    client = signed_in(app, other_broker)

    for path in ("/broker/requests", "/broker/outreach", "/broker/members?q=Harriet"):
        page = client.get(path)
        assert page.status_code == 200, path
        text = page.get_data(as_text=True)
        # The search box repeats the words searched for, so look for the full name.
        assert "Harriet Helper" not in text and "Help with the hedge" not in text, path


def test_member_pages_of_requests_and_proposals_open_only_to_their_own_member(app, bank, records):
    stranger = MemberFactory(bank=bank, display_name="Stella Stranger")
    client = signed_in(app, stranger)
    before = audit_and_outbox_counts(bank.id)

    answers = {
        f"{method} {rule}": call(client, method, fill(rule, records), records).status_code
        for method, rule in routes(app, MEMBER_OWNED_PREFIXES)
    }

    assert answers and set(answers.values()) == {404}, answers
    assert audit_and_outbox_counts(bank.id) == before
    # The requester does see helpers for their own request.
    own = signed_in(app, records["requester"])
    assert own.get(f"/my-requests/{records['listing_id']}/helpers").status_code == 200
