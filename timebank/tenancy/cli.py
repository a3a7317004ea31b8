"""`flask bank ...`: create and list time banks."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from timebank.errors import TimeBankError
from timebank.extensions import db

bank_cli = AppGroup("bank", help="Create and list time banks.")


@bank_cli.command("create")
@click.argument("slug")
@click.argument("name")
@click.option(
    "--overdraft-hours",
    type=int,
    default=10,
    show_default=True,
    help="How many hours a member may owe.",
)
@click.option(
    "--largest-exchange-hours",
    type=int,
    default=12,
    show_default=True,
    help="The most hours one exchange may record.",
)
@click.option(
    "--confirm-days",
    type=int,
    default=14,
    show_default=True,
    help="Days an exchange waits for confirmation.",
)
@click.option(
    "--on-expiry",
    type=click.Choice(["confirm", "escalate"]),
    default="confirm",
    show_default=True,
    help="What happens to an exchange nobody confirmed in time.",
)
def create_command(
    slug: str,
    name: str,
    overdraft_hours: int,
    largest_exchange_hours: int,
    confirm_days: int,
    on_expiry: str,
) -> None:
    """Create a time bank called NAME with the short name SLUG."""
    from timebank.tenancy.services import create_time_bank

    try:
        bank = create_time_bank(
            db.session(),
            name,
            slug,
            overdraft_minutes=-60 * overdraft_hours,
            max_exchange_minutes=60 * largest_exchange_hours,
            confirm_days=confirm_days,
            on_expiry=on_expiry,
        )
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created time bank {bank.slug} (id {bank.id}).")


@bank_cli.command("list")
def list_command() -> None:
    """List the time banks on this install."""
    from timebank.tenancy.models import TimeBank

    banks = db.session.scalars(sa.select(TimeBank).order_by(TimeBank.id)).all()
    if not banks:
        click.echo("No time banks yet. Create one with `flask bank create SLUG NAME`.")
    for bank in banks:
        click.echo(f"{bank.id:>4}  {bank.slug:<24} {bank.name}")
