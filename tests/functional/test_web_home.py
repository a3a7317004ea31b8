"""The home page: balance and limit, confirming and declining, what waits, recent exchanges."""

from __future__ import annotations

import re

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import balance, give, one_h1, signed_in, text_of
from timebank.ledger.resolutions import confirm_pending


@pytest.fixture
def as_sam(app, sam):
    return signed_in(app, sam)


def resolution_id(page, transfer_id, action="confirm") -> str:
    html = page.get_data(as_text=True)
    form = html.split(f"/home/exchanges/{transfer_id}/{action}")[1]
    return re.search(r'name="transfer_id" value="([^"]+)"', form).group(1)


def test_home_shows_the_balance_in_hours_and_minutes_and_the_limit_in_words(
    bank, joyce, sam, as_sam
):
    give(sam, joyce, 270, by=joyce)
    page = as_sam.get("/home")
    text = text_of(page)
    assert one_h1(page) == "Your balance"
    assert "4:30" in text and "4 hours 30 minutes" in text
    assert "You can go down to minus 10 hours." in text
    assert 'class="button button--large" href="/log"' in page.get_data(as_text=True)


def test_items_waiting_for_me_have_confirm_and_decline_buttons_with_context(
    bank, joyce, sam, as_sam
):
    pending = give(joyce, sam, 60, skill_category="Gardening")
    page = as_sam.get("/home").get_data(as_text=True)
    assert "Joyce Campbell says they gave you" in text_of(as_sam.get("/home"))
    hidden = '<span class="visually-hidden"> 1 hour from Joyce Campbell</span>'
    assert f"Confirm{hidden}</button>" in page
    # Declining asks "Are you sure?" on a page of its own first.
    assert f'href="/home/exchanges/{pending.id}/decline">Decline{hidden}</a>' in page


def test_receiver_can_confirm_from_home_page_and_sees_the_new_balance(bank, joyce, sam, as_sam):
    give(joyce, sam, 300, by=sam)  # Sam starts at -5:00 ...
    give(sam, joyce, 30, by=joyce)  # ... then +0:30 = -4:30
    pending = give(joyce, sam, 90, skill_category="Gardening")
    home = as_sam.get("/home")
    response = as_sam.post(
        f"/home/exchanges/{pending.id}/confirm",
        data={"transfer_id": resolution_id(home, pending.id)},
        follow_redirects=True,
    )
    assert (
        "You confirmed 1 hour 30 minutes from Joyce Campbell for gardening. "
        "Your balance is now -6:00." in text_of(response)
    )
    assert (balance(sam), balance(joyce)) == (-360, 360)
    assert "Nothing is waiting for you to confirm." in text_of(response)


def test_receiver_can_decline_from_home_page_and_no_hours_move(bank, joyce, sam, as_sam):
    pending = give(joyce, sam, 60, skill_category="IT help")
    question = as_sam.get(f"/home/exchanges/{pending.id}/decline")
    response = as_sam.post(
        f"/home/exchanges/{pending.id}/decline",
        data={"transfer_id": resolution_id(question, pending.id, "decline")},
        follow_redirects=True,
    )
    assert "You declined 1 hour from Joyce Campbell for IT help. No hours moved." in text_of(
        response
    )
    assert (balance(sam), balance(joyce)) == (0, 0)


def test_a_double_tap_on_confirm_is_answered_plainly_and_confirms_once(bank, joyce, sam, as_sam):
    pending = give(joyce, sam, 60)
    data = {"transfer_id": resolution_id(as_sam.get("/home"), pending.id)}
    as_sam.post(f"/home/exchanges/{pending.id}/confirm", data=data)
    again = as_sam.post(f"/home/exchanges/{pending.id}/confirm", data=data, follow_redirects=True)
    assert again.status_code == 200
    assert "You already confirmed this exchange. There is nothing more to do." in text_of(again)
    assert balance(sam) == -60


def test_confirming_an_exchange_already_answered_elsewhere_gives_a_plain_message(
    session, bank, joyce, sam, as_sam
):
    import uuid

    pending = give(joyce, sam, 60)
    question = as_sam.get(f"/home/exchanges/{pending.id}/decline")
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), sam.id)
    late = as_sam.post(
        f"/home/exchanges/{pending.id}/decline",
        data={"transfer_id": resolution_id(question, pending.id, "decline")},
        follow_redirects=True,
    )
    assert late.status_code == 200
    assert "This exchange has already been confirmed or declined." in text_of(late)
    assert balance(sam) == -60


def test_a_member_cannot_confirm_someone_elses_pending_item(app, bank, joyce, sam, as_sam):
    olive = MemberFactory(bank=bank, display_name="Olive Other")
    theirs = give(joyce, olive, 60)
    assert as_sam.post(f"/home/exchanges/{theirs.id}/confirm").status_code == 404
    assert as_sam.post(f"/home/exchanges/{theirs.id}/decline").status_code == 404
    mine = give(sam, joyce, 60)  # Sam gave it: only Joyce confirms
    assert as_sam.post(f"/home/exchanges/{mine.id}/confirm").status_code == 404
    assert balance(olive) == 0


def test_another_banks_exchange_is_not_found(app, bank, as_sam):
    elsewhere = TimeBankFactory()
    a = MemberFactory(bank=elsewhere, display_name="Far Away")
    b = MemberFactory(bank=elsewhere, display_name="Further Away")
    theirs = give(a, b, 60)
    assert as_sam.post(f"/home/exchanges/{theirs.id}/confirm").status_code == 404


def test_exchanges_i_logged_wait_for_the_other_person(bank, joyce, sam, as_sam):
    give(sam, joyce, 120, skill_category="Gardening")
    text = text_of(as_sam.get("/home"))
    assert "Waiting for others to confirm" in text
    assert "You gave Joyce Campbell 2 hours for gardening" in text


def test_recent_exchanges_are_listed_newest_first(bank, joyce, sam, as_sam):
    give(joyce, sam, 30, by=sam, description="first")
    give(sam, joyce, 60, by=joyce, description="second")
    text = text_of(as_sam.get("/home"))
    recent = text.split("Recent exchanges")[1]
    assert recent.index("You helped Joyce Campbell") < recent.index("Joyce Campbell helped you")


def test_brokers_see_a_link_to_record_for_others_and_members_do_not(app, bank, broker, as_sam):
    assert "/log/for-others" in signed_in(app, broker).get("/home").get_data(as_text=True)
    assert "/log/for-others" not in as_sam.get("/home").get_data(as_text=True)


def test_home_never_shows_other_members_phone_numbers(bank, joyce, sam, as_sam):
    give(joyce, sam, 60)
    page = as_sam.get("/home").get_data(as_text=True)
    assert joyce.mobile_e164 not in page and "07123" not in page


def test_home_needs_signing_in(client):
    assert client.get("/home").status_code == 302
