"""What the home, log-hours and history tests share: signing members in and ledger set-up."""

from __future__ import annotations

import datetime as dt
import html as html_text
import re
import uuid

import sqlalchemy as sa
from flask.testing import FlaskClient

from tests.factories import noon_on
from timebank.extensions import db
from timebank.ledger.models import Transfer
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member
from timebank.members.signin import set_password
from timebank.membership.services import account_of
from timebank.tenancy.models import TimeBank

PASSWORD = "kettle garden blue"


class OwnContextClient(FlaskClient):
    """A test client whose every request runs in an app context of its own.

    The `app` fixture keeps one app context pushed for the whole test, and a request reuses
    it, so Flask-Login's cached user (kept in `g`) would leak from one member's client into
    another's. Each request here gets a fresh context and database session, as in production;
    the test's own session ends its transaction first so SQLite's writer lock is free.
    """

    def open(self, *args, **kwargs):
        db.session.rollback()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def signed_in(app, member: Member):
    """Return a new test client with `member` signed in."""
    set_password(db.session, member.bank_id, member.id, PASSWORD)
    bank = db.session.get(TimeBank, member.bank_id)
    client = OwnContextClient(app, app.response_class, use_cookies=True)
    response = client.post(
        "/sign-in",
        data={"bank": bank.slug, "identifier": member.mobile_e164, "password": PASSWORD},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def balance(member: Member) -> int:
    """Return a member's balance in minutes, read afresh."""
    db.session.rollback()
    found = account_of(db.session, member.bank_id, member.id).balance
    db.session.rollback()
    return found


def transfer_count() -> int:
    """Return how many transfers the ledger holds."""
    db.session.rollback()
    found = db.session.scalar(sa.select(sa.func.count()).select_from(Transfer)) or 0
    db.session.rollback()
    return found


def give(
    giver: Member, receiver: Member, minutes: int, by: Member | None = None, now=None, **extra
):
    """Record through the service that `giver` helped `receiver`; return the result.

    An exchange given a day is recorded at noon that day (the date rule allows it), unless
    `now` says when.
    """
    day = extra.get("happened_on")
    if now is None and day is not None:
        now = noon_on(day)
    return record_exchange(
        db.session,
        ExchangeRequest(
            transfer_id=uuid.uuid4(),
            bank_id=giver.bank_id,
            giver_id=giver.id,
            receiver_id=receiver.id,
            minutes=minutes,
            recorded_by_id=(by or giver).id,
            **extra,
        ),
        **({"now": now} if now is not None else {}),
    )


def text_of(response) -> str:
    """Return a page's text with tags removed and spaces collapsed, for plain assertions."""
    html = response.get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" .", ".").strip()
    return html_text.unescape(text)


def hidden_value(response, name: str) -> str:
    """Return the value of the first hidden input called `name` on a page."""
    html = response.get_data(as_text=True)
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', html
    )
    assert match, f"no {name} on the page"
    return match.group(1)


def one_h1(response) -> str:
    """Assert a page has exactly one h1 and return its text."""
    html = response.get_data(as_text=True)
    found = re.findall(r"<h1[^>]*>(.*?)</h1>", html, flags=re.S)
    assert len(found) == 1, found
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found[0])).strip()


def date_fields(day: dt.date) -> dict[str, str]:
    """Return the day, month and year boxes for a date."""
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
