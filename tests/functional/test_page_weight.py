"""Every page stays light for cheap phones on slow connections: under 30 KB gzipped.

A page's weight is its HTML plus the stylesheets and scripts it loads, each gzipped as a
web server would send them. The pages are found the way the browser tests find them: by
following the links from the navigation and from each page, signed in as the demo people.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.browser.helpers import DEMO_PASSWORD, GRACE, JOYCE, TOM, crawl, link_to_follow

BUDGET = 30 * 1024  # bytes, gzipped
ORIGIN = "http://localhost"
PEOPLE = {"visitor": None, "member": JOYCE, "broker": GRACE, "admin": TOM}
START = {"visitor": ["/", "/sign-in", "/sign-in/code"]}


class PageParts(HTMLParser):
    """Collect a page's links, stylesheets and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, bool]] = []
        self.assets: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append((values["href"] or "", "download" in values))
        elif tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.assets.append(values["href"] or "")
        elif tag == "script":
            self.scripts += 1
            if values.get("src"):
                self.assets.append(values["src"] or "")


@dataclass
class Weighing:
    """What a crawl found: each page's gzipped weight, and anything that went wrong."""

    weights: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    asset_sizes: dict[str, int] = field(default_factory=dict)


def gzipped(data: bytes) -> int:
    """Return the size of `data` gzipped at the level web servers commonly use."""
    return len(gzip.compress(data, compresslevel=6))


def weigh(client, path: str, weighing: Weighing) -> list[str]:
    """Fetch `path`, note its gzipped weight with its CSS and JS, and return its links."""
    response = client.get(path, follow_redirects=True)
    if response.status_code != 200:
        weighing.problems.append(f"{path} answered {response.status_code}")
        return []
    parts = PageParts()
    parts.feed(response.get_data(as_text=True))
    weight = gzipped(response.get_data())
    if parts.scripts:
        # Every flow works without JavaScript; a script would be a first step away from that.
        weighing.problems.append(f"{path} has {parts.scripts} script element(s)")
    for asset in parts.assets:
        if asset not in weighing.asset_sizes:
            with client.get(asset) as file_response:  # closes the static file it sends
                weighing.asset_sizes[asset] = gzipped(file_response.get_data())
        weight += weighing.asset_sizes[asset]
    weighing.weights[path] = weight
    page_url = response.request.url
    links = (link_to_follow(ORIGIN, page_url, href, download) for href, download in parts.links)
    return [link for link in links if link is not None]


@pytest.fixture(scope="module")
def demo_app(databases):
    """Build the app on a database of this module's own, seeded with the demo bank."""
    from timebank import create_app
    from timebank.demo.seed import seed_demo_bank
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": databases.fresh()})
    with app.app_context():
        seed_demo_bank(db.session())
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("role", PEOPLE)
def test_every_page_weighs_under_30_kb_gzipped(demo_app, role, capsys):
    client = demo_app.test_client()
    person = PEOPLE[role]
    if person is not None:
        answer = client.post(
            "/sign-in",
            data={"bank": "demo", "identifier": person.mobile, "password": DEMO_PASSWORD},
        )
        assert answer.headers["Location"].endswith("/home")
    weighing = Weighing()

    visited = crawl(START.get(role, ["/home"]), lambda path: weigh(client, path, weighing))

    heaviest = max(weighing.weights, key=weighing.weights.__getitem__)
    with capsys.disabled():
        print(
            f"\n  {role}: {len(visited)} pages; heaviest {heaviest} at "
            f"{weighing.weights[heaviest] / 1024:.1f} KB gzipped with its CSS and JS"
        )
    assert not weighing.problems, weighing.problems
    too_heavy = {path: size for path, size in weighing.weights.items() if size >= BUDGET}
    assert not too_heavy, f"over {BUDGET // 1024} KB gzipped: {too_heavy}"
