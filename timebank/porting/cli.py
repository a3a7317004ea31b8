"""`flask bank import`, `invite-imported` and `export`: moving a whole time bank in and out."""

from __future__ import annotations

import os
import sys

import click

from timebank.clock import utcnow
from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.membership.cli import public_url
from timebank.porting.export import export_bank
from timebank.porting.invitations import (
    DEFAULT_PER_HOUR,
    MOST_PER_HOUR,
    InvitationRun,
    admin_for_command,
    invite_imported_members,
)
from timebank.porting.reading import check_size
from timebank.porting.services import ImportOutcome, import_files


@click.command("import")
@click.argument("slug")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--commit", is_flag=True, help="Write everything (all or nothing) after checking.")
@click.option("--quiet", is_flag=True, help="Show only the totals and the problems, not each row.")
def import_command(slug: str, files: tuple[str, ...], commit: bool, quiet: bool) -> None:
    """Import members, listings, exchanges and balances from CSV files into bank SLUG.

    Without --commit, a dry run: shows what it would create, row by row, and writes nothing.
    """
    try:
        loaded = [(os.path.basename(path), _read(path)) for path in files]
        outcome = import_files(db.session(), slug, loaded, commit=commit,
                               progress=lambda words: click.echo(words, err=True))  # fmt: skip
    except TimeBankError as exc:
        raise click.ClickException(exc.message) from exc
    _show(outcome, quiet)
    if outcome.problems:
        sys.exit(1)


def _read(path: str) -> bytes:
    check_size(os.path.basename(path), os.path.getsize(path))
    with open(path, "rb") as handle:
        return handle.read()


def _show(outcome: ImportOutcome, quiet: bool) -> None:
    if not quiet:
        for line in outcome.lines:
            click.echo(line)
    for kind, count in sorted(outcome.already.items()):
        click.echo(f"Left as they are: {count} {kind} row(s) imported before.")
    totals = ", ".join(f"{count} {kind}" for kind, count in outcome.counts.items())
    if outcome.problems:
        for problem in outcome.problems:
            click.echo(f"Problem: {problem}", err=True)
        click.echo(f"Nothing was written: {len(outcome.problems)} problem(s) to put right first.",
                   err=True)  # fmt: skip
    elif outcome.committed:
        click.echo(f"Imported {totals}.")
    else:
        click.echo(f"Dry run: would import {totals}. Nothing was written; "
                   "run again with --commit to import.")  # fmt: skip


@click.command("export")
@click.argument("slug")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Where to write the zip (default: SLUG-export.zip).")  # fmt: skip
def export_command(slug: str, output: str | None) -> None:
    """Export bank SLUG as a zip of the CSV files `flask bank import` reads, with a README."""
    try:
        data = export_bank(db.session(), slug)
    except TimeBankError as exc:
        raise click.ClickException(exc.message) from exc
    path = output or f"{slug}-export.zip"
    with open(path, "wb") as handle:
        handle.write(data)
    click.echo(f"Wrote {path} ({len(data)} bytes).")


@click.command("invite-imported")
@click.argument("slug")
@click.option("--per-hour", type=int, default=DEFAULT_PER_HOUR, show_default=True,
              help=f"The most invitations to text in an hour (1 to {MOST_PER_HOUR}).")  # fmt: skip
@click.option("--admin", "admin_mobile", help="Act as the admin with this mobile number "
              "(default: the bank's first active admin).")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Say how many would be invited, and write nothing.")
def invite_imported_command(
    slug: str, per_hour: int, admin_mobile: str | None, dry_run: bool
) -> None:
    """Text each imported member who has never signed in an invitation to sign in, once.

    The texts wait in the outbox and go PER_HOUR an hour at most, from 9:00 to 20:00 in the
    bank's time zone. Running it again invites only members not invited before.
    """
    session = db.session()
    try:
        bank_id, admin_id = admin_for_command(session, slug, admin_mobile)
        run = invite_imported_members(session, bank_id, admin_id, per_hour, utcnow(),
                                      public_url("auth.request_code"), dry_run=dry_run)  # fmt: skip
    except TimeBankError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(invitation_words(run))


def invitation_words(run: InvitationRun) -> str:
    """Describe what a run queued, or would queue, in one line."""
    if not run.queued:
        return "Nobody to invite: every imported member who can be texted was invited before."
    when = run.last_at.strftime("%Y-%m-%d %H:%M UTC") if run.last_at else ""
    if run.dry_run:
        return (f"Dry run: would invite {run.queued} member(s), {run.per_hour} an hour at most;"
                f" the last text would go at {when}. Nothing was written.")  # fmt: skip
    return (f"Queued {run.queued} invitation(s), {run.per_hour} an hour at most;"
            f" the last goes at {when}.")  # fmt: skip
