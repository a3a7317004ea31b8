"""Every page a person can reach passes the accessibility checks, on a phone and zoomed in.

For a visitor, a member, the broker and the admin, the test follows the links from the
navigation and from each page (same-origin GET links only) and checks every page it
reaches: no WCAG 2.2 A/AA failures found by axe-core, no sideways scrolling at 320 px wide
or at 200 % zoom, and controls big enough to tap. New pages are picked up as they land.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.helpers import (
    GRACE,
    JOYCE,
    TOM,
    DemoPerson,
    check_page,
    check_reflow,
    check_touch_targets,
    crawl,
    links_on,
    page_shape,
    sign_in,
)

# 200 % zoom on the 360 x 740 phone: the browser then lays pages out in half as many CSS
# pixels, and media queries see 180 px. A smaller viewport is exactly that layout;
# `zoom` on the body would scale the page but leave the media queries at 360 px.
ZOOMED_200 = (180, 370)
VISITOR_START = ["/", "/sign-in", "/sign-in/code"]
MEMBER_START = ["/home"]

PEOPLE = {
    "visitor": None,
    "member": JOYCE,
    "broker": GRACE,
    "admin": TOM,
}


def screenshot_name(role: str, path: str) -> str:
    """Name a page's screenshot after who saw it and the page's shape: member-offers-n."""
    words = re.sub(r"[^a-z0-9]+", "-", page_shape(path).replace("{n}", "n").lower()).strip("-")
    return f"{role}-{words or 'front-page'}"


def audit(page: Any, origin: str, role: str, path: str, problems: list[str]) -> list[str]:
    """Open `path`, run every check on it, note what fails, and return its links."""
    response = page.goto(path)
    if response is None or not response.ok:
        status = response.status if response else "no response"
        problems.append(f"{path} answered {status} for the {role}")
    checks = (
        lambda: check_page(page, screenshot_name(role, path)),
        lambda: check_reflow(page, *ZOOMED_200),
        lambda: check_touch_targets(page),
    )
    for check in checks:
        try:
            check()
        except AssertionError as failure:
            problems.append(str(failure))
    return links_on(page, origin)


@pytest.mark.parametrize("role", PEOPLE)
def test_every_reachable_page_passes_the_accessibility_checks(page, live_server, role):
    person: DemoPerson | None = PEOPLE[role]
    if person is not None:
        sign_in(page, person)
    problems: list[str] = []

    visited = crawl(
        MEMBER_START if person else VISITOR_START,
        lambda path: audit(page, live_server.url, role, path, problems),
    )

    assert visited, "the crawl found no pages"
    assert not problems, f"{len(problems)} problems on {len(visited)} pages:\n\n" + "\n\n".join(
        problems
    )
