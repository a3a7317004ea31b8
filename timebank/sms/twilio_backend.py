"""Sending through Twilio's REST API with the twilio library, sorting every failure."""

from __future__ import annotations

import datetime as dt
import logging

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NameResolutionError, NewConnectionError

from timebank.sms.errors import (
    BAD_NUMBER_CODES,
    OPTED_OUT_CODES,
    THROTTLED_CODES,
    OutcomeUnknown,
    Rejected,
    RetryLater,
    SendError,
)
from timebank.sms.interface import SentText

log = logging.getLogger("timebank.sms")


def _causes(error: BaseException) -> list[BaseException]:
    """Return `error` and what it wraps: requests keeps urllib3's error in args[0]."""
    found: list[BaseException] = []
    todo: list[BaseException | None] = [error]
    while todo and len(found) < 10:
        each = todo.pop()
        if each is None or any(each is seen for seen in found):
            continue
        found.append(each)
        todo += [each.__cause__, each.__context__, getattr(each, "reason", None)]
        todo += [arg for arg in each.args if isinstance(arg, BaseException)]
    return found


def _refused_before_sending(error: requests.exceptions.ConnectionError) -> bool:
    """True when the connection itself failed, so no request reached the provider.

    urllib3's NewConnectionError covers a refused connection and, as its subclass
    NameResolutionError, a name that did not resolve: either way nothing was sent.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    for cause in _causes(error):
        if isinstance(cause, NewConnectionError | ConnectionRefusedError):
            return True
    text = repr(error.args[0] if error.args else error)
    return "NewConnectionError" in text or "Connection refused" in text


def classify_failure(error: Exception) -> SendError:
    """Turn a failure from the twilio library into RetryLater, Rejected or OutcomeUnknown."""
    if isinstance(error, TwilioRestException):
        code = int(error.code) if error.code else None
        if error.status == 429 or code in THROTTLED_CODES:
            return RetryLater(f"Twilio is busy ({code or 429}).", code)
        if code in OPTED_OUT_CODES:
            return Rejected("The person has opted out of texts (21610).", code)
        if code in BAD_NUMBER_CODES:
            return Rejected(f"Twilio says the number cannot take texts ({code}).", code)
        if error.status >= 500:
            return OutcomeUnknown(f"Twilio answered {error.status}; the text may exist.", code)
        return Rejected(f"Twilio refused the text ({code or error.status}): {error.msg}", code)
    if any(isinstance(cause, NameResolutionError) for cause in _causes(error)):
        return RetryLater("Could not look up Twilio's address (DNS); nothing was sent.")
    if isinstance(error, requests.exceptions.ConnectionError) and _refused_before_sending(error):
        return RetryLater("Could not connect to Twilio.")
    if isinstance(error, NewConnectionError):  # urllib3's own, not wrapped by requests
        return RetryLater("Could not connect to Twilio.")
    if isinstance(error, requests.exceptions.RequestException):
        return OutcomeUnknown(f"No clear answer from Twilio: {type(error).__name__}.")
    return OutcomeUnknown(f"Unexpected error while sending: {error!r}")


class TwilioBackend:
    """Send with the twilio Client; `base_url` points it elsewhere (a fake in tests)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        default_sender: str | None = None,
        status_callback: str | None = None,
        timeout: float = 10.0,
        base_url: str | None = None,
    ) -> None:
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            self.client.api.base_url = base_url
        self.default_sender = default_sender
        self.status_callback = status_callback

    def _sender(self, sender: str | None) -> dict[str, str]:
        chosen = sender or self.default_sender
        if not chosen:
            raise Rejected("No sending number or Messaging Service is set for this time bank.")
        if chosen.startswith("MG"):
            return {"messaging_service_sid": chosen}
        return {"from_": chosen}

    def send(self, to: str, body: str, sender: str | None = None) -> SentText:
        """Send one text; raise RetryLater, Rejected or OutcomeUnknown when it did not go."""
        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        try:
            message = self.client.messages.create(to=to, body=body, **self._sender(sender), **extra)
        except SendError:
            raise
        except Exception as error:
            raise classify_failure(error) from error
        return SentText(to, body, message.sid)

    def find_sent(self, to: str, body: str, since: dt.datetime) -> str | None:
        """Return the sid of a text with this body created for `to` since `since`, if any.

        Twilio lists newest first; a text still queued at Twilio has no send date yet, so
        this filters on the creation time rather than asking Twilio to filter on DateSent.
        """
        try:
            found = self.client.messages.list(to=to, limit=50)
        except Exception as error:
            raise classify_failure(error) from error
        earliest = since - dt.timedelta(minutes=2)  # allow for clock drift between us and Twilio
        for message in found:
            created = message.date_created
            if (message.body or "") == body and (created is None or created >= earliest):
                sid: str = message.sid
                return sid
        return None
