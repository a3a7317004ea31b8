"""Twilio's webhooks: texts to a time bank's number, and delivery reports for texts we sent.

Both check X-Twilio-Signature against PUBLIC_BASE_URL, so they work behind a proxy that
changes the host or scheme. They are exempt from CSRF (Twilio has no form token); the
signature does that job.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from timebank.clock import utcnow
from timebank.extensions import csrf, db
from timebank.sms.delivery import apply_status_callback
from timebank.texting.inbound import IncomingText, receive_text

log = logging.getLogger("timebank.sms")

bp = Blueprint("sms_webhooks", __name__, url_prefix="/sms")


def init_app(app: Flask) -> None:
    """Register the webhooks and exempt only them from CSRF."""
    app.register_blueprint(bp)
    csrf.exempt(bp)


def public_url() -> str:
    """Return the URL Twilio called, as the public sees it (not as the proxy forwarded it)."""
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    query = request.query_string.decode("utf-8", "replace")
    return f"{url}?{query}" if query else url


def signed_by_twilio() -> bool:
    """Return True when the request carries a valid X-Twilio-Signature."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    valid: bool = RequestValidator(token).validate(public_url(), request.form, signature)
    return valid


def _forbidden() -> Response:
    return Response("Forbidden", status=403, mimetype="text/plain")


def twiml(reply: str | None) -> Response:
    """Return a TwiML answer carrying `reply`, or an empty one."""
    answer = MessagingResponse()
    if reply:
        answer.message(reply)
    return Response(str(answer), mimetype="application/xml")


@bp.post("/inbound")
def inbound() -> Response:
    if not signed_by_twilio():
        return _forbidden()
    form = request.form
    incoming = IncomingText(
        message_sid=form.get("MessageSid", ""),
        from_number=form.get("From", ""),
        to_number=form.get("To", ""),
        body=form.get("Body", ""),
    )
    try:
        reply = receive_text(db.session(), incoming)
    except Exception:  # Twilio would show the sender nothing useful; say nothing instead
        db.session.rollback()
        log.exception("Could not handle text %s", incoming.message_sid)
        reply = None
    return twiml(reply)


def _error_code(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@bp.post("/status")
def status() -> Response:
    if not signed_by_twilio():
        return _forbidden()
    form = request.form
    apply_status_callback(
        db.session(),
        form.get("MessageSid", ""),
        form.get("MessageStatus", ""),
        _error_code(form.get("ErrorCode")),
        utcnow(),
    )
    return Response(status=204)
