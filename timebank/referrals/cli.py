"""`flask referrals ...`: the follow-up and the purge, for the scheduler or cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from timebank.extensions import db
from timebank.referrals.services import follow_up_referrals, purge_unconverted


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


referrals_cli = AppGroup("referrals", help="Follow up and purge GP referrals.")


@referrals_cli.command("follow-up")
def follow_up_command() -> None:
    """Mark unanswered invitations and tell practices of first exchanges (every bank)."""
    counts = follow_up_referrals(db.session())
    unanswered = _count(counts.no_reply, "invitation", "invitations")
    first = _count(counts.first_exchange, "first exchange", "first exchanges")
    click.echo(f"No reply in time: {unanswered}. Practices told of {first}.")


@referrals_cli.command("purge")
def purge_command() -> None:
    """Purge referrals past their bank's retention days without a member, or of erased members."""
    purged = purge_unconverted(db.session())
    counted = _count(purged, "referral", "referrals")
    click.echo(
        f"Purged {counted} (no member after the retention days, or the member's details"
        " erased): the person's details, the texts about them and the notes on their steps"
        " are deleted; their dates stay for reports."
    )
