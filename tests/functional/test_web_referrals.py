"""Referral pages: brokers' queue and actions, sign-up from a referral, admins' partners."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from tests.factories import MemberFactory, OrganisationFactory, TimeBankFactory, sign_in_as
from timebank.members.models import Member
from timebank.referrals.models import PartnerNumber, Referral, ReferralEvent, ReferralPartner
from timebank.referrals.sms import handle_invitation_answer, handle_refer
from timebank.sms.commands import parse_text

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PATIENT = "+447812345678"


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


def referred(session, bank, practice, body="REFER 07812 345678 Jane lonely, bad hip", yes=True):
    """Return a referral made by the practice's text, answered YES unless told otherwise."""
    handle_refer(session, bank, practice, parse_text(body), NOW)
    if yes:
        handle_invitation_answer(session, bank, PATIENT, True, NOW)
    session.commit()
    return session.scalars(sa.select(Referral).order_by(Referral.id.desc())).first()


def events(session, referral_id):
    rows = session.scalars(
        sa.select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.id)
    )
    return [(event.status, event.actor_id) for event in rows]


def test_broker_dashboard_links_to_the_referral_queue(client, broker):
    sign_in_as(client, broker)

    text = client.get("/broker").get_data(as_text=True)

    assert 'href="/broker/referrals"' in text and 'href="/admin/partners"' not in text


def test_queue_lists_open_referrals_and_filters_by_status(client, session, bank, broker, practice):
    jane = referred(session, bank, practice)
    referred(session, bank, practice, "REFER 07812 345111 Bob walks", yes=False)
    handle_invitation_answer(session, bank, "+447812345111", False, NOW)
    session.commit()
    sign_in_as(client, broker)

    open_page = client.get("/broker/referrals")
    declined = client.get("/broker/referrals?status=declined").get_data(as_text=True)

    assert h1s(open_page) == ["Referrals"]
    text = open_page.get_data(as_text=True)
    assert f"R-{jane.id:04d}" in text and "Jane" in text and "Bob" not in text
    assert "lonely" not in text  # the reason is only on the referral's own page
    assert "Bob" in declined and "Jane" not in declined


def test_broker_sees_the_reason_and_the_history(client, session, bank, broker, practice):
    referral = referred(session, bank, practice)
    sign_in_as(client, broker)

    page = client.get(f"/broker/referrals/{referral.id}")

    text = page.get_data(as_text=True)
    assert h1s(page) == [f"Referral R-{referral.id:04d}"]
    assert "lonely, bad hip" in text and "07812 345678" in text
    assert "Ravensbourne Health Centre" in text and "Said yes: to contact" in text


def test_members_get_403_on_referral_pages_and_other_banks_get_404(client, session, bank, practice):
    referral = referred(session, bank, practice)
    member = MemberFactory(bank=bank)
    sign_in_as(client, member)

    assert client.get("/broker/referrals").status_code == 403
    assert client.get(f"/broker/referrals/{referral.id}").status_code == 403
    assert client.post(f"/broker/referrals/{referral.id}/contacted").status_code == 403

    client.post("/sign-out")
    outsider = MemberFactory(bank=TimeBankFactory(), role="broker")
    sign_in_as(client, outsider)
    assert client.get(f"/broker/referrals/{referral.id}").status_code == 404
    assert client.post(f"/broker/referrals/{referral.id}/contacted").status_code == 404
    assert events(session, referral.id)[-1] == ("consented", None)


def test_marking_contacted_is_recorded_with_the_broker(client, session, bank, broker, practice):
    referral = referred(session, bank, practice)
    sign_in_as(client, broker)

    page = client.post(f"/broker/referrals/{referral.id}/contacted", follow_redirects=True)

    assert "Marked as contacted." in page.get_data(as_text=True)
    assert events(session, referral.id)[-1] == ("contacted", broker.id)
    assert "Bea Broker" in page.get_data(as_text=True)


