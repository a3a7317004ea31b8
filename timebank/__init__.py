"""The time bank ledger service: `create_app` builds the Flask application."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask

from config import load_settings


def create_app(env: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app for `env` (development, testing, production) with optional overrides."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="web/templates",
        static_folder="web/static",
    )
    settings = load_settings(env, overrides)
    app.config.update(settings)
    register_proxy_fix(app)
    register_database(app)
    register_blueprints(app)
    register_commands(app)
    logging.basicConfig(level=app.config.get("LOG_LEVEL", "INFO"))
    return app


def register_proxy_fix(app: Flask) -> None:
    """Behind TRUSTED_PROXY_COUNT reverse proxies, see the visitor's address and scheme."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    count = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if count:
        # Only the last `count` addresses in X-Forwarded-For were written by our proxies;
        # any before them came from the visitor and could be forged.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def register_database(app: Flask) -> None:
    """Bind SQLAlchemy and Alembic, and give SQLite the ledger's settings."""
    from timebank import models  # noqa: F401  (every model is known to the metadata)
    from timebank.db import configure_engine, database_url
    from timebank.extensions import db, migrate

    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config, app.instance_path)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def register_blueprints(app: Flask) -> None:
    """Attach the health check, the web pages (with their sign-in and security hooks), the
    API and the SMS webhooks."""
    from timebank.api import init_api
    from timebank.health import bp as health_bp
    from timebank.texting import register_texting
    from timebank.web import register_web

    app.register_blueprint(health_bp)
    register_web(app)
    init_api(app)
    register_texting(app)


def register_commands(app: Flask) -> None:
    """Add the project's `flask` commands."""
    from timebank.api.cli import api_cli
    from timebank.broker.cli import broker_cli
    from timebank.demo.cli import demo_cli
    from timebank.ledger.cli import ledger_cli
    from timebank.members.cli import sessions_cli
    from timebank.membership.cli import bank_cli
    from timebank.operators.cli import platform_cli
    from timebank.outcomes.cli import outcomes_cli
    from timebank.porting.cli import export_command, import_command, invite_imported_command
    from timebank.referrals.cli import referrals_cli
    from timebank.reports.cli import reports_cli
    from timebank.schedule import schedule_cli
    from timebank.sms.cli import sms_cli

    app.cli.add_command(ledger_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(referrals_cli)
    app.cli.add_command(bank_cli)
    app.cli.add_command(platform_cli)
    app.cli.add_command(schedule_cli)
    app.cli.add_command(sms_cli)
    app.cli.add_command(broker_cli)
    app.cli.add_command(api_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(sessions_cli)
    app.cli.add_command(outcomes_cli)
    bank_cli.add_command(import_command)
    bank_cli.add_command(export_command)
    bank_cli.add_command(invite_imported_command)
