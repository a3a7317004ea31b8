"""`flask reports ...`: keep the summaries reports read."""

from __future__ import annotations

import time
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from timebank.extensions import db

reports_cli = AppGroup("reports", help="Reports and the summaries they read.")


def _banks(slug: str | None, every_bank: bool) -> list[sa.Row[Any]]:
    from timebank.tenancy.models import TimeBank

    if (slug is None) == (not every_bank):
        raise click.UsageError("Give one time bank's SLUG, or --all.")
    query = sa.select(TimeBank.id, TimeBank.slug).order_by(TimeBank.id)
    banks = db.session.execute(query if every_bank else query.where(TimeBank.slug == slug)).all()
    if not banks and not every_bank:
        raise click.ClickException(f"There is no time bank called {slug}.")
    return list(banks)


@reports_cli.command("update")
@click.argument("slug", required=False)
@click.option("--all", "every_bank", is_flag=True, help="Every time bank.")
def update_command(slug: str | None, every_bank: bool) -> None:
    """Bring the report summaries of SLUG (or every bank) up to date with new transfers.

    Only what the transfers written since the last time touch is worked out again; a bank
    whose summaries were never built gets them built. Every report does this too.
    """
    from timebank.reports.summaries import bring_up_to_date

    banks = _banks(slug, every_bank)
    session = db.session()
    started = time.perf_counter()
    for bank_id, bank_slug in banks:
        found = bring_up_to_date(session, bank_id)
        if found is None:
            click.echo(f"{bank_slug}: transfers were still being written; will try next time.")
            continue
        click.echo(f"{bank_slug}: up to date in {found.seconds:.2f} s.")
    count = len(banks)
    took = time.perf_counter() - started
    click.echo(f"{count} time bank{'' if count == 1 else 's'} in {took:.1f} s.")


@reports_cli.command("refresh")
@click.argument("slug", required=False)
@click.option("--all", "every_bank", is_flag=True, help="Every time bank.")
def refresh_command(slug: str | None, every_bank: bool) -> None:
    """Rebuild the report summaries of time bank SLUG (or every bank) from the whole ledger."""
    from timebank.reports.summaries import refresh_summaries

    banks = _banks(slug, every_bank)
    session = db.session()
    started = time.perf_counter()
    for number, (bank_id, bank_slug) in enumerate(banks, start=1):
        click.echo(f"{bank_slug}: rebuilding report summaries ({number} of {len(banks)}) ...")
        found = refresh_summaries(session, bank_id)
        latest = found.latest_day.isoformat() if found.latest_day else "no exchanges yet"
        click.echo(f"{bank_slug}: done in {found.seconds:.1f} s (latest exchange: {latest}).")
    count = len(banks)
    took = time.perf_counter() - started
    click.echo(f"{count} time bank{'' if count == 1 else 's'} in {took:.1f} s.")
