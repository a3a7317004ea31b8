"""Short printouts, printed for real: a quarter's report on four A4 pages, a practice's on one.

Chromium prints each page to PDF at A4, as "Save as PDF" would, and the test counts the
pages. The bank has a typical quarter behind it (see `quarter_bank`). A picture of each
printout, as laid out for print, is saved to test-output/screenshots to look at.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, serving
from tests.browser.helpers import GRACE, check_axe, save_screenshot, sign_in
from tests.browser.quarter_bank import SECOND_PRACTICE, seed_quarter_bank
from timebank.demo.story import GP_PRACTICE
from timebank.reports.period import Period

LAPTOP = {"width": 1366, "height": 768}
A4_WIDTH_PX = 794  # 210 mm at 96 CSS px to the inch
# A page object of a PDF (not the /Pages tree above them).
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


@pytest.fixture(scope="module")
def quarter_server(browser: Any, databases: Any) -> Iterator[tuple[LiveServer, Period]]:
    """Serve a bank with a typical last quarter; yield the server and that quarter."""
    found: list[Period] = []

    def seed(session: Any) -> None:
        found.append(seed_quarter_bank(session, dt.date.today()))

    with serving(databases, seed) as server:
        yield server, found[0]


@pytest.fixture
def broker_page(browser: Any, quarter_server: tuple[LiveServer, Period]) -> Iterator[Any]:
    """Return a laptop-sized page with the bank's broker signed in."""
    server, _quarter = quarter_server
    context = browser.new_context(viewport=LAPTOP, base_url=server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, GRACE)
    try:
        yield page
    finally:
        context.close()


def quarter_args(quarter: Period) -> str:
    return f"from={quarter.start.isoformat()}&to={quarter.end.isoformat()}"


def printed_pages(page: Any, name: str) -> int:
    """Print the page to an A4 PDF and return its number of pages; keep a picture of it."""
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    save_screenshot(page, name)
    return len(PDF_PAGE.findall(pdf))


def test_the_quarters_funder_printout_fits_on_four_a4_pages(broker_page, quarter_server):
    _server, quarter = quarter_server
    broker_page.goto(f"/reports/print?{quarter_args(quarter)}")

    assert broker_page.locator("h1").inner_text() == "Time bank report for funders"
    assert broker_page.locator(".report-summary tbody tr").count() >= 12
    assert printed_pages(broker_page, "printout-funder-quarter") <= 4


def test_the_quarters_staff_printout_fits_on_four_a4_pages(broker_page, quarter_server):
    _server, quarter = quarter_server
    broker_page.goto(f"/reports/print?{quarter_args(quarter)}&view=broker")

    assert broker_page.locator("h1").inner_text() == "Time bank report"
    # Referrals from both practices are in it, row by row.
    rows = broker_page.locator("#table-referrals_by_practice tbody tr").all_inner_texts()
    assert any(GP_PRACTICE in row for row in rows) and any(SECOND_PRACTICE in row for row in rows)
    assert printed_pages(broker_page, "printout-staff-quarter") <= 4


@pytest.mark.parametrize("practice", [GP_PRACTICE, SECOND_PRACTICE])
def test_each_practices_printout_of_the_quarter_fits_on_one_a4_page(
    broker_page, quarter_server, practice
):
    _server, quarter = quarter_server
    broker_page.goto(f"/reports?{quarter_args(quarter)}")
    broker_page.get_by_role("link", name=f"Report for {practice}").click()

    assert broker_page.locator("h1").inner_text() == f"Referral outcomes for {practice}"
    check_axe(broker_page)
    name = "printout-practice-" + practice.split()[0].lower()
    assert printed_pages(broker_page, name) == 1


def test_on_a_laptop_the_summary_figures_come_before_the_period_form(broker_page, quarter_server):
    _server, quarter = quarter_server
    broker_page.goto(f"/reports?{quarter_args(quarter)}")

    first = broker_page.locator(".report-summary__now").first.bounding_box()
    form = broker_page.locator("#period-form").bounding_box()
    assert first is not None and form is not None
    assert first["y"] + first["height"] <= LAPTOP["height"]  # on the first screenful
    assert first["y"] < form["y"]
    # From the top, a keyboard user reaches the form in one step.
    broker_page.get_by_role("link", name="Choose another period").click()
    assert broker_page.evaluate("location.hash") == "#period-form"
    check_axe(broker_page)
