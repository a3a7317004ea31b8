"""The mobile web pages: one blueprint per area, sharing a layout, forms and access rules."""

from __future__ import annotations

from flask import Flask

from timebank.minutes import format_clock, format_duration


def register_web(app: Flask) -> None:
    """Attach the web blueprints and the sign-in, security and SMS hooks they rely on."""
    from timebank.sms import webhooks
    from timebank.web import (
        admin,
        auth,
        broker,
        dev,
        exchanges,
        home,
        long_urls,
        offers,
        profile,
        public,
        referrals,
        security,
    )

    security.init_app(app)
    long_urls.init_app(app)
    auth.init_app(app)
    for module in (public, auth, home, exchanges, offers, profile, broker, admin, referrals):
        app.register_blueprint(module.bp)
    from timebank.web import broker_requests

    app.register_blueprint(broker_requests.bp)
    from timebank.web import broker_members, broker_pot, skills_admin

    for module in (broker_members, broker_pot, skills_admin):
        app.register_blueprint(module.bp)
    from timebank.web import outcomes, outreach

    app.register_blueprint(outreach.bp)
    app.register_blueprint(outcomes.bp)
    from timebank.web import reports

    reports.init_app(app)
    from timebank.api import docs_page
    from timebank.web import api_tokens

    for module in (api_tokens, docs_page):
        app.register_blueprint(module.bp)
    webhooks.init_app(app)
    if app.config.get("SHOW_DEV_SMS_PAGE"):
        app.register_blueprint(dev.bp)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_layout_values)
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _layout_values() -> dict[str, object]:
    """Give every page the signed-in member's time bank name for the header."""
    from flask_login import current_user

    from timebank.extensions import db
    from timebank.tenancy.models import TimeBank

    if not current_user.is_authenticated:
        return {"bank_name": None}
    bank = db.session.get(TimeBank, current_user.bank_id)
    return {"bank_name": bank.name if bank else None}
