"""Security headers, signing out ended sessions, friendly error pages and sending queued texts."""

from __future__ import annotations

import logging
import math
import time
from typing import TypeAlias

from flask import (
    Flask,
    Request,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from timebank.errors import TimeBankError
from timebank.extensions import csrf, db, limiter
from timebank.responses.headers import SECURITY_HEADERS
from timebank.responses.problems import (
    problem,
    problem_from_error,
    problem_from_http,
)
from timebank.sms.backends import make_backend
from timebank.sms.outbox import send_queued
from timebank.web.sessions import sign_out_ended_session

log = logging.getLogger("timebank.web")

# Paths that answer machines, not people: their errors are JSON, and problem+json for the API.
MACHINE_PATHS = ("/api/", "/sms/", "/healthz")
API_PATH = "/api/"

ERROR_TITLES = {
    400: "Something was wrong with that request",
    403: "You cannot see this page",
    404: "Page not found",
    405: "That did not work",
    429: "Too many tries",
    500: "Sorry, there is a problem with the service",
}
ERROR_ADVICE = {
    400: "Go back and try again.",
    403: "This page is for brokers or administrators of your time bank.",
    404: "If you typed the web address, check it is correct.",
    405: "Go back and try again.",
    429: "For your safety we have paused this for a while. Please wait a few minutes and try"
    " again, or ask your broker for help.",
    500: "Please try again later. Nothing you entered was saved twice.",
}


def init_app(app: Flask) -> None:
    """Bind CSRF and rate limits, and add the hooks every web page relies on."""
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["timebank_sms"] = make_backend(app.config["SMS_BACKEND"], app.config)
    app.session_interface = CookieSessionUnlessToken()
    app.before_request(sign_out_ended_session)
    app.after_request(_security_headers)
    app.after_request(_send_queued_texts)
    app.register_error_handler(TimeBankError, _time_bank_error)
    app.register_error_handler(CSRFError, _csrf_error)
    for status in ERROR_TITLES:
        app.register_error_handler(status, _http_error)
    app.register_error_handler(429, _too_many_tries)
    app.register_error_handler(HTTPException, _other_http_error)


def _wants_json() -> bool:
    return request.path.startswith(MACHINE_PATHS)


def _is_api() -> bool:
    return request.path.startswith(API_PATH)


def _token_call() -> bool:
    """Tell whether this is an API call that signs in with its header, not the web session.

    Such a call never uses the session, so the hooks below leave it alone: loading the
    member from the session cookie would be wasted work on every API request.
    """
    return bool(request.headers.get("Authorization")) and request.path.startswith(API_PATH)


class CookieSessionUnlessToken(SecureCookieSessionInterface):
    """The signed cookie session, left unread and unwritten on an API call with a token.

    Such a call acts by its header alone (`timebank.api.auth`), so reading and signing a
    cookie for it would be wasted work on every request; it gets an empty session.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if _token_call():
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not _token_call():
            super().save_session(app, session, response)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the answer's headers: a `setdefault` for each would search them all.
    present = {name.lower() for name in headers.keys()}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if _token_call() or current_user.is_authenticated:
        # Pages about a member's hours are not kept by shared or public computers.
        if "cache-control" not in present:
            headers.add("Cache-Control", "no-store")
    hsts = current_app.config.get("STRICT_TRANSPORT_SECURITY")
    if hsts and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", hsts)
    return response


def _send_queued_texts(response: Response) -> Response:
    """In development and tests, send what this request queued once it has committed."""
    if request.method == "POST" and current_app.config.get("SMS_SEND_INLINE"):
        try:
            send_queued(db.session(), current_app.extensions["timebank_sms"])
        except Exception:  # texts stay queued; the page has already done its work
            db.session.rollback()
            log.exception("Could not send queued texts")
    return response


# An error answered as problem+json, or as a page or JSON body with its status.
ErrorAnswer: TypeAlias = Response | tuple[Response | str, int]


def _error_page(status: int, message: str | None = None) -> ErrorAnswer:
    if _is_api():
        return problem(status, detail=message)
    if _wants_json():
        code = ERROR_TITLES[status].lower().replace(" ", "_")
        return jsonify(error=code, message=message or ERROR_TITLES[status]), status
    page = render_template(
        "errors/error.html",
        title=ERROR_TITLES.get(status, ERROR_TITLES[400]),
        message=message or ERROR_ADVICE.get(status, ERROR_ADVICE[400]),
        status=status,
    )
    return page, status


def _http_error(error: Exception) -> ErrorAnswer:
    db.session.rollback()
    if _is_api() and isinstance(error, HTTPException):
        return problem_from_http(error)
    return _error_page(getattr(error, "code", 500) or 500)


def seconds_to_wait() -> int | None:
    """Return how long until every limit this request reached lets it through again."""
    resets = [limit.window.reset_time for limit in limiter.current_limits if limit.breached]
    if not resets:
        return None
    return max(1, math.ceil(max(resets) - time.time()))


def plain_wait(seconds: int) -> str:
    """Say a wait in whole minutes up to an hour, rounded up: "4 minutes", "1 hour", "3 hours"."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 60:
        return f"{math.ceil(minutes / 60)} hours"
    if minutes == 60:
        return "1 hour"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _too_many_tries(error: HTTPException) -> ResponseReturnValue:
    """Say how long to wait, from the limits reached, and send it as Retry-After."""
    wait = None if _is_api() else seconds_to_wait()
    if wait is None:
        return _http_error(error)
    db.session.rollback()
    message = (
        f"For your safety we have paused this for a while. Please wait {plain_wait(wait)}"
        " and try again, or ask your broker for help."
    )
    answer = _error_page(429, message)
    assert isinstance(answer, tuple)  # only the API gets a bare problem, and it left above
    body, status = answer
    return body, status, {"Retry-After": str(wait)}


def _other_http_error(error: HTTPException) -> Response | HTTPException:
    """Answer the statuses without a page of their own: problem+json on the API."""
    db.session.rollback()
    if _is_api():
        return problem_from_http(error)
    return error


def _time_bank_error(error: TimeBankError) -> ErrorAnswer:
    db.session.rollback()
    if _is_api():
        return problem_from_error(error)
    if _wants_json():
        return jsonify(error=error.code, message=error.message), error.status
    status = error.status if error.status in ERROR_TITLES else 400
    return _error_page(status, error.message)


def _csrf_error(error: CSRFError) -> ErrorAnswer:
    if _is_api():
        return problem(
            400, "csrf_failed", "With the web session, send the page's CSRF token as X-CSRFToken."
        )
    return _error_page(
        400,
        "This form had been open too long or came from another site, so nothing was saved."
        " Go back, reload the page and try again.",
    )
