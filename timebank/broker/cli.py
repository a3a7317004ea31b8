"""`flask broker ...`: the broker's worklists from the command line."""

from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup

from timebank.broker.exchange_links import link_logged_exchanges
from timebank.broker.outreach import refresh_flags
from timebank.broker.scan import dormant_worklist
from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

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
    try:
        lines = dormant_worklist(db.session(), slug, today.date() if today else None)
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    for line in lines:
        click.echo(f"{line.name}: {line.flag.rule}: {line.flag.reason}")
    count = len(lines)
    click.echo(f"{count} flag{'' if count == 1 else 's'}.")


@broker_cli.command("scan")
@click.argument("slug", required=False)
@click.option("--all", "every_bank", is_flag=True, help="Scan every time bank.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Scan as of this day (YYYY-MM-DD; default: today in each time bank).",
)
def scan_command(slug: str | None, every_bank: bool, today: dt.datetime | None) -> None:
    """Refresh the outreach flags of time bank SLUG (or of every bank with --all)."""
    import sqlalchemy as sa

    if (slug is None) == (not every_bank):
        raise click.UsageError("Give one time bank's SLUG, or --all.")
    session = db.session()
    query = sa.select(TimeBank.id, TimeBank.slug, TimeBank.timezone).order_by(TimeBank.id)
    banks = session.execute(query if every_bank else query.where(TimeBank.slug == slug)).all()
    if not banks and not every_bank:
        raise click.ClickException(f"There is no time bank called {slug}.")
    for bank_id, bank_slug, timezone in banks:
        day = today.date() if today else today_in_zone(timezone)
        try:
            summary = refresh_flags(session, bank_id, day)
        except TimeBankError as error:
            raise click.ClickException(f"{bank_slug}: {error.message}") from None
        click.echo(f"{bank_slug}: {summary.words()}.")


@broker_cli.command("link-exchanges")
@click.argument("slug", required=False)
@click.option("--all", "every_bank", is_flag=True, help="Every time bank.")
def link_exchanges_command(slug: str | None, every_bank: bool) -> None:
    """Link matches to the exchange their helper then logged, in SLUG (or with --all).

    A match is linked when its helper has logged exactly one exchange for the requester
    since they were asked; anything less clear is left for a broker to link by hand.
    """
    import sqlalchemy as sa

    if (slug is None) == (not every_bank):
        raise click.UsageError("Give one time bank's SLUG, or --all.")
    session = db.session()
    query = sa.select(TimeBank.id, TimeBank.slug).order_by(TimeBank.id)
    banks = session.execute(query if every_bank else query.where(TimeBank.slug == slug)).all()
    if not banks and not every_bank:
        raise click.ClickException(f"There is no time bank called {slug}.")
    for bank_id, bank_slug in banks:
        linked = link_logged_exchanges(session, bank_id)
        click.echo(f"{bank_slug}: linked {linked} exchange{'' if linked == 1 else 's'}.")
