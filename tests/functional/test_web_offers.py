"""Offers and requests on the web: search, post, change, close and answer."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory, sign_in_as
from timebank.offers.models import Listing, ListingContact
from timebank.offers.times import Slot, slots_to_mask


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


def fake_sms(app):
    return app.extensions["timebank_sms"]


def test_browse_shows_other_members_open_offers_and_requests(client, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    ListingFactory(member=joyce, title="Lifts to the surgery", skill_category="Transport and lifts")
    ListingFactory(member=dorothy, kind="request", title="Help with my tablet")
    sign_in_as(client, dorothy)

    page = client.get("/offers")

    text = page.get_data(as_text=True)
    assert page.status_code == 200 and len(h1s(page)) == 1
    assert "Lifts to the surgery" in text and "Joyce Campbell" in text
    assert "Help with my tablet" not in text  # her own request is under "Your offers"


def test_search_finds_listings_by_words_in_any_order(client, bank):
    joyce = MemberFactory(bank=bank)
    viewer = MemberFactory(bank=bank)
    ListingFactory(member=joyce, title="Weeding the front garden", description="Small garden")
    ListingFactory(member=joyce, title="French conversation", skill_category="Other")
    sign_in_as(client, viewer)

    text = client.get("/offers?q=garden+front").get_data(as_text=True)

    assert "Weeding the front garden" in text
    assert "French conversation" not in text
    assert "1 result" in text


def test_search_filters_by_skill_category_and_kind(client, bank):
    joyce = MemberFactory(bank=bank)
    viewer = MemberFactory(bank=bank)
    ListingFactory(member=joyce, title="Fixing email", skill_category="IT help")
    ListingFactory(
        member=joyce, title="Needs a new phone set up", skill_category="IT help", kind="request"
    )
    ListingFactory(member=joyce, title="Mowing lawns", skill_category="Gardening")
    sign_in_as(client, viewer)

    by_skill = client.get("/offers?skill=IT+help").get_data(as_text=True)
    offers_only = client.get("/offers?skill=IT+help&kind=offer").get_data(as_text=True)

    assert "Fixing email" in by_skill and "Needs a new phone set up" in by_skill
    assert "Mowing lawns" not in by_skill
    assert "Fixing email" in offers_only and "Needs a new phone set up" not in offers_only


def test_search_treats_percent_signs_as_plain_text(client, bank):
    viewer = MemberFactory(bank=bank)
    ListingFactory(member=MemberFactory(bank=bank), title="Anything at all")
    sign_in_as(client, viewer)

    assert "Nothing found" in client.get("/offers?q=%25").get_data(as_text=True)


def test_browse_is_paged(client, bank):
    joyce = MemberFactory(bank=bank)
    viewer = MemberFactory(bank=bank)
    for number in range(23):
        ListingFactory(member=joyce, title=f"Offer number {number:02d}")
    sign_in_as(client, viewer)

    first = client.get("/offers").get_data(as_text=True)
    second = client.get("/offers?page=2").get_data(as_text=True)

    assert "Page 1 of 2" in first and "Offer number 22" in first and "Offer number 00" not in first
    assert "Offer number 00" in second and "Offer number 22" not in second


def test_closed_listings_and_other_banks_listings_are_not_shown(client, bank):
    joyce = MemberFactory(bank=bank)
    elsewhere = MemberFactory(bank=TimeBankFactory())
    ListingFactory(member=elsewhere, title="Far away help")
    closed = ListingFactory(member=joyce, title="Old offer")
    viewer = MemberFactory(bank=bank)
    sign_in_as(client, joyce)
    client.post(f"/offers/{closed.id}/close")
    client.post("/sign-out")
    sign_in_as(client, viewer)

    text = client.get("/offers").get_data(as_text=True)

    assert "Far away help" not in text and "Old offer" not in text


def test_member_posts_an_offer_and_sees_it_on_its_own_page(client, session, bank):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, joyce)
    form = client.get("/offers/new/offer")
    assert h1s(form) == ["Post an offer"]

    response = client.post(
        "/offers/new/offer",
        data={
            "skill_category": "Transport and lifts",
            "title": "Lifts to the surgery",
            "description": "I have a car and free mornings.",
            "availability": "Mornings",
            "area": "Catford",
        },
        follow_redirects=True,
    )

    listing = session.scalars(sa.select(Listing)).one()
    assert (listing.kind, listing.member_id, listing.status) == ("offer", joyce.id, "open")
    assert h1s(response) == ["Lifts to the surgery"]
    assert "Your offer is posted" in response.get_data(as_text=True)


def test_member_posts_a_request(client, session, bank):
    dorothy = MemberFactory(bank=bank)
    sign_in_as(client, dorothy)
    assert h1s(client.get("/offers/new/request")) == ["Ask for help"]

    client.post(
        "/offers/new/request",
        data={
            "skill_category": "IT help",
            "title": "Setting up video calls",
            "availability": "Any",
        },
    )

    listing = session.scalars(sa.select(Listing)).one()
    assert (listing.kind, listing.title, listing.availability) == (
        "request",
        "Setting up video calls",
        "Any",
    )


def test_posting_without_a_title_keeps_what_was_typed_and_saves_nothing(client, session, bank):
    sign_in_as(client, MemberFactory(bank=bank))

    response = client.post(
        "/offers/new/offer",
        data={"skill_category": "Gardening", "title": "", "description": "Hedges and lawns"},
    )

    text = response.get_data(as_text=True)
    assert "<title>Error: Post an offer" in text
    assert "There is a problem" in text and 'href="#title"' in text
    assert "Hedges and lawns" in text
    assert '<option value="Gardening" selected>' in text
    assert session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_member_changes_and_closes_their_own_offer(client, session, bank):
    joyce = MemberFactory(bank=bank)
    listing = ListingFactory(member=joyce, title="Shopping trips")
    sign_in_as(client, joyce)
    assert h1s(client.get(f"/offers/{listing.id}/edit")) == ["Change your offer"]

    client.post(
        f"/offers/{listing.id}/edit",
        data={"skill_category": "Shopping and errands", "title": "Weekly shop on the Broadway"},
    )
    mine = client.get("/offers/mine").get_data(as_text=True)
    client.post(f"/offers/{listing.id}/close")

    session.refresh(listing)
    assert "Weekly shop on the Broadway" in mine
    assert (listing.title, listing.status) == ("Weekly shop on the Broadway", "closed")


def test_member_cannot_change_or_close_someone_elses_offer(client, session, bank):
    listing = ListingFactory(member=MemberFactory(bank=bank), title="Not yours")
    sign_in_as(client, MemberFactory(bank=bank))

    assert client.get(f"/offers/{listing.id}/edit").status_code == 404
    assert client.post(f"/offers/{listing.id}/close").status_code == 404
    session.refresh(listing)
    assert listing.status == "open"


def test_asking_for_an_offer_records_the_contact_and_texts_the_owner(app, client, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer", mobile="07508 128486")
    listing = ListingFactory(member=joyce, title="Lifts to the surgery")
    sign_in_as(client, dorothy)
    page = client.get(f"/offers/{listing.id}/contact")
    assert h1s(page) == ["Ask Joyce for this"]

    response = client.post(
        f"/offers/{listing.id}/contact", data={"message": "Tuesday?"}, follow_redirects=True
    )

    contact = session.scalars(sa.select(ListingContact)).one()
    assert (contact.from_member_id, contact.to_member_id, contact.message) == (
        dorothy.id,
        joyce.id,
        "Tuesday?",
    )
    text = fake_sms(app).last_to("+447450120567")
    assert text is not None
    assert text.body.startswith(f"Dorothy from {bank.name} ")
    assert "would like your offer: lifts to the surgery. Sign in to reply." in text.body
    assert "07508" not in text.body and "128486" not in text.body
    assert "We have sent them a text" in response.get_data(as_text=True)


def test_offering_help_with_a_request_says_so_and_gives_the_number_only_if_shown(
    app, client, session, bank
):
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer", mobile="07508 128486")
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    joyce.show_mobile = True
    session.commit()
    request = ListingFactory(member=dorothy, kind="request", title="Lifts to the surgery")
    sign_in_as(client, joyce)
    assert h1s(client.get(f"/offers/{request.id}/contact")) == ["Tell Dorothy you can help"]

    client.post(f"/offers/{request.id}/contact", data={"message": ""})

    body = fake_sms(app).last_to("+447508128486").body
    assert f"Joyce from {bank.name} can help with your request: lifts to the surgery." in body
    assert "Call or text Joyce on 07450 120567." in body


def test_no_text_when_the_owner_turned_texts_off(app, client, session, bank):
    joyce = MemberFactory(bank=bank, mobile="07450 120567")
    joyce.sms_notifications = False
    session.commit()
    listing = ListingFactory(member=joyce)
    sign_in_as(client, MemberFactory(bank=bank))

    response = client.post(f"/offers/{listing.id}/contact", data={}, follow_redirects=True)

    assert fake_sms(app).last_to("+447450120567") is None
    assert session.scalar(sa.select(sa.func.count()).select_from(ListingContact)) == 1
    assert "They will see it when they sign in" in response.get_data(as_text=True)


def test_a_second_contact_the_same_day_gets_a_plain_message_instead(app, client, session, bank):
    joyce = MemberFactory(bank=bank, mobile="07450 120567")
    listing = ListingFactory(member=joyce)
    sign_in_as(client, MemberFactory(bank=bank))
    client.post(f"/offers/{listing.id}/contact", data={})

    again = client.post(f"/offers/{listing.id}/contact", data={}, follow_redirects=True)

    assert "already been in touch" in again.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ListingContact)) == 1
    assert len([t for t in fake_sms(app).sent if t.to == "+447450120567"]) == 1


def test_member_cannot_contact_their_own_or_a_closed_listing(client, session, bank):
    joyce = MemberFactory(bank=bank)
    own = ListingFactory(member=joyce)
    other = MemberFactory(bank=bank)
    closed = ListingFactory(member=other)
    sign_in_as(client, other)
    client.post(f"/offers/{closed.id}/close")
    client.post("/sign-out")
    sign_in_as(client, joyce)

    own_answer = client.post(f"/offers/{own.id}/contact", data={}, follow_redirects=True)
    closed_answer = client.post(f"/offers/{closed.id}/contact", data={}, follow_redirects=True)

    assert "is your own, so you cannot answer it" in own_answer.get_data(as_text=True)
    assert "is closed, so it cannot be answered" in closed_answer.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ListingContact)) == 0


def test_owner_sees_who_got_in_touch_without_their_phone_number(client, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer", mobile="07508 128486")
    listing = ListingFactory(member=joyce)
    sign_in_as(client, dorothy)
    client.post(f"/offers/{listing.id}/contact", data={"message": "I would love this"})
    client.post("/sign-out")
    sign_in_as(client, joyce)

    page = client.get(f"/offers/{listing.id}").get_data(as_text=True)
    mine = client.get("/offers/mine").get_data(as_text=True)

    assert "Dorothy Palmer" in page and "I would love this" in page
    assert "Dorothy Palmer" in mine
    assert "128486" not in page and "128486" not in mine


def test_listing_pages_show_no_phone_numbers_by_default(client, bank):
    joyce = MemberFactory(bank=bank, mobile="07450 120567")
    listing = ListingFactory(member=joyce)
    sign_in_as(client, MemberFactory(bank=bank))

    for path in ("/offers", f"/offers/{listing.id}", f"/offers/{listing.id}/contact"):
        text = client.get(path).get_data(as_text=True)
        assert "120567" not in text and "+44" not in text, path


def test_another_banks_listing_answers_404(client, bank):
    elsewhere = ListingFactory(member=MemberFactory(bank=TimeBankFactory()))
    sign_in_as(client, MemberFactory(bank=bank))

    for path in (f"/offers/{elsewhere.id}", f"/offers/{elsewhere.id}/contact"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/offers/{elsewhere.id}/contact", data={}).status_code == 404


def test_offers_pages_need_signing_in(client):
    response = client.get("/offers")

    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_every_offers_page_has_one_heading(client, bank):
    joyce = MemberFactory(bank=bank)
    listing = ListingFactory(member=MemberFactory(bank=bank))
    sign_in_as(client, joyce)

    for path in ("/offers", "/offers/mine", "/offers/new/offer", "/offers/new/request",
                 f"/offers/{listing.id}", f"/offers/{listing.id}/contact"):  # fmt: skip
        assert len(h1s(client.get(path))) == 1, path


def test_an_offer_keeps_its_times_and_travel_and_shows_them_in_words(client, session, bank):
    joyce = MemberFactory(bank=bank)
    sign_in_as(client, joyce)
    form = client.get("/offers/new/offer").get_data(as_text=True)
    assert "<legend" in form and "Tuesday" in form and 'value="tue-morning"' in form
    assert "How far will you go to help?" in form

    response = client.post(
        "/offers/new/offer",
        data={
            "skill_category": "Transport and lifts",
            "title": "Lifts to the surgery",
            "times": ["tue-morning", "thu-morning"],
            "availability": "Not in August",
            "area": "Catford",
            "travel": "anywhere",
        },
        follow_redirects=True,
    )

    listing = session.scalars(sa.select(Listing)).one()
    assert (listing.slots, listing.travel, listing.needs_check) == (
        slots_to_mask([Slot(1, "morning"), Slot(3, "morning")]),
        "anywhere",
        False,
    )
    text = response.get_data(as_text=True)
    assert "Tuesday and Thursday mornings. Not in August" in text and "Anywhere" in text
    session.rollback()
    edit = client.get(f"/offers/{listing.id}/edit").get_data(as_text=True)
    assert 'value="tue-morning" checked' in edit and 'value="wed-morning" checked' not in edit
    assert 'value="anywhere" checked' in edit


def test_a_request_can_be_for_any_time_and_need_a_checked_helper(client, session, bank):
    dorothy = MemberFactory(bank=bank)
    sign_in_as(client, dorothy)
    form = client.get("/offers/new/request").get_data(as_text=True)
    assert "Any time" in form and "This needs a home visit or personal care" in form
    assert "How far will you go" not in form

    response = client.post(
        "/offers/new/request",
        data={
            "skill_category": "Practical help",
            "title": "Changing a light bulb",
            "any_time": "y",
            "area": "At my home in Lee",
            "needs_check": "y",
        },
        follow_redirects=True,
    )

    listing = session.scalars(sa.select(Listing)).one()
    assert (listing.slots, listing.needs_check, listing.area) == (0, True, "At my home in Lee")
    text = response.get_data(as_text=True)
    assert "Any time" in text and "Needs a helper the time bank has checked" in text
    session.rollback()
    edit = client.get(f"/offers/{listing.id}/edit").get_data(as_text=True)
    assert 'name="any_time" type="checkbox" value="y" checked' in edit


def test_times_that_contradict_or_were_never_offered_are_refused(client, session, bank):
    sign_in_as(client, MemberFactory(bank=bank))
    base = {"skill_category": "Gardening", "title": "Weeding"}

    both = client.post(
        "/offers/new/request", data={**base, "any_time": "y", "times": ["mon-evening"]}
    )
    unknown = client.post("/offers/new/offer", data={**base, "times": ["funday-morning"]})
    far = client.post("/offers/new/offer", data={**base, "travel": "the moon"})

    both_text = both.get_data(as_text=True)
    assert "Tick either any time or the times that suit you, not both." in both_text
    assert 'href="#times"' in both_text and 'id="times"' in both_text
    assert 'value="mon-evening" checked' in both_text
    assert "Choose the days and times from the list." in unknown.get_data(as_text=True)
    assert "Choose how far you will go to help." in far.get_data(as_text=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0
