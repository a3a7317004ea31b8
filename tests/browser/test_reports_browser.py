"""The report pages in a real browser: accessible on a phone, and printing to A4 cleanly.

The demo bank has a year of exchanges and a GP practice with referrals, so the report has
charts, tables and a practice report to check.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import (
    GRACE,
    TOM,
    check_axe,
    check_page,
    check_reflow,
    check_touch_targets,
    sign_in,
)

A4_WIDTH_PX = 794  # 210 mm at 96 CSS px to the inch
A4_POINTS = (595, 842)  # 210 x 297 mm in PDF points
ZOOMED_200 = (180, 370)  # the phone at 200 % zoom, as in the site-wide crawl


def open_reports(page) -> None:
    """Go from the navigation to the report page."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.locator("h1")).to_have_text("Reports")


def test_a_broker_reads_the_report_on_a_phone_and_opens_a_definition(page, live_server):
    sign_in(page, GRACE)
    open_reports(page)

    assert page.locator("svg.chart[role=img]").count() >= 2
    check_page(page, "reports-broker")
    check_reflow(page, *ZOOMED_200)
    check_touch_targets(page)
    page.get_by_text("What this counts").first.click()
    expect(page.locator("details.definition").first).to_have_attribute("open", "")

    page.get_by_label("Last quarter").check()  # the funder view covers fixed periods only
    page.get_by_label("Show it as funders see it").check()
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_text("This is the funder view")).to_be_visible()
    check_page(page, "reports-funder-view")


def test_bad_dates_show_the_form_with_the_problem_in_words(page, live_server):
    sign_in(page, TOM)
    page.goto("/reports")
    page.get_by_label("Dates I choose").check()
    page.get_by_label("From", exact=True).fill("2026-03-31")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Show the report").click()

    expect(page.get_by_role("alert")).to_contain_text("The end date is before the start date")
    check_page(page, "reports-bad-dates")


def test_the_printable_report_prints_on_a4_without_navigation(page, live_server):
    sign_in(page, GRACE)
    open_reports(page)
    page.get_by_label("Last quarter").check()  # printable for a calendar month, quarter or year
    page.get_by_role("button", name="Show the report").click()
    page.get_by_role("link", name="Printable report for funders and commissioners").click()
    expect(page.locator("h1")).to_have_text("Time bank report for funders")
    check_page(page, "reports-print-screen")

    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    page.emulate_media(media="print")

    assert page.locator("nav").count() == 0
    expect(page.get_by_role("link", name="Back to reports")).to_be_hidden()
    expect(page.get_by_text("How these figures are made")).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.querySelector('main').clientWidth]"
    )
    assert widths[0] <= A4_WIDTH_PX and widths[1] > A4_WIDTH_PX * 0.8
    assert (
        page.locator(".chart-box").first.evaluate("el => getComputedStyle(el).breakInside")
        == "avoid"
    )
    pdf = page.pdf(prefer_css_page_size=True)
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert box and tuple(round(float(n)) for n in box.groups()) == A4_POINTS


def test_the_report_page_itself_prints_without_the_navigation_or_the_form(page, live_server):
    sign_in(page, GRACE)
    open_reports(page)
    page.emulate_media(media="print")

    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Show the report")).to_be_hidden()
    expect(page.locator("svg.chart").first).to_be_visible()


def test_a_practices_report_is_accessible_and_printable(page, live_server):
    sign_in(page, TOM)
    open_reports(page)
    page.get_by_role("link", name=re.compile("^Report for ")).first.click()

    expect(page.locator("h1")).to_be_visible()
    check_axe(page)
    page.emulate_media(media="print")
    assert page.locator("nav").count() == 0
