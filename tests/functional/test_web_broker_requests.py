"""The broker's request pages, the helper's answer on the home page, the requester's helpers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import give, signed_in, text_of
from timebank.broker.models import Proposal
from timebank.offers.models import Listing
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import BrokerAction


@pytest.fixture
def jane(bank):
    """Return Jane Doe, who asks for help with her garden."""
    return MemberFactory(bank=bank, display_name="Jane Doe", area="Catford")


@pytest.fixture
def gardener(bank):
    """Return Sam Green, who offers gardening in Catford."""
    sam = MemberFactory(bank=bank, display_name="Sam Green", area="Catford")
    ListingFactory(member=sam, title="Gardening and weeding")
    return sam


@pytest.fixture
def garden(jane):
    """Return Jane's open request for help in her garden."""
    return ListingFactory(
        member=jane, kind="request", title="Help in my garden", availability="Tue mornings"
    )


@pytest.fixture
def as_broker(app, broker):
    """Return a client signed in as the bank's broker."""
    return signed_in(app, broker)


def fresh(session, model, row_id):
    session.rollback()
    return session.get(model, row_id, populate_existing=True)


def only_proposal(session) -> Proposal:
    session.rollback()
    return session.scalars(sa.select(Proposal)).one()


def test_the_broker_journey_from_request_to_linked_exchange(
    app, session, bank, broker, as_broker, jane, gardener, garden
):
    dashboard = as_broker.get("/broker").get_data(as_text=True)
    assert 'href="/broker/requests"' in dashboard
    queue = text_of(as_broker.get("/broker/requests"))
    assert "Help in my garden" in queue and "Jane Doe" in queue and "No one asked yet" in queue

    page = text_of(as_broker.get(f"/broker/requests/{garden.id}"))
    assert "Sam Green" in page and "out of 100" in page and "offers gardening" in page

    sent = as_broker.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [gardener.id], "channel": "web"}
    )
    assert sent.status_code == 302
    proposal = only_proposal(session)
    assert (proposal.helper_id, proposal.channel, proposal.status) == (gardener.id, "web", "sent")
    assert "1 waiting for an answer" in text_of(as_broker.get("/broker/requests"))

    as_sam = signed_in(app, gardener)
    home = text_of(as_sam.get("/home"))
    assert "Can you help?" in home and "Jane would like help with gardening" in home
    answered = as_sam.post(f"/proposals/{proposal.id}/yes", follow_redirects=True)
    assert "Thank you for saying yes to helping Jane" in text_of(answered)
    assert fresh(session, Proposal, proposal.id).status == "accepted"

    introduced = as_broker.post(
        f"/broker/proposals/{proposal.id}/introduce",
        data={
            "meeting_date": "2026-03-03",
            "meeting_time": "10:00",
            "meeting_place": "Catford library",
        },
        follow_redirects=True,
    )
    assert "Introduced them" in text_of(introduced)
    assert fresh(session, Proposal, proposal.id).status == "introduced"
    bodies = session.scalars(sa.select(OutboxMessage.body).order_by(OutboxMessage.id)).all()
    assert any("Jane would like your help with gardening" in body for body in bodies)
    assert any("Sam can help you with gardening" in body for body in bodies)
    assert "You are helping Jane" in text_of(as_sam.get("/home"))

    as_broker.post(f"/broker/proposals/{proposal.id}/matched")
    listing = fresh(session, Listing, garden.id)
    assert listing.status == "closed" and listing.matched_at is not None
    assert "Help in my garden" not in text_of(as_broker.get("/broker/requests"))

    exchange = give(gardener, jane, 90)
    linked = app.test_cli_runner().invoke(args=["broker", "link-exchanges", "--all"])
    assert linked.exit_code == 0 and f"{bank.slug}: linked 1 exchange." in linked.output
    assert fresh(session, Proposal, proposal.id).transfer_id == exchange.id
    assert "Linked to the exchange they logged" in text_of(
        as_broker.get(f"/broker/requests/{garden.id}")
    )
    done = [a.action for a in session.scalars(sa.select(BrokerAction).order_by(BrokerAction.id))]
    assert done == [
        "proposal_sent",
        "proposal_accepted",
        "proposal_introduced",
        "proposal_matched",
        "exchange_linked",
    ]


