"""`flask reports ...`: keep the summaries reports read."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from timebank.extensions import db

reports_cli = AppGroup("reports", help="Reports and the summaries they read.")


@reports_cli.command("refresh")
@click.argument("slug", required=False)
@click.option("--all", "every_bank", is_flag=True, help="Every time bank.")
def refresh_command(slug: str | None, every_bank: bool) -> None:
    """Rebuild the report summaries of time bank SLUG (or of every bank with --all)."""
    from timebank.reports.summaries import refresh_summaries
    from timebank.tenancy.models import TimeBank

    if (slug is None) == (not every_bank):
        raise click.UsageError("Give one time bank's SLUG, or --all.")
    session = db.session()
    query = sa.select(TimeBank.id, TimeBank.slug).order_by(TimeBank.id)
    banks = session.execute(query if every_bank else query.where(TimeBank.slug == slug)).all()
    if not banks and not every_bank:
        raise click.ClickException(f"There is no time bank called {slug}.")
    started = time.perf_counter()
    for number, (bank_id, bank_slug) in enumerate(banks, start=1):
        click.echo(f"{bank_slug}: rebuilding report summaries ({number} of {len(banks)}) ...")
        found = refresh_summaries(session, bank_id)
        latest = found.latest_day.isoformat() if found.latest_day else "no exchanges yet"
        click.echo(f"{bank_slug}: done in {found.seconds:.1f} s (latest exchange: {latest}).")
    count = len(banks)
    took = time.perf_counter() - started
    click.echo(f"{count} time bank{'' if count == 1 else 's'} in {took:.1f} s.")
