"""Ways to send a text. Configuration (SMS_BACKEND) picks one: console, fake or twilio."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from config import ConfigError
from timebank.clock import utcnow
from timebank.sms.interface import SentText, SmsBackend
from timebank.sms.twilio_backend import TwilioBackend

log = logging.getLogger("timebank.sms")


class _Remembering:
    """Keep what was "sent", so find_sent can answer as a provider's message list would."""

    def __init__(self) -> None:
        self.sent: list[SentText] = []
        self._lock = threading.Lock()

    def _remember(self, to: str, body: str, sender: str | None, prefix: str) -> SentText:
        text = SentText(to, body, f"{prefix}-{uuid.uuid4().hex[:16]}", sender, utcnow())
        with self._lock:
            self.sent.append(text)
        return text

    def find_sent(self, to: str, body: str, since: dt.datetime) -> str | None:
        """Return the sid of a text with this body sent to `to` since `since`, if any."""
        with self._lock:
            texts = list(reversed(self.sent))
        for text in texts:
            if text.to == to and text.body == body and (text.sent_at or since) >= since:
                return text.provider_sid
        return None


class ConsoleBackend(_Remembering):
    """Development: write each text to the log instead of sending it.

    With `withhold_words` (always in production) the log says who would be texted but never
    what: a text may hold a sign-in code or someone's health needs, and logs are kept.
    """

    def __init__(self, withhold_words: bool = False) -> None:
        super().__init__()
        self.withhold_words = withhold_words

    def send(self, to: str, body: str, sender: str | None = None) -> SentText:
        """Log the text (or only its length) and remember it."""
        words = f"[words withheld, {len(body)} characters]" if self.withhold_words else body
        log.info("SMS to %s from %s: %s", to, sender or "the default sender", words)
        return self._remember(to, body, sender, "console")


class FakeBackend(_Remembering):
    """Tests: remember every text, in order, so a test can read what was "sent"."""

    def send(self, to: str, body: str, sender: str | None = None) -> SentText:
        """Remember the text."""
        return self._remember(to, body, sender, "fake")

    def last_to(self, to: str) -> SentText | None:
        """Return the most recent text sent to `to`, if any."""
        return next((t for t in reversed(self.sent) if t.to == to), None)


def _twilio(config: Mapping[str, Any]) -> SmsBackend:
    missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not config.get(k)]
    if missing:
        raise ConfigError(
            f"SMS_BACKEND is twilio but {' and '.join(missing)} is not set; set "
            + " and ".join(f"TIMEBANK_{k}" for k in missing)
            + " in the environment, or choose SMS_BACKEND console."
        )
    base = str(config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return TwilioBackend(
        config["TWILIO_ACCOUNT_SID"],
        config["TWILIO_AUTH_TOKEN"],
        None,
        status_callback=f"{base}/sms/status" if base else None,
        timeout=float(config.get("SMS_SEND_TIMEOUT_SECONDS", 10.0)),
        base_url=config.get("TWILIO_API_BASE_URL") or None,
    )


BACKENDS: dict[str, Callable[[Mapping[str, Any]], SmsBackend]] = {
    "console": lambda config: ConsoleBackend(config.get("ENV_NAME") == "production"),
    "fake": lambda config: FakeBackend(),
    "twilio": _twilio,
}


def make_backend(name: str, config: Mapping[str, Any] | None = None) -> SmsBackend:
    """Build the backend called `name` from the app's settings, or say what is wrong."""
    try:
        build = BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"SMS_BACKEND {name!r} is not known; choose one of {known}.") from None
    return build(config or {})
