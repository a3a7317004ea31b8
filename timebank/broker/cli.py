"""`flask broker ...`: the broker's worklists from the command line."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from timebank.errors import TimeBankError
from timebank.extensions import db

broker_cli = AppGroup("broker", help="The broker's worklists.")


@broker_cli.command("dormant")
@click.argument("slug")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Scan as of this day (YYYY-MM-DD; default: today in the time bank).",
)
def dormant_command(slug: str, today: dt.datetime | None) -> None:
    """List the members of time bank SLUG who need outreach, the longest-waiting first."""
    from timebank.broker.scan import dormant_worklist

    try:
        lines = dormant_worklist(db.session(), slug, today.date() if today else None)
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    for line in lines:
        click.echo(f"{line.name}: {line.flag.rule}: {line.flag.reason}")
    count = len(lines)
    click.echo(f"{count} flag{'' if count == 1 else 's'}.")
