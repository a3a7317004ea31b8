"""What every way of sending a text offers (`SmsBackend`) and answers (`SentText`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SentText:
    """A text a backend accepted: where it went, what it said, the provider's id for it."""

    to: str
    body: str
    provider_sid: str
    sender: str | None = None
    sent_at: dt.datetime | None = None


class SmsBackend(Protocol):
    def send(self, to: str, body: str, sender: str | None = None) -> SentText:
        """Send one text and return the provider's record of it."""
        ...

    def find_sent(self, to: str, body: str, since: dt.datetime) -> str | None:
        """Return the provider's id of this text if it was created since `since`."""
        ...
