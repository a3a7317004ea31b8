"""Offers, profiles, my data, broker sign-up and admin pages in a real browser on a phone.

These tests change nothing other browser tests rely on: the offer posted has a title of
its own, the contact changes no balance, the new member has a number no one else has, and
the erase confirmation page is only looked at, never confirmed.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import DOROTHY, GRACE, JOYCE, TOM, check_page, sign_in, sign_out
from timebank.phones import normalise_mobile

OFFER_TITLE = "Ironing and folding laundry"
NEWCOMER = ("Jane Okoro", "07391 123456")


def texts_to(live_server, mobile: str) -> list[str]:
    to = normalise_mobile(mobile)
    return [text.body for text in live_server.sms_sent if text.to == to]


def test_member_posts_an_offer_and_another_member_finds_it_and_asks_for_it(page, live_server):
    sign_in(page, JOYCE)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Offers and requests"
    ).click()
    expect(page.locator("h1")).to_have_text("Offers and requests")
    check_page(page, "offers-browse")
    page.get_by_role("link", name="Post an offer").click()
    check_page(page, "offers-post-offer")
    page.get_by_label("What kind of help is it?").select_option("Practical help")
    page.get_by_label("What can you offer?").fill(OFFER_TITLE)
    page.get_by_label("More about it (optional)").fill("Bring it round, or I can collect.")
    page.get_by_label("Morning on Monday").check()
    page.get_by_label("Anything else about when? (optional)").fill("Not bank holidays")
    page.get_by_label("Anywhere").check()
    page.get_by_role("button", name="Post offer").click()
    expect(page.locator("h1")).to_have_text(OFFER_TITLE)
    expect(page.get_by_text("Your offer is posted.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Monday mornings. Not bank holidays")
    check_page(page, "offers-offer-page")
    page.goto("/offers/new/request")
    expect(page.locator("h1")).to_have_text("Ask for help")
    check_page(page, "offers-post-request")
    page.goto("/offers/mine")
    expect(page.get_by_role("link", name=OFFER_TITLE, exact=True)).to_be_visible()
    check_page(page, "offers-mine")
    sign_out(page)

    sign_in(page, DOROTHY)
    page.goto("/offers")
    page.get_by_label("Search for").fill("ironing laundry")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 result")).to_be_visible()
    page.get_by_role("link", name=OFFER_TITLE, exact=True).click()
    page.get_by_role("link", name="Ask for this").click()
    expect(page.locator("h1")).to_have_text("Ask Joyce for this")
    check_page(page, "offers-contact")
    page.get_by_label("Message (optional)").fill("Could you do Monday?")
    page.get_by_role("button", name="Ask for this").click()
    expect(page.get_by_text("We have let Joyce know you are interested.")).to_be_visible()
    assert any(
        body.startswith("Dorothy from Ravensbourne Time Bank would like your offer: ironing")
        for body in texts_to(live_server, JOYCE.mobile)
    )

    page.get_by_role("link", name=JOYCE.name).click()
    expect(page.locator("h1")).to_have_text(JOYCE.name)
    expect(page.locator("main")).not_to_contain_text(JOYCE.mobile)
    check_page(page, "profile-public")


def test_member_sees_and_edits_their_profile_and_finds_their_data(page):
    sign_in(page, DOROTHY)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    expect(page.locator("h1")).to_have_text("Your profile")
    check_page(page, "profile")
    page.get_by_role("link", name="Change your details").click()
    expect(page.get_by_label("Your name")).to_have_value(DOROTHY.name)
    check_page(page, "profile-edit")
    page.get_by_label("Your name").fill("")
    page.get_by_role("button", name="Save your details").click()
    expect(page).to_have_title(re.compile(r"^Error: Change your details"))
    expect(page.locator(".error-summary")).to_contain_text("Enter your name.")
    check_page(page, "profile-edit-error")

    page.goto("/profile/my-data")
    expect(page.locator("h1")).to_have_text("Your data")
    check_page(page, "profile-my-data")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("as a text file")).click()
    assert download.value.suggested_filename.startswith("my-data-dorothy-palmer-")
    assert download.value.suggested_filename.endswith(".txt")


def test_broker_signs_up_a_new_member(page, live_server):
    name, mobile = NEWCOMER
    sign_in(page, GRACE)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Broker").click()
    expect(page.locator("h1")).to_have_text("Broker")
    check_page(page, "broker-dashboard")
    page.get_by_role("link", name="Sign up a new member").click()
    check_page(page, "broker-sign-up")
    page.get_by_label("Their name").fill(name)
    page.get_by_label("Their mobile number (optional)").fill(mobile)
    page.get_by_label("Their area (optional)").fill("Catford")
    page.get_by_label("What they can offer (optional)").fill("Sewing and mending")
    page.get_by_label("They agree to the time bank keeping these details").check()
    page.get_by_role("button", name="Sign them up").click()

    expect(page.locator("h1")).to_have_text(f"{name} is signed up")
    check_page(page, "broker-sign-up-done")
    welcome = texts_to(live_server, mobile)
    assert len(welcome) == 1 and welcome[0].startswith("Welcome to Ravensbourne Time Bank, Jane!")


def test_sign_up_with_a_missing_name_shows_the_error_summary(page):
    sign_in(page, GRACE)
    page.goto("/broker/sign-up")
    page.get_by_label("Their area (optional)").fill("Lee")
    page.get_by_role("button", name="Sign them up").click()

    expect(page).to_have_title(re.compile(r"^Error: Sign up a new member"))
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the new member's name.")).to_have_attribute(
        "href", "#name"
    )
    expect(page.get_by_label("Their area (optional)")).to_have_value("Lee")
    check_page(page, "broker-sign-up-error")


def test_admin_finds_a_leaver_and_sees_the_erase_confirmation(page):
    sign_in(page, TOM)
    page.goto("/admin/members")
    expect(page.locator("h1")).to_have_text("Manage members")
    check_page(page, "admin-members")
    page.get_by_label("Search for a member").fill("Jordan")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Jordan Reid").click()
    page.get_by_role("link", name="Erase Jordan Reid's details").click()

    expect(page.locator("h1")).to_have_text("Erase Jordan Reid's details")
    expect(page.get_by_role("button", name="Erase their details")).to_be_visible()
    check_page(page, "admin-erase-confirmation")
