"""The broker's request pages and the requester's helpers page, in a real browser on a phone.

Each proposal state's card is checked for accessibility, reflow and touch targets, since
the demo bank starts with no proposals for the crawl to find. These tests use requests no
other browser test relies on: Harold's French practice and Dorothy's light bulbs.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import DOROTHY, GRACE, check_page, check_touch_targets, sign_in

FRENCH = "Someone to practise French with"
LIGHT_BULBS = "Changing light bulbs and smoke alarm batteries"


def check(page, name: str) -> None:
    check_page(page, name)
    check_touch_targets(page)


def test_broker_asks_two_members_records_a_yes_introduces_and_matches(page, live_server):
    sign_in(page, GRACE)
    page.goto("/broker")
    page.get_by_role("link", name="Requests waiting for a helper").click()
    expect(page.locator("h1")).to_have_text("Requests waiting for a helper")
    check(page, "broker-requests-queue")
    page.get_by_role("link", name=FRENCH).click()
    expect(page.locator("h1")).to_have_text(FRENCH)
    check(page, "broker-request-suggestions")

    boxes = page.locator("input[name=helpers]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label(re.compile("^On the web")).check()
    page.get_by_role("button", name="Ask them").click()
    expect(page.get_by_text("Asked 2 member(s) on the web.")).to_be_visible()
    check(page, "broker-request-asked")

    page.get_by_role("button", name=re.compile("^They said yes")).first.click()
    expect(page.get_by_text("Recorded that they said yes.")).to_be_visible()
    check(page, "broker-request-accepted")

    page.get_by_label("First meeting date (optional)").fill("2026-03-03")
    page.get_by_label("Time (optional)").fill("10:00")
    page.get_by_label("Where they meet (optional)").fill("Catford library")
    page.get_by_role("button", name=re.compile("^Introduce them")).click()
    expect(page.get_by_text("Introduced them.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("First meeting: Tue 3 Mar at 10:00")
    check(page, "broker-request-introduced")

    page.get_by_role("button", name=re.compile("^Mark as matched")).click()
    expect(page.get_by_text("Marked as matched. The request is closed.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No exchange logged between them yet")
    check(page, "broker-request-matched")


def test_requester_sees_who_could_help_and_asks_one(page, live_server):
    sign_in(page, DOROTHY)
    page.goto("/offers/mine")
    page.get_by_role("link", name=LIGHT_BULBS, exact=True).click()
    page.get_by_role("link", name="See members who could help").click()
    expect(page.locator("h1")).to_contain_text("Who could help")
    check(page, "member-request-helpers")

    page.get_by_role("button", name=re.compile("^Ask .* to help$")).first.click()
    expect(page.get_by_text(re.compile("^We asked"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Who has been asked")
    check(page, "member-request-helpers-asked")
