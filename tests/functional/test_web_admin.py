"""Admin pages on the web: the member list, changing a status and erasing a leaver."""

from __future__ import annotations

import re

import pytest

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from timebank.ledger.verify import verify_ledger
from timebank.membership.privacy import pseudonym
from timebank.membership.services import account_of, set_member_status


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


@pytest.fixture
def admin(bank):
    """Return an admin of `bank`."""
    return MemberFactory(bank=bank, display_name="Ada Admin", role="admin")


def test_admin_lists_and_searches_the_banks_members(client, bank, admin):
    MemberFactory(bank=bank, display_name="Keith Dunn")
    MemberFactory(bank=TimeBankFactory(), display_name="Keith Elsewhere")
    sign_in_as(client, admin)

    page = client.get("/admin/members?q=keith")

    text = page.get_data(as_text=True)
    assert h1s(page) == ["Manage members"]
    assert "Keith Dunn" in text and "Keith Elsewhere" not in text


def test_admin_changes_a_members_status(client, session, bank, admin):
    keith = MemberFactory(bank=bank, display_name="Keith Dunn")
    sign_in_as(client, admin)

    response = client.post(
        f"/admin/members/{keith.id}", data={"status": "suspended"}, follow_redirects=True
    )

    session.refresh(keith)
    assert keith.status == "suspended"
    assert not account_of(session, bank.id, keith.id).is_open
    assert "Keith Dunn is now: Suspended." in response.get_data(as_text=True)


def test_erasing_a_member_who_has_not_left_gives_a_plain_error(client, session, bank, admin):
    keith = MemberFactory(bank=bank, display_name="Keith Dunn")
    sign_in_as(client, admin)

    page = client.get(f"/admin/members/{keith.id}/erase")
    refused = client.post(f"/admin/members/{keith.id}/erase")

    assert "has not left the time bank" in page.get_data(as_text=True)
    assert "has not left the time bank" in refused.get_data(as_text=True)
    session.refresh(keith)
    assert keith.display_name == "Keith Dunn"


def test_admin_erases_a_leaver_after_confirming(client, session, bank, admin):
    jordan = MemberFactory(bank=bank, display_name="Jordan Reid", mobile="07123 555111")
    set_member_status(session, bank.id, jordan.id, "left")
    sign_in_as(client, admin)

    confirm = client.get(f"/admin/members/{jordan.id}/erase")
    done = client.post(f"/admin/members/{jordan.id}/erase", follow_redirects=True)

    assert h1s(confirm) == ["Erase Jordan Reid's details"]
    text = done.get_data(as_text=True)
    assert h1s(done) == [pseudonym(jordan.id)]
    assert "Jordan Reid&#39;s details are erased" in text and "555111" not in text
    session.refresh(jordan)
    assert jordan.mobile_e164 is None and jordan.erased_at is not None
    assert verify_ledger(session).ok


def test_members_and_brokers_get_403_on_admin_pages(client, bank, broker):
    keith = MemberFactory(bank=bank)
    for person in (MemberFactory(bank=bank), broker):
        sign_in_as(client, person)
        for path in ("/admin/members", f"/admin/members/{keith.id}",
                     f"/admin/members/{keith.id}/erase"):  # fmt: skip
            assert client.get(path).status_code == 403, path
        assert client.post(f"/admin/members/{keith.id}/erase").status_code == 403
        client.post("/sign-out")


def test_another_banks_member_answers_404_on_admin_pages(client, session, admin):
    stranger = MemberFactory(bank=TimeBankFactory())
    set_member_status(session, stranger.bank_id, stranger.id, "left")
    sign_in_as(client, admin)

    for path in (f"/admin/members/{stranger.id}", f"/admin/members/{stranger.id}/erase"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/admin/members/{stranger.id}/erase").status_code == 404
