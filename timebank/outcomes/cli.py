"""`flask outcomes ask`: queue the outcome questions that are due, bank by bank."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.outcomes.asking import ask_due
from timebank.tenancy.models import TimeBank

outcomes_cli = AppGroup("outcomes", help="Members' own answers on loneliness and wellbeing.")


@outcomes_cli.command("ask")
@click.option("--bank", "slug", default=None, help="Only this time bank (its slug).")
@click.option("--dry-run", is_flag=True, help="Count what would be queued; queue nothing.")
def ask_command(slug: str | None, dry_run: bool) -> None:
    """Queue the consent question and each period's questions that are due (9:00 to 20:00)."""
    session = db.session()
    query = sa.select(TimeBank.id, TimeBank.slug).order_by(TimeBank.id)
    banks = session.execute(query if slug is None else query.where(TimeBank.slug == slug)).all()
    if not banks and slug is not None:
        raise click.ClickException(f"There is no time bank called {slug}.")
    for bank_id, bank_slug in banks:

        def progress(done: int, name: str = bank_slug) -> None:
            if done:
                click.echo(f"{name}: {done} members looked at...", err=True)

        try:
            summary = ask_due(session, bank_id, dry_run=dry_run, progress=progress)
        except TimeBankError as error:
            raise click.ClickException(f"{bank_slug}: {error.message}") from None
        prefix = "would have " if dry_run and not summary.quiet_hours else ""
        click.echo(f"{bank_slug}: {prefix}{summary.words()}.")
