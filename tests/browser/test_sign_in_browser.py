"""Signing in and out in a real browser on a small phone screen (360 x 740)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.helpers import JOYCE, DemoPerson, check_page, sign_in, sign_out
from timebank.phones import normalise_mobile

CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture
def newcomer(live_server) -> DemoPerson:
    """Return a demo member who has never chosen a password, for the sign-in-by-code flow.

    This is the most recently joined active member without a password (Nadia Haddad in
    the seed). No other browser test signs in as them: this test gives them a password.
    """
    from timebank.demo.readback import national_format
    from timebank.extensions import db
    from timebank.members.models import Member

    with live_server.app.app_context():
        member = db.session.scalars(
            sa.select(Member)
            .where(
                Member.status == "active",
                Member.role == "member",
                Member.password_hash.is_(None),
                Member.mobile_e164.is_not(None),
            )
            .order_by(Member.joined_at.desc(), Member.id.desc())
        ).first()
        assert member is not None, "the demo bank has no member without a password"
        person = DemoPerson(member.display_name, national_format(member.mobile_e164), "member")
        db.session.remove()
    return person


def test_member_signs_in_with_mobile_number_and_password(page):
    sign_in(page, JOYCE)

    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_text(f"Signed in as {JOYCE.name}.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_wrong_password_shows_error_summary_linking_to_the_field_and_keeps_the_number(page):
    page.goto("/sign-in")
    page.get_by_label("Mobile number or email").fill(JOYCE.mobile)
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("is not right")
    expect(page.get_by_label("Mobile number or email")).to_have_value(JOYCE.mobile)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    check_page(page, "sign-in-error")

    page.locator("body").focus()
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Mobile number or email")).to_be_focused()


def test_member_signs_in_by_text_code_then_chooses_a_password(page, live_server, newcomer):
    page.goto("/sign-in")
    page.get_by_role("link", name="Get a code by text message").click()
    check_page(page, "sign-in-code-request")
    sent_before = len(live_server.sms_sent)
    page.get_by_label("Mobile number", exact=True).fill(newcomer.mobile)
    page.get_by_role("button", name="Text me a code").click()

    expect(page.locator("h1")).to_have_text("Enter the code we texted you")
    check_page(page, "sign-in-code-enter")
    texts = live_server.sms_sent[sent_before:]
    to_them = [text for text in texts if text.to == normalise_mobile(newcomer.mobile)]
    assert len(to_them) == 1, texts
    code = CODE.search(to_them[0].body).group(1)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()

    expect(page.locator("h1")).to_have_text("Choose a password")
    check_page(page, "choose-password")
    new_password = "blue kettle garden"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("Type the new password again").fill(new_password)
    page.get_by_role("button", name="Save password").click()
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("status")).to_contain_text("Your new password is saved")

    sign_out(page)
    sign_in(page, newcomer, password=new_password)
    expect(page.get_by_text(f"Signed in as {newcomer.name}.")).to_be_visible()


def test_signing_out_ends_the_session(page):
    sign_in(page, JOYCE)
    sign_out(page)
    expect(page.get_by_role("status")).to_contain_text("You have signed out")

    page.goto("/home")

    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.get_by_text("Please sign in to see that page.")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
