"""The core flows with JavaScript switched off: the pages ship no script, and need none."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.helpers import JOYCE, TOM, sign_in, sign_out
from tests.browser.test_log_hours_browser import balance_on_home, choose_person, fill_details


def test_signing_in_logging_and_confirming_hours_work_without_javascript(
    page_without_javascript,
):
    page = page_without_javascript
    note = f"Bulbs planted {uuid.uuid4().hex[:8]}"
    sign_in(page, TOM)
    tom_before = balance_on_home(page)
    page.get_by_role("link", name="Log hours").first.click()
    choose_person(page, "Joyce", JOYCE.name)
    page.get_by_label(f"I helped {JOYCE.first_name}").check()
    fill_details(page, "30 minutes", "Gardening", note)
    expect(page.locator("h1")).to_have_text("Check the hours before you log them")
    page.get_by_role("button", name="Log these hours").click()
    expect(page.locator("main")).to_contain_text(f"{JOYCE.first_name} needs to confirm it.")
    sign_out(page)

    sign_in(page, JOYCE)
    joyce_before = balance_on_home(page)
    card = page.locator(".card", has_text=note)
    card.get_by_role("button", name=re.compile(r"^Confirm")).click()
    expect(page.locator(".banner--success")).to_contain_text("You confirmed 30 minutes")
    assert balance_on_home(page) == joyce_before - 30
    sign_out(page)

    sign_in(page, TOM)
    assert balance_on_home(page) == tom_before + 30
