"""The API documentation page draws Swagger UI in a real browser, within its CSP."""

from __future__ import annotations

from playwright.sync_api import expect


def test_swagger_ui_lists_the_operations_with_no_console_errors(page):
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto("/api/v1/docs")

    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("Time bank ledger API")
    assert page.locator(".opblock-summary-path", has_text="/api/v1/referrals").count() >= 1
    # A CSP refusal shows as a console error: Swagger UI needs nothing the page forbids.
    assert problems == []
