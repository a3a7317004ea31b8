"""`flask referrals ...`: the follow-up and the purge, for the scheduler or cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from timebank.extensions import db

referrals_cli = AppGroup("referrals", help="Follow up and purge GP referrals.")


@referrals_cli.command("follow-up")
def follow_up_command() -> None:
    """Mark unanswered invitations and tell practices of first exchanges (every bank)."""
    from timebank.referrals.services import follow_up_referrals

    counts = follow_up_referrals(db.session())
    click.echo(
        f"{counts.no_reply} invitations had no reply in time; "
        f"{counts.first_exchange} practices told of a first exchange."
    )


@referrals_cli.command("purge")
def purge_command() -> None:
    """Delete referrals that never led to a member once past their bank's retention days."""
    from timebank.referrals.services import purge_unconverted

    purged = purge_unconverted(db.session())
    click.echo(f"Deleted {purged} referrals that did not lead to a member, with their steps.")