def test_the_broker_chooses_which_exchange_to_link_when_there_are_two(
    session, as_broker, broker, jane, gardener, garden
):
    as_broker.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [gardener.id], "channel": "web"}
    )
    proposal = only_proposal(session)
    as_broker.post(f"/broker/proposals/{proposal.id}/reply", data={"answer": "yes"})
    as_broker.post(f"/broker/proposals/{proposal.id}/matched")
    give(gardener, jane, 60)
    second = give(gardener, jane, 120)

    page = text_of(as_broker.get(f"/broker/requests/{garden.id}"))
    assert "Link the exchange that came of it" in page and "2 hours from Sam Green" in page
    as_broker.post(f"/broker/proposals/{proposal.id}/link", data={"transfer_id": str(second.id)})

    assert fresh(session, Proposal, proposal.id).transfer_id == second.id


def test_a_refused_send_shows_why_and_asks_no_one(session, bank, as_broker, jane, gardener, garden):
    no_mobile = MemberFactory(bank=bank, display_name="Nell Post", mobile=None, email="n@x.org")

    response = as_broker.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [no_mobile.id], "channel": "sms"}
    )

    assert response.status_code == 200
    assert "Nell Post has no mobile we can text" in text_of(response)
    session.rollback()
    assert session.scalars(sa.select(Proposal)).all() == []


def test_a_wrong_step_is_explained_in_plain_words(session, as_broker, gardener, garden):
    as_broker.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [gardener.id], "channel": "web"}
    )
    proposal = only_proposal(session)

    response = as_broker.post(f"/broker/proposals/{proposal.id}/matched", follow_redirects=True)

    assert "This proposal is still waiting for an answer, so that cannot be done." in text_of(
        response
    )


def test_members_get_403_on_broker_request_pages(session, app, jane, gardener, garden):
    as_jane = signed_in(app, jane)

    assert as_jane.get("/broker/requests").status_code == 403
    assert as_jane.get(f"/broker/requests/{garden.id}").status_code == 403
    sent = as_jane.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [gardener.id], "channel": "web"}
    )
    assert sent.status_code == 403


def test_a_broker_of_another_bank_gets_404(session, app, as_broker, gardener, garden):
    as_broker.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [gardener.id], "channel": "web"}
    )
    proposal = only_proposal(session)
    elsewhere = signed_in(app, MemberFactory(bank=TimeBankFactory(), role="broker"))

    assert elsewhere.get(f"/broker/requests/{garden.id}").status_code == 404
    assert elsewhere.post(f"/broker/proposals/{proposal.id}/withdraw").status_code == 404
    assert fresh(session, Proposal, proposal.id).status == "sent"


def test_only_the_helper_may_answer_a_proposal(session, app, as_broker, jane, gardener, garden):
    as_broker.post(
        f"/broker/requests/{garden.id}/send", data={"helpers": [gardener.id], "channel": "web"}
    )
    proposal = only_proposal(session)
    as_jane = signed_in(app, jane)

    assert as_jane.post(f"/proposals/{proposal.id}/yes").status_code == 404
    answered = signed_in(app, gardener).post(f"/proposals/{proposal.id}/no")
    assert answered.status_code == 302, text_of(answered)
    assert fresh(session, Proposal, proposal.id).status == "declined"


def test_a_requester_sees_first_names_and_reasons_and_asks_a_helper(
    session, app, jane, gardener, garden
):
    as_jane = signed_in(app, jane)
    assert f'href="/my-requests/{garden.id}/helpers"' in as_jane.get(
        f"/offers/{garden.id}"
    ).get_data(as_text=True)

    page = text_of(as_jane.get(f"/my-requests/{garden.id}/helpers"))
    assert "Sam" in page and "has not met you yet" in page
    assert "Green" not in page and "out of 100" not in page and gardener.mobile_e164 not in page

    asked = as_jane.post(
        f"/my-requests/{garden.id}/helpers/{gardener.id}/ask", follow_redirects=True
    )
    assert "We asked Sam" in text_of(asked)
    proposal = only_proposal(session)
    assert (proposal.proposed_by_id, proposal.helper_id, proposal.channel) == (
        jane.id,
        gardener.id,
        "web",
    )
    line = session.scalars(sa.select(BrokerAction)).one()
    assert (line.action, line.broker_id) == ("proposal_sent_by_requester", jane.id)


def test_another_members_request_helpers_are_404(session, app, gardener, garden):
    as_sam = signed_in(app, gardener)

    assert as_sam.get(f"/my-requests/{garden.id}/helpers").status_code == 404
    assert as_sam.post(f"/my-requests/{garden.id}/helpers/{gardener.id}/ask").status_code == 404
