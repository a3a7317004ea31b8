"""What browser tests share: the demo people, signing in and out, and the page checks."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from timebank.demo.history import mobile_number
from timebank.demo.story import DEMO_PASSWORD, MEMBERS

__all__ = [
    "DEMO_PASSWORD",
    "DOROTHY",
    "GRACE",
    "JOYCE",
    "SCREENSHOTS",
    "TOM",
    "DemoPerson",
    "check_axe",
    "check_page",
    "check_reflow",
    "check_touch_targets",
    "crawl",
    "demo_person",
    "link_to_follow",
    "page_shape",
    "save_screenshot",
    "sign_in",
    "sign_out",
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
NARROWEST = 320  # WCAG 1.4.10 Reflow: content fits 320 CSS px with no sideways scrolling
TOUCH_TARGET = 44  # CSS px: the height of anything a finger has to hit
MAX_PAGES = 60  # per crawl (per person)
MAX_PER_SHAPE = 2  # pages that differ only in an id share a template: a few of each is enough
SKIPPED_PATH_WORDS = ("sign-out", "download", "export")
DOWNLOAD_SUFFIXES = (".csv", ".pdf", ".zip", ".json", ".txt", ".xlsx", ".ics", ".vcf")


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


def link_to_follow(origin: str, page_url: str, href: str, download: bool = False) -> str | None:
    """Return the path and query a crawl should visit for a link, or None to leave it.

    Only same-origin pages are followed: not static files, downloads or signing out.
    Following a link is a GET, which never changes anything on this service.
    """
    target = urlsplit(urljoin(page_url, href))
    if f"{target.scheme}://{target.netloc}" != origin or download:
        return None
    path = target.path or "/"
    lowered = path.lower()
    if lowered.startswith("/static/") or lowered.endswith(DOWNLOAD_SUFFIXES):
        return None
    if any(word in lowered for word in SKIPPED_PATH_WORDS):
        return None
    return f"{path}?{target.query}" if target.query else path


def page_shape(path: str) -> str:
    """Return the path with its ids and query blanked: pages of one shape share a template."""
    return re.sub(r"\d+", "{n}", path.split("?", 1)[0])


def crawl(
    start: Iterable[str], visit: Callable[[str], Iterable[str]], limit: int = MAX_PAGES
) -> list[str]:
    """Visit pages breadth-first from `start`; `visit` returns the paths a page links to.

    At most `limit` pages, and at most MAX_PER_SHAPE of each shape, so a list of sixty
    members does not crowd out the other pages. Returns the visited paths in order.
    """
    queue = deque(dict.fromkeys(start))
    seen = set(queue)
    shapes: Counter[str] = Counter()
    visited: list[str] = []
    while queue and len(visited) < limit:
        path = queue.popleft()
        shape = page_shape(path)
        if shapes[shape] >= MAX_PER_SHAPE:
            continue
        shapes[shape] += 1
        visited.append(path)
        for link in visit(path):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return visited


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

    # A check straight after a click may catch the next page before its stylesheet applies,
    # when the layout (and so the size of every link) is not yet the page's own.
    page.wait_for_load_state("load")
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


def check_touch_targets(page: Any) -> None:
    """Fail if a nav link, button or form control is less than 44 px high.

    Links inside running text are exempt. A radio or checkbox counts with its label,
    since tapping the label ticks it.
    """
    small = page.evaluate(_TOUCH_TARGET_SCRIPT, TOUCH_TARGET)
    assert not small, f"{page.url} has touch targets under {TOUCH_TARGET} px high: " + ", ".join(
        small
    )


def links_on(page: Any, origin: str) -> list[str]:
    """Return the paths of the same-origin links on the page a crawl should follow."""
    anchors = page.eval_on_selector_all(
        "a[href]", "els => els.map(a => [a.href, a.hasAttribute('download')])"
    )
    paths = (link_to_follow(origin, page.url, href, download) for href, download in anchors)
    return [path for path in paths if path is not None]


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

# Lists the controls a finger must hit that are shorter than the minimum, as short labels.
_TOUCH_TARGET_SCRIPT = """(minimum) => {
  const selector = 'nav a, button, a.button, input:not([type=hidden]), select, textarea';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    let box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
    let top = box.top, bottom = box.bottom;
    if (el.type === 'radio' || el.type === 'checkbox') {
      for (const label of el.labels || []) {
        const lb = label.getBoundingClientRect();
        top = Math.min(top, lb.top);
        bottom = Math.max(bottom, lb.bottom);
      }
    }
    const height = bottom - top;
    if (height + 0.5 < minimum) {
      const name = (el.innerText || el.value || el.name || el.id || '').trim().slice(0, 30);
      small.push(el.tagName.toLowerCase() + ' "' + name + '" (' + Math.round(height) + ' px)');
    }
  }
  return small;
}"""
