"""Send texts to the app's webhook as Twilio would, and read the TwiML reply."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from tests.fakes.twilio_webhooks import post_signed

BANK_NUMBER = "+442079460000"
AUTH_TOKEN = "test-token"
_sids = itertools.count(1)


def new_sid() -> str:
    """Return a MessageSid no other test text has used."""
    return f"SM{next(_sids):032d}"


def reply_of(response) -> str | None:
    """Return the text of the TwiML <Message>, or None for an empty answer."""
    assert response.status_code == 200, response.data
    message = ET.fromstring(response.data).find("Message")
    return None if message is None else message.text


def text_bank(client, app, sender: str, body: str, sid: str | None = None, to: str = BANK_NUMBER):
    """Text `body` from `sender` to the bank's number through the signed webhook."""
    params = {"MessageSid": sid or new_sid(), "From": sender, "To": to, "Body": body}
    return post_signed(client, app, "/sms/inbound", params)


@pytest.fixture(name="app")
def texting_app(database_url: str):
    """Build the app with a Twilio auth token, so webhooks can be signed."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(name="bank")
def texting_bank(session):
    """Return a time bank that members text at BANK_NUMBER."""
    from tests.factories import TimeBankFactory

    return TimeBankFactory(sms_number=BANK_NUMBER)