def test_sign_up_from_a_referral_is_prefilled_links_the_member_and_tells_the_practice(
    app, client, session, bank, broker, practice
):
    referral = referred(session, bank, practice)
    sign_in_as(client, broker)
    form = client.get(f"/broker/sign-up?referral={referral.id}").get_data(as_text=True)
    assert 'value="Jane"' in form and 'value="07812 345678"' in form
    assert f"referral R-{referral.id:04d}" in form

    client.post(
        f"/broker/sign-up?referral={referral.id}",
        data={"name": "Jane Doe", "mobile": "07812 345678", "consent": "y"},
    )

    jane = session.scalars(sa.select(Member).where(Member.display_name == "Jane Doe")).one()
    session.refresh(referral)
    assert (referral.status, referral.member_id) == ("joined", jane.id)
    assert events(session, referral.id)[-1] == ("joined", broker.id)
    to_practice = [t.body for t in app.extensions["timebank_sms"].sent if t.to == "+447400000111"]
    assert to_practice == [
        f"Update on referral R-{referral.id:04d}: your patient has joined the time bank. Thank you."
    ]
    assert jane.help_wanted == ""  # the reason never reaches the member's profile


def test_a_referral_from_another_bank_cannot_prefill_sign_up(client, session, bank, practice):
    referral = referred(session, bank, practice)
    outsider = MemberFactory(bank=TimeBankFactory(), role="broker")
    sign_in_as(client, outsider)

    assert client.get(f"/broker/sign-up?referral={referral.id}").status_code == 404


def test_an_existing_member_with_the_mobile_can_be_linked(client, session, bank, broker, practice):
    referral = referred(session, bank, practice)
    jane = MemberFactory(bank=bank, display_name="Jane Doe", mobile="07812 345678")
    sign_in_as(client, broker)
    assert "Link to Jane Doe" in client.get(f"/broker/referrals/{referral.id}").get_data(
        as_text=True
    )

    client.post(f"/broker/referrals/{referral.id}/link", data={"member_id": jane.id})

    session.refresh(referral)
    assert referral.member_id == jane.id and referral.status == "joined"


def test_closing_needs_an_outcome_and_records_it(client, session, bank, broker, practice):
    referral = referred(session, bank, practice)
    sign_in_as(client, broker)

    empty = client.post(f"/broker/referrals/{referral.id}/close", data={"outcome": " "})
    done = client.post(
        f"/broker/referrals/{referral.id}/close",
        data={"outcome": "Moved away"},
        follow_redirects=True,
    )

    assert h1s(empty) == [f"Close referral R-{referral.id:04d}"]
    assert "<title>Error: " in empty.get_data(as_text=True)
    assert f"Referral R-{referral.id:04d} is closed." in done.get_data(as_text=True)
    session.refresh(referral)
    assert (referral.status, referral.outcome) == ("closed", "Moved away")
    assert events(session, referral.id)[-1] == ("closed", broker.id)


# --- Admins: partners -------------------------------------------------------------------


def test_admin_adds_a_partner_linked_to_a_practice_and_its_numbers(client, session, bank, admin):
    org = OrganisationFactory(bank=bank, name="Ravensbourne Health Centre")
    sign_in_as(client, admin)
    assert h1s(client.get("/admin/partners")) == ["Referral partners"]

    added = client.post(
        "/admin/partners/new",
        data={"name": "Ravensbourne Health Centre", "organisation": str(org.id)},
        follow_redirects=True,
    )
    partner = session.scalars(sa.select(ReferralPartner)).one()
    client.post(f"/admin/partners/{partner.id}", data={"mobile": "07400 000111"})
    bad = client.post(f"/admin/partners/{partner.id}", data={"mobile": "12345"})

    assert h1s(added) == ["Ravensbourne Health Centre"]
    assert partner.organisation_id == org.id
    assert session.scalars(sa.select(PartnerNumber.e164)).all() == ["+447400000111"]
    assert "<title>Error: " in bad.get_data(as_text=True)
    assert "07400 000111" in bad.get_data(as_text=True)


def test_admin_removes_a_number_and_pauses_a_partner(client, session, bank, admin, practice):
    number = session.scalars(sa.select(PartnerNumber)).one()
    sign_in_as(client, admin)

    client.post(f"/admin/partners/{practice.id}/numbers/{number.id}/remove")
    client.post(f"/admin/partners/{practice.id}/active", data={"active": "no"})

    assert session.scalars(sa.select(PartnerNumber)).all() == []
    session.refresh(practice)
    assert practice.active is False


def test_brokers_cannot_manage_partners(client, broker, practice):
    sign_in_as(client, broker)

    assert client.get("/admin/partners").status_code == 403
    assert client.get(f"/admin/partners/{practice.id}").status_code == 403
