"""`flask platform operator ...`: the people who run the whole install."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.operators.access import add_operator, list_operators, remove_operator

platform_cli = AppGroup("platform", help="The install as a whole: its operators.")
operator_cli = AppGroup("operator", help="Add, list and remove the install's operators.")
platform_cli.add_command(operator_cli)


@operator_cli.command("add")
@click.argument("name")
@click.argument("email")
@click.password_option(help="Asked for when not given, twice, without showing it.")
def add_command(name: str, email: str, password: str) -> None:
    """Add an operator called NAME, who signs in at /platform with EMAIL and a password."""
    try:
        operator = add_operator(db.session(), name, email, password)
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Added operator {operator.name} ({operator.email}). They sign in at /platform.")


@operator_cli.command("list")
def list_command() -> None:
    """List the operators who can sign in."""
    operators = list_operators(db.session())
    if not operators:
        click.echo("No operators yet. Add one with `flask platform operator add NAME EMAIL`.")
    for operator in operators:
        click.echo(f"{operator.id:>4}  {operator.email:<40} {operator.name}")


@operator_cli.command("remove")
@click.argument("email")
def remove_command(email: str) -> None:
    """Stop an operator signing in, and sign them out everywhere."""
    try:
        operator = remove_operator(db.session(), email)
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Removed operator {operator.name} ({operator.email}).")
