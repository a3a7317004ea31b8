"""`flask bank ...`: create and list time banks, and set their SMS number."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app, url_for
from flask.cli import AppGroup

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.membership.banks import InvitationPlan, StartedBank, invite_admin, start_time_bank
from timebank.phones import country_name, format_national
from timebank.tenancy.models import TimeBank
from timebank.tenancy.services import set_sms_settings

bank_cli = AppGroup("bank", help="Create and list time banks, and set their SMS settings.")


@bank_cli.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--admin-name", required=True, help="The full name of the bank's first admin.")
@click.option(
    "--admin-mobile", required=True, help="The first admin's mobile number, e.g. 07400 000001."
)
@click.option(
    "--sms-number", help="The mobile number members and practices text (see `flask bank sms`)."
)
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
    "--exchange-past-days",
    type=click.IntRange(1, 3660),
    default=90,
    show_default=True,
    help="How many days back members may date an exchange (brokers further, with a reason).",
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
    admin_name: str,
    admin_mobile: str,
    sms_number: str | None,
    overdraft_hours: int,
    largest_exchange_hours: int,
    confirm_days: int,
    exchange_past_days: int,
    on_expiry: str,
) -> None:
    """Create a time bank called NAME with the short name SLUG, and invite its first admin."""
    try:
        started = start_time_bank(
            db.session(),
            name,
            slug,
            admin_name,
            admin_mobile,
            invitation_plan(),
            "flask bank create",
            overdraft_minutes=-60 * overdraft_hours,
            max_exchange_minutes=60 * largest_exchange_hours,
            confirm_days=confirm_days,
            exchange_past_days=exchange_past_days,
            on_expiry=on_expiry,
            sms_number=sms_number,
        )
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created time bank {started.bank.slug} (id {started.bank.id}).")
    _say_how_admin_gets_in(started)


@bank_cli.command("invite")
@click.argument("slug")
@click.option("--mobile", help="Which admin, by mobile number; the first admin if not given.")
def invite_command(slug: str, mobile: str | None) -> None:
    """Give a time bank's admin a new one-time sign-in code or link."""
    try:
        started = invite_admin(db.session(), slug, invitation_plan(), "flask bank invite", mobile)
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    _say_how_admin_gets_in(started)


def public_url(endpoint: str, **values: str) -> str:
    """Return the full public address of a page, as people outside reach it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def invitation_plan() -> InvitationPlan:
    """Return how this install lets a new admin in: by text, or by a printed link."""
    return InvitationPlan.from_config(
        current_app.config, lambda token: public_url("auth.code_from_text", token=token)
    )


def _say_how_admin_gets_in(started: StartedBank) -> None:
    admin, hours = started.admin, current_app.config["INVITATION_HOURS"]
    mobile = format_national(admin.mobile_e164) if admin.mobile_e164 else ""
    key = started.invitation.link_key
    if key is None:
        click.echo(f"Texted {admin.display_name} ({mobile}) a one-time sign-in code.")
        return
    click.echo(
        f"Texts are not set up for this time bank, so nothing was sent. Give {admin.display_name}"
        f" ({mobile}) this sign-in link. It works once, within {hours} hours:"
    )
    click.echo(public_url("auth.sign_in_link", key=key))


@bank_cli.command("list")
def list_command() -> None:
    """List the time banks on this install."""
    banks = db.session.scalars(sa.select(TimeBank).order_by(TimeBank.id)).all()
    if not banks:
        click.echo(
            "No time banks yet. Create one with"
            " `flask bank create SLUG NAME --admin-name NAME --admin-mobile NUMBER`."
        )
    for bank in banks:
        click.echo(f"{bank.id:>4}  {bank.slug:<24} {bank.name}")


@bank_cli.command("sms")
@click.argument("slug")
@click.option("--number", help="The mobile number members and practices text, e.g. 07400 000000.")
@click.option(
    "--sender",
    help="What texts come from: a number, or a Twilio Messaging Service SID (MG...)."
    " Empty means the number above.",
)
@click.option("--reply-days", type=int, help="Days to wait for a referred patient's YES or NO.")
@click.option(
    "--retention-days", type=int, help="Days to keep referrals that never led to a member."
)
@click.option(
    "--mobile-countries",
    help="Whose mobiles members may have and referrals may give: country codes, e.g. GB or GB,IE.",
)
def sms_command(
    slug: str,
    number: str | None,
    sender: str | None,
    reply_days: int | None,
    retention_days: int | None,
    mobile_countries: str | None,
) -> None:
    """Show or change a time bank's SMS number, sender, referral days and mobile countries."""
    try:
        bank = set_sms_settings(
            db.session(), slug, number, sender, reply_days, retention_days, mobile_countries
        )
    except TimeBankError as error:
        raise click.ClickException(error.message) from None
    regions = bank.allowed_mobile_regions
    click.echo(f"{bank.name} ({bank.slug})")
    click.echo(f"  texted at:        {bank.sms_number or 'not set'}")
    click.echo(f"  texts come from:  {bank.sms_sender or bank.sms_number or 'not set'}")
    click.echo(f"  reply days:       {bank.referral_reply_days}")
    click.echo(f"  retention days:   {bank.referral_retention_days}")
    names = ", ".join(country_name(code) for code in regions)
    click.echo(f"  mobile countries: {names} ({','.join(regions)})")
