"""What browser tests share: the demo people, signing in and out, and the page checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from timebank.demo.seed import DEMO_PASSWORD, MEMBERS, mobile_number

__all__ = [
    "DEMO_PASSWORD",
    "DOROTHY",
    "GRACE",
    "JOYCE",
    "SCREENSHOTS",
    "TOM",
    "DemoPerson",
    "check_page",
    "check_reflow",
    "demo_person",
    "sign_in",
    "sign_out",
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
NARROWEST = 320  # WCAG 1.4.10 Reflow: content fits 320 CSS px with no sideways scrolling


@dataclass(frozen=True)
class DemoPerson:
    """A demo member who signs in with the demo password."""

    name: str
    mobile: str
    role: str

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


def demo_person(name: str) -> DemoPerson:
    """Return the demo member called `name`, with the mobile number the seed gives them."""
    for index, seed in enumerate(MEMBERS):
        if seed.name == name:
            return DemoPerson(seed.name, mobile_number(index), seed.role)
    raise LookupError(f"No demo member is called {name}")


GRACE = demo_person("Grace Mensah")  # broker
TOM = demo_person("Tom Whitfield")  # admin
JOYCE = demo_person("Joyce Campbell")  # member
DOROTHY = demo_person("Dorothy Palmer")  # member


def sign_in(page: Any, person: DemoPerson, password: str = DEMO_PASSWORD) -> None:
    """Sign `person` in through the sign-in page and wait for the home page."""
    from playwright.sync_api import expect

    page.goto("/sign-in")
    page.get_by_label("Mobile number or email").fill(person.mobile)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/home$"))


def sign_out(page: Any) -> None:
    """Press "Sign out" in the footer and wait for the sign-in page."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def check_page(page: Any, name: str) -> None:
    """Fail on any WCAG 2.2 A/AA axe violation or sideways scrolling at 320 px; screenshot."""
    check_axe(page)
    check_reflow(page, NARROWEST)
    save_screenshot(page, name)


def check_axe(page: Any) -> None:
    """Run axe-core for WCAG 2.0, 2.1 and 2.2 at levels A and AA and fail on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def check_reflow(page: Any, width: int, height: int | None = None) -> None:
    """Fail if the page scrolls sideways in a viewport `width` CSS px wide, naming the culprits."""
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": height or original["height"]})
    try:
        overflow = page.evaluate(_OVERFLOW_SCRIPT)
    finally:
        page.set_viewport_size(original)
    assert overflow["scrollWidth"] <= overflow["clientWidth"], (
        f"{page.url} scrolls sideways at {width} px wide: the page is "
        f"{overflow['scrollWidth']} px wide. Too wide: {', '.join(overflow['culprits'])}"
    )


def save_screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot to test-output/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# Reads the page's width and the elements that stick out past the right edge.
_OVERFLOW_SCRIPT = """() => {
  const root = document.documentElement;
  const limit = root.clientWidth;
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > limit + 0.5) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
      culprits.push(el.tagName.toLowerCase() + id + cls + ' (' + Math.round(box.right) + ' px)');
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: limit, culprits: culprits.slice(0, 8)};
}"""
