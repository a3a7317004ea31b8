"""The web's side of server-held sessions: the cookie's session id, and signing out a
browser whose session has ended (`timebank.members.sessions` keeps the rows).

The cookie carries Flask-Login's member id and the session id. Flask-Login asks
`load_member` for the member on the first use of `current_user` in a request; it answers
only while the session row holds. `sign_out_ended_session` runs before every request and
clears the cookie of a browser whose session ended, with a plain word on why.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from timebank.clock import as_utc, utcnow
from timebank.extensions import db
from timebank.members import sessions
from timebank.members.models import Member

SESSION_KEY = "sid"
API_PATH = "/api/"

ENDED_MESSAGES = {
    "idle": "You were signed out because you had not used the service for a while.",
    "expired": "You were signed out because you had been signed in for a long time."
    " Please sign in again.",
    "password_changed": "You were signed out because the password was changed."
    " Please sign in with the new password.",
    "other_devices": "You were signed out from another device. Please sign in again.",
    "role_changed": "Your role in the time bank has changed. Please sign in again.",
}
# Suspended, left, erased, or no session at all: nothing more to say than this.
ENDED_OTHERWISE = "You are signed out. Please sign in again, or ask your broker for help."


def limits() -> sessions.Limits:
    """Return this installation's idle time and lifetime for sessions."""
    config = current_app.config
    return sessions.Limits(
        idle=dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        lifetime=dt.timedelta(hours=config["SESSION_MAX_HOURS"]),
    )


def current_session_id() -> str | None:
    """Return the id of this browser's session, if it has one."""
    return session.get(SESSION_KEY)


def start(member: Member) -> None:
    """Open a new session for a member who has just signed in, in a fresh cookie."""
    session.clear()
    session[SESSION_KEY] = sessions.open_session(db.session(), member, now=utcnow)
    login_user(member)


def end() -> None:
    """End this browser's session on the server and clear its cookie (signing out)."""
    sessions.end_session(db.session(), current_session_id(), now=utcnow)
    logout_user()
    session.clear()


def load_member(member_id: str) -> Member | None:
    """Flask-Login's user loader: the member this browser's live session signs in."""
    try:
        wanted = int(member_id)
    except ValueError:
        return None
    found = sessions.check_session(db.session(), current_session_id(), wanted, limits(), now=utcnow)
    if found.member is None:
        g.session_ended_reason = found.ended_reason
    return found.member


def sign_out_ended_session() -> ResponseReturnValue | None:
    """Before each request: clear the cookie of a session that has ended, and say why.

    A web page goes to the sign-in page; an API call goes on unsigned-in and gets 401.
    """
    if "_user_id" not in session or current_user.is_authenticated:
        return None
    reason = g.pop("session_ended_reason", None)
    logout_user()
    session.clear()
    if request.path.startswith(API_PATH):
        return None
    flash(ENDED_MESSAGES.get(reason or "", ENDED_OTHERWISE))
    # Back to the page after signing in; a form's address would only answer a GET with 405.
    back = request.path if request.method == "GET" else None
    return redirect(url_for("auth.sign_in", next=back))


def other_devices() -> int:
    """Return how many other live sessions the signed-in member has."""
    return sessions.other_sessions_count(
        db.session(),
        current_user.bank_id,
        current_user.id,
        current_session_id(),
        limits(),
        now=utcnow,
    )


def end_others(reason: str = "other_devices") -> int:
    """End the signed-in member's sessions on other devices; return how many ended."""
    return sessions.end_other_sessions(
        db.session(),
        current_user.bank_id,
        current_user.id,
        current_session_id(),
        reason,
        now=utcnow,
    )


def last_sign_in_words(member: Member, timezone: str) -> str:
    """Say when a member last signed in, in the bank's time, for brokers and admins."""
    if member.last_sign_in_at is None:
        return "Never signed in"
    local = as_utc(member.last_sign_in_at).astimezone(ZoneInfo(timezone))
    return f"{local:%-d %B %Y at %H:%M}"
