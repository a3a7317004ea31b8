"""Ways to send a text. Configuration (SMS_BACKEND) picks one; the Twilio one comes later."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("timebank.sms")


@dataclass(frozen=True)
class SentText:
    """A text a backend accepted: where it went, what it said, the provider's id for it."""

    to: str
    body: str
    provider_sid: str


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> SentText:
        """Send one text and return the provider's record of it."""
        ...


class ConsoleBackend:
    """Development: write each text to the log instead of sending it."""

    def send(self, to: str, body: str) -> SentText:
        sid = f"console-{uuid.uuid4().hex[:16]}"
        log.info("SMS to %s: %s", to, body)
        return SentText(to, body, sid)


class FakeBackend:
    """Tests: remember every text, in order, so a test can read what was "sent"."""

    def __init__(self) -> None:
        self.sent: list[SentText] = []
        self._lock = threading.Lock()

    def send(self, to: str, body: str) -> SentText:
        text = SentText(to, body, f"fake-{uuid.uuid4().hex[:16]}")
        with self._lock:
            self.sent.append(text)
        return text

    def last_to(self, to: str) -> SentText | None:
        """Return the most recent text sent to `to`, if any."""
        return next((t for t in reversed(self.sent) if t.to == to), None)


BACKENDS: dict[str, Callable[[], SmsBackend]] = {"console": ConsoleBackend, "fake": FakeBackend}


def make_backend(name: str) -> SmsBackend:
    """Build the backend called `name`, or say which names exist."""
    try:
        return BACKENDS[name]()
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"SMS_BACKEND {name!r} is not known; choose one of {known}.") from None
