"""`flask sessions purge`: delete the records of sessions that ended, and codes that expired."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from timebank.extensions import db
from timebank.members.sessions import purge_expired_codes, purge_sessions

sessions_cli = AppGroup("sessions", help="Signed-in web sessions.")


@sessions_cli.command("purge")
def purge_command() -> None:
    """Delete sessions that ended over 30 days ago, and codes that expired over a day ago."""
    lifetime = dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    deleted = purge_sessions(db.session(), lifetime)
    click.echo(
        f"Deleted {deleted} {'session' if deleted == 1 else 'sessions'} ended over 30 days ago."
    )
    codes = purge_expired_codes(db.session())
    click.echo(
        f"Deleted {_count(codes.sign_in, 'sign-in code')} and"
        f" {_count(codes.mobile_change, 'mobile change')} expired over a day ago."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
