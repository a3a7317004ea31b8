"""The API's rate limit: `API_RATE_LIMIT` per token and endpoint, with the X-RateLimit-* headers.

Flask-Limiter still counts the web pages' limits (sign-in, codes). For the API it worked out,
on every request, which of its limits, exemptions and scopes applied, which cost more CPU
than counting. This module counts the one limit every API endpoint has, in the same storage
with the same strategy (`limiter.limiter`) and under the same keys
(`LIMITER/<rate_limit_key>/<endpoint>/...`), so counts carry over and every process still
counts together in Redis. The answers are Flask-Limiter's: 429 over the limit, and on every
answer `X-RateLimit-Limit`, `-Remaining`, `-Reset` and `Retry-After`.

If the storage cannot be reached and `RATELIMIT_IN_MEMORY_FALLBACK_ENABLED` is set, requests
are counted in this process for a while, then the storage is tried again.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from flask import Config, Flask, Response, abort, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES, RateLimiter

from timebank.extensions import limiter

log = logging.getLogger("timebank.api")

# How long to count in memory after the storage failed, before trying it again.
RETRY_STORAGE_SECONDS = 30.0
# The API blueprints' names: Flask-Limiter leaves their requests to this module.
API_BLUEPRINTS: set[str] = set()


@functools.lru_cache(maxsize=8)
def _limits(text: str) -> tuple[RateLimitItem, ...]:
    """Parse a limit such as '600 per minute' once, not on every request."""
    return tuple(sorted(parse_many(text)))


class _Fallback:
    """Counting in this process while the shared storage is unreachable."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.until = 0.0
        self.limiter: RateLimiter | None = None

    def active(self) -> bool:
        return self.until > time.monotonic()

    def start(self, strategy: str) -> RateLimiter:
        """Count in memory from now, for RETRY_STORAGE_SECONDS, with the app's strategy."""
        with self.lock:
            if self.limiter is None:
                self.limiter = STRATEGIES[strategy](MemoryStorage())
            self.until = time.monotonic() + RETRY_STORAGE_SECONDS
            return self.limiter


_filter_added = False


def init_app(app: Flask) -> None:
    """Leave API requests to this module: Flask-Limiter then skips them at once."""
    global _filter_added
    if not _filter_added:  # one limiter serves every app made in this process
        limiter.request_filter(_counted_here)
        _filter_added = True
    app.extensions["timebank_rate_limit_fallback"] = _Fallback()


def _counted_here() -> bool:
    return request.blueprint in API_BLUEPRINTS


def count_request(key: str) -> None:
    """Count this request against `key`'s limit for its endpoint; answer 429 when over.

    As Flask-Limiter does: the limits from shortest to longest window, stopping at the
    first one breached, whose figures then go in the headers (else the first limit's).
    """
    if not limiter.enabled:
        return
    config = current_app.config
    items = _limits(config["API_RATE_LIMIT"])
    ids = (key, request.endpoint or "")
    for item in items:
        if not _use_storage(config, "hit", item, ids):
            g.rate_limit = (item, ids)
            log.info("ratelimit %s (%s) exceeded at endpoint: %s", item, *ids)
            abort(429)
    if items:
        g.rate_limit = (items[0], ids)


def _use_storage(config: Config, method: str, item: RateLimitItem, ids: tuple[str, str]) -> Any:
    """Call the strategy's `method`: on the shared storage, or in memory while it is down."""
    fallback = current_app.extensions["timebank_rate_limit_fallback"]
    if not fallback.active():
        try:
            return getattr(limiter.limiter, method)(item, *ids)
        except Exception:
            if not config.get("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"):
                raise
            log.warning("Rate limit storage unreachable - counting in this process for a while")
            fallback.start(config.get("RATELIMIT_STRATEGY", "fixed-window"))
    return getattr(fallback.limiter, method)(item, *ids)


def add_headers(response: Response) -> Response:
    """Tell the client its limit, what is left of it and when it resets (Flask-Limiter's way)."""
    counted = g.get("rate_limit")
    config = current_app.config
    if counted is None or not config.get("RATELIMIT_HEADERS_ENABLED", True):
        return response
    item, ids = counted
    window = _use_storage(config, "get_window_stats", item, ids)
    reset_at = int(window.reset_time + 1)
    headers = response.headers
    headers.add("X-RateLimit-Limit", str(item.amount))
    headers.add("X-RateLimit-Remaining", str(window.remaining))
    headers.add("X-RateLimit-Reset", str(reset_at))
    headers.set("Retry-After", str(int(reset_at - time.time())))
    return response
