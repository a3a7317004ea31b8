"""A service's error reaches a web page as the web's one table says (`timebank.web.errors`)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask_wtf import FlaskForm

from tests.factories import ListingFactory, MemberFactory, sign_in_as
from tests.functional.ledger_pages import signed_in
from tests.functional.test_web_referrals import referred
from timebank.broker.models import Proposal
from timebank.errors import (
    Conflict,
    DateInFuture,
    InvalidDetail,
    InvalidInput,
    NotAllowed,
    NotFound,
    NotSignedIn,
)
from timebank.extensions import db
from timebank.members.models import Member
from timebank.web.errors import PageAnswer, form_errors, page_answer


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def beside(response, field_id: str) -> str:
    """Return the message shown beside a field, or "" when there is none."""
    found = re.search(
        rf'<p class="error-message" id="{field_id}-error">(.*?)</p>',
        response.get_data(as_text=True),
        re.S,
    )
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("Error:", "").strip() if found else ""


def test_each_kind_has_one_answer_and_the_narrower_kind_wins():
    assert page_answer(NotFound("gone")) is PageAnswer.ERROR_PAGE
    assert page_answer(NotAllowed("no")) is PageAnswer.ERROR_PAGE
    assert page_answer(NotSignedIn("who?")) is PageAnswer.ERROR_PAGE
    assert page_answer(InvalidDetail("day", "bad")) is PageAnswer.BESIDE_FIELD
    assert page_answer(DateInFuture("day", "not yet")) is PageAnswer.BESIDE_FIELD
    assert page_answer(InvalidInput("bad")) is PageAnswer.ABOVE_FORM
    assert page_answer(Conflict("closed")) is PageAnswer.ABOVE_FORM


def test_not_found_from_the_service_is_the_404_page(app, session, bank, broker):
    helper = MemberFactory(bank=bank, display_name="Sam Green")
    asker = MemberFactory(bank=bank, display_name="Jane Doe")
    request = ListingFactory(member=asker, kind="request", title="Help in my garden")
    signed_in(app, broker).post(
        f"/broker/requests/{request.id}/send", data={"helpers": [helper.id], "channel": "web"}
    )
    session.rollback()
    proposal = session.scalars(sa.select(Proposal)).one()
    someone_else = signed_in(app, MemberFactory(bank=bank))

    response = someone_else.post(f"/proposals/{proposal.id}/yes")

    assert response.status_code == 404
    assert "There is no such proposal in this time bank." in words(response)
    session.rollback()
    assert session.get(Proposal, proposal.id, populate_existing=True).status == "sent"


def refusing_page(error: Exception) -> Callable[[], str]:
    """Return a page that calls a service refusing with `error`, as the form pages do."""

    def page() -> str:
        form = FlaskForm(meta={"csrf": False})
        with form_errors(form):
            raise error
        return "shown on the form: " + " ".join(form.form_errors)

    return page


def test_not_allowed_from_a_service_is_the_403_page(app, client, session, bank):
    # Every real page that can meet NotAllowed lets only the right people in first.
    refusal = NotAllowed("Only a broker of this time bank can do this.")
    app.add_url_rule("/refusing", "refusing", refusing_page(refusal), methods=["POST"])
    sign_in_as(client, MemberFactory(bank=bank))

    response = client.post("/refusing")

    assert response.status_code == 403
    assert "Only a broker of this time bank can do this." in words(response)
    assert "shown on the form" not in words(response)


def test_a_wrong_detail_is_shown_beside_its_field_with_what_was_typed(client, session, admin):
    sign_in_as(client, admin)

    response = client.post("/admin/hourly-value", data={"pounds": "0", "source": "Our guess"})

    assert response.status_code == 400
    assert beside(response, "pounds") == "The value of an hour must be more than £0."
    assert beside(response, "source") == ""
    assert 'value="Our guess"' in response.get_data(as_text=True)


def test_a_refusal_naming_a_field_is_shown_beside_it(client, session, bank, broker, practice):
    referral = referred(session, bank, practice)
    sign_in_as(client, broker)

    response = client.post(f"/broker/referrals/{referral.id}/close", data={"outcome": "x" * 201})

    assert response.status_code == 200
    assert beside(response, "outcome") == "The outcome can have at most 200 characters."
    session.refresh(referral)
    assert referral.status != "closed"


def test_a_refusal_not_about_a_field_is_shown_above_the_form(client, session, bank, admin):
    sign_in_as(client, admin)
    files = {"files": [(io.BytesIO("id,name\nm1,Zoë\n".encode("latin-1")), "members.csv")]}

    response = client.post("/admin/import", data=files, content_type="multipart/form-data")

    assert response.status_code == 422
    summary = re.search(r'class="error-summary.*?</ul>', response.get_data(as_text=True), re.S)
    assert summary is not None and "members.csv is not UTF-8 text" in summary.group(0)
    assert 'class="error-message"' not in response.get_data(as_text=True)
    assert session.scalars(sa.select(Member.display_name)).all() == ["Ada Admin"]


def test_a_refusal_after_a_button_is_flashed_on_the_page_it_goes_back_to(app, bank, broker):
    helper = MemberFactory(bank=bank, display_name="Sam Green")
    asker = MemberFactory(bank=bank, display_name="Jane Doe")
    request = ListingFactory(member=asker, kind="request", title="Help in my garden")
    as_broker = signed_in(app, broker)
    as_broker.post(
        f"/broker/requests/{request.id}/send", data={"helpers": [helper.id], "channel": "web"}
    )
    with app.app_context():
        proposal_id = db.session.scalars(sa.select(Proposal.id)).one()
    as_broker.post(f"/broker/proposals/{proposal_id}/withdraw", follow_redirects=True)

    again = as_broker.post(f"/broker/proposals/{proposal_id}/withdraw", follow_redirects=True)

    assert again.status_code == 200
    assert again.request.path == f"/broker/requests/{request.id}"
    assert "banner--success" not in again.get_data(as_text=True)
    banner = re.search(r'banner--error" role="alert">\s*<p>(.*?)</p>', again.get_data(as_text=True))
    assert banner is not None
    assert banner.group(1) == "This proposal was withdrawn, so that cannot be done."
