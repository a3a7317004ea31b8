"""`flask demo ...`: a demonstration time bank."""

from __future__ import annotations

import datetime as dt
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from timebank.demo.readback import demo_sign_ins, find_bank, summarise_bank
from timebank.demo.seed import seed_demo_bank
from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.ledger.verify import verify_ledger

demo_cli = AppGroup("demo", help="Demonstration data.")


@demo_cli.command("seed")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Add nothing if the demo time bank already exists (used by `make run`).",
)
@click.option(
    "--slug",
    default="demo",
    show_default=True,
    help="Short name of the demo time bank.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date the six months of history lead up to (YYYY-MM-DD; default: today). "
    "The same date always gives the same data.",
)
def seed_command(if_empty: bool, slug: str, today: dt.datetime | None) -> None:
    """Create a realistic demo time bank: members, a GP practice, six months of exchanges."""
    if current_app.config.get("ENV_NAME") == "production":
        # The demo password is public, and the demo bank has an admin and a broker.
        raise click.ClickException("The demo time bank is not for production installs.")
    session = db.session()
    bank = find_bank(session, slug)
    session.rollback()
    if bank is not None and not if_empty:
        raise click.ClickException(
            f"There is already a time bank called {slug}. Add --if-empty to keep it as it "
            "is, or choose another --slug."
        )
    if bank is not None:
        click.echo(f"The demo time bank {slug} is already there; nothing added.")
    else:
        try:
            bank = seed_demo_bank(
                session, today=today.date() if today else None, slug=slug, progress=click.echo
            )
        except TimeBankError as error:
            raise click.ClickException(error.message) from None
    _print_summary(bank.id)
    _print_sign_ins(bank.id)
    _verify()


def _print_summary(bank_id: int) -> None:
    summary = summarise_bank(db.session(), bank_id)
    statuses = ", ".join(
        f"{count} {status}s" if status == "applicant" and count != 1 else f"{count} {status}"
        for status, count in sorted(summary.members_by_status.items(), key=lambda kv: -kv[1])
    )
    click.echo("")
    click.echo(f"{summary.name} ({summary.slug})")
    click.echo(f"  Members:      {summary.members} ({statuses})")
    click.echo(f"  GP practice:  {', '.join(summary.gp_practices) or 'none'}")
    click.echo(
        f"  Exchanges:    {summary.exchanges} ({summary.group_exchanges} of them group "
        f"exchanges), {summary.waiting} waiting for confirmation"
    )
    click.echo(f"  Transfers:    {summary.transfers} in the ledger")


def _print_sign_ins(bank_id: int) -> None:
    sign_ins = demo_sign_ins(db.session(), bank_id)
    click.echo("")
    if not sign_ins:
        click.echo("No demo sign-ins in this time bank.")
        return
    click.echo("Demo sign-ins:")
    click.echo(f"  {'Name':<18} {'Mobile':<14} {'Role':<8} Password")
    for sign_in in sign_ins:
        click.echo(
            f"  {sign_in.name:<18} {sign_in.mobile:<14} {sign_in.role:<8} {sign_in.password}"
        )
    click.echo("")


def _verify() -> None:
    report = verify_ledger(db.session())
    for problem in report.problems[:20]:
        click.echo(f"  - {problem}", err=True)
    click.echo(report.summary())
    if not report.ok:
        sys.exit(1)
