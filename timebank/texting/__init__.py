"""Texts coming in: Twilio's webhooks, and the commands members and GP practices text.

An edge like `web` and `api`: it reads a text, calls one service of the packages below
(ledger, broker, referrals, outcomes) and answers through the SMS outbox. Nothing below
imports it.
"""

from __future__ import annotations

from flask import Flask

from timebank.texting import dev_page, webhooks


def register_texting(app: Flask) -> None:
    """Attach Twilio's webhooks and, in development only, the page that simulates a phone."""
    webhooks.init_app(app)
    if app.config.get("SHOW_DEV_SMS_PAGE"):
        app.register_blueprint(dev_page.bp)
