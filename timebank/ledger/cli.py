"""`flask ledger ...`: verify the ledger and expire unconfirmed exchanges."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from timebank.extensions import db
from timebank.ledger.resolutions import expire_pending
from timebank.ledger.verify import verify_ledger

ledger_cli = AppGroup("ledger", help="Check and maintain the hour ledger.")


@ledger_cli.command("verify")
@click.option("--max-problems", default=20, show_default=True, help="How many problems to list.")
def verify_command(max_problems: int) -> None:
    """Recompute every account from the transfer log; exit 1 on any mismatch."""
    report = verify_ledger(db.session())
    for problem in report.problems[:max_problems]:
        click.echo(f"  - {problem}", err=True)
    if len(report.problems) > max_problems:
        click.echo(f"  ... and {len(report.problems) - max_problems} more.", err=True)
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


@ledger_cli.command("expire")
def expire_command() -> None:
    """Confirm or escalate exchanges left unconfirmed past their bank's set days (for cron)."""
    report = expire_pending(db.session())
    click.echo(
        f"Confirmed {report.confirmed}, escalated {report.escalated} to a broker, "
        f"{report.failed} could not be confirmed (see `flask ledger verify`)."
    )
