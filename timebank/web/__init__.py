"""The mobile web pages: one blueprint per area, sharing a layout, forms and access rules."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from timebank.extensions import db
from timebank.minutes import format_clock, format_duration
from timebank.tenancy.models import TimeBank
from timebank.web import (
    admin,
    api_tokens,
    auth,
    bank_moves,
    bank_settings,
    broker,
    broker_members,
    broker_pot,
    broker_requests,
    exchange_blueprint,
    exchanges,
    group_log,
    home,
    long_urls,
    offers,
    operators,
    organisations,
    outcomes,
    outreach,
    profile,
    public,
    referrals,
    reports,
    security,
    skills_admin,
)

# The modules whose pages are on the log-hours blueprint (`timebank.web.exchange_blueprint`):
# importing them adds their routes to it.
LOG_HOURS_PAGES = (exchanges, group_log)


def register_web(app: Flask) -> None:
    """Attach the web blueprints and the sign-in and security hooks they rely on."""
    security.init_app(app)
    long_urls.init_app(app)
    bank_moves.init_app(app)
    auth.init_app(app)
    for module in (
        public,
        auth,
        home,
        exchange_blueprint,
        offers,
        profile,
        broker,
        admin,
        bank_moves,
        referrals,
        broker_requests,
        broker_members,
        broker_pot,
        skills_admin,
        outreach,
        outcomes,
        operators,
        bank_settings,
        organisations,
    ):
        app.register_blueprint(module.bp)
    reports.init_app(app)
    app.register_blueprint(api_tokens.bp)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_layout_values)
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.filters["clock"] = format_clock
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _layout_values() -> dict[str, object]:
    """Give every page the signed-in member's time bank name for the header."""
    if not current_user.is_authenticated:
        return {"bank_name": None}
    bank = db.session.get(TimeBank, current_user.bank_id)
    return {"bank_name": bank.name if bank else None}
