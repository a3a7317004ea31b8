"""A web address too long to be one of ours gets a plain page of our own, before anything else.

No page of the service needs an address of more than a few hundred characters, so one
longer than MAX_URL_LENGTH (2,000 by default) is a mistake or an attack. It is answered
414 at once, with our own page (problem+json under /api/), and touches no session or
database. docs/deploy.md says how gunicorn and nginx are set so that such a request
reaches the app rather than getting their own bare error.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from werkzeug.wrappers import Response

from timebank.responses.problems import problem

MAX_URL_LENGTH = 2000
TOO_LONG_TITLE = "That web address is too long"
TOO_LONG_ADVICE = (
    "Check the address, or go to the start and find the page from there. If a link sent "
    "you here, the link is broken."
)


def init_app(app: Flask) -> None:
    """Answer a too-long address before any other hook runs."""
    app.config.setdefault("MAX_URL_LENGTH", MAX_URL_LENGTH)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_long_url)


def url_length() -> int:
    """Return the length of the address as the client sent it: path and query."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return len(raw)
    query = request.environ.get("QUERY_STRING", "")
    return len(request.environ.get("PATH_INFO", "")) + (len(query) + 1 if query else 0)


def _refuse_long_url() -> Response | tuple[str, int] | None:
    if url_length() <= current_app.config["MAX_URL_LENGTH"]:
        return None
    if request.path.startswith("/api/"):
        return problem(414, "too_long", f"{TOO_LONG_TITLE}. Send long details in the body.")
    page = render_template(
        "errors/error.html", title=TOO_LONG_TITLE, message=TOO_LONG_ADVICE, status=414
    )
    return page, 414
