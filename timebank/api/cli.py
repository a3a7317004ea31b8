"""`flask api token ...`: make, list and revoke personal API tokens from the command line.

For setting up an integration before anyone signs in to the web pages: a new token is
printed once, like on the web page, and only its digest is kept.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.members.models import ROLES, ApiToken
from timebank.membership.tokens import create_token, revoke_token
from timebank.tenancy.models import TimeBank

api_cli = AppGroup("api", help="Manage the JSON API's personal tokens.")
token_cli = AppGroup("token", help="Make, list and revoke API tokens.")
api_cli.add_command(token_cli)


def _bank(slug: str) -> TimeBank:
    bank = db.session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise click.ClickException(f"There is no time bank called {slug}.")
    return bank


@token_cli.command("create")
@click.argument("slug")
@click.argument("member_id", type=int)
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), help="At most theirs.")
@click.option("--partner", "partner_id", type=int, help="A GP practice's token (admins only).")
def create_command(
    slug: str, member_id: int, name: str, role: str | None, partner_id: int | None
) -> None:
    """Make a token for a member (or, with --partner, a practice) and print it once."""
    bank = _bank(slug)
    try:
        row, token = create_token(db.session(), bank.id, member_id, name, role, partner_id)
    except TimeBankError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Token {row.id} '{row.name}', role {row.role}. Copy it now; it is not shown again:")
    click.echo(token)


@token_cli.command("list")
@click.argument("slug")
def list_command(slug: str) -> None:
    """List the bank's tokens, newest first (never the tokens themselves)."""
    bank = _bank(slug)
    rows = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.bank_id == bank.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()
    for row in rows:
        partner = f" partner {row.partner_id}" if row.partner_id else ""
        used = row.last_used_at.strftime("%Y-%m-%d %H:%M") if row.last_used_at else "never"
        state = "revoked" if row.revoked_at else "active"
        click.echo(
            f"{row.id}\t{row.prefix}...\t{row.name}\tmember {row.member_id}{partner}\t"
            f"{row.role}\tlast used {used}\t{state}"
        )
    click.echo(f"{len(rows)} token{'' if len(rows) == 1 else 's'}.")


@token_cli.command("revoke")
@click.argument("slug")
@click.argument("token_id", type=int)
def revoke_command(slug: str, token_id: int) -> None:
    """Revoke any token of the bank: it stops working at once."""
    bank = _bank(slug)
    try:
        row = revoke_token(db.session(), bank.id, 0, token_id, by_admin=True)
    except TimeBankError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Token {row.id} '{row.name}' is revoked.")
