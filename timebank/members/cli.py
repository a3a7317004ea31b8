"""`flask sessions purge`: delete the records of sessions that ended long ago."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from timebank.extensions import db

sessions_cli = AppGroup("sessions", help="Signed-in web sessions.")


@sessions_cli.command("purge")
def purge_command() -> None:
    """Delete sessions that ended, or ran out, more than 30 days ago."""
    from timebank.members.sessions import purge_sessions

    lifetime = dt.timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    deleted = purge_sessions(db.session(), lifetime)
    click.echo(
        f"Deleted {deleted} {'session' if deleted == 1 else 'sessions'} ended over 30 days ago."
    )
