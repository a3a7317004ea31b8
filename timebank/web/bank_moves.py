"""The admin's pages for moving the whole bank: upload files to import, download the export.

An upload is checked first (a dry run, shown row by row); the files wait in the instance
folder, under a random name kept in the admin's session, until the admin presses Import or
uploads others. Only admins of the bank get in, and only to their own bank.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from importlib import resources
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.utils import secure_filename
from wtforms import HiddenField, IntegerField

from timebank.clock import as_utc, utcnow
from timebank.extensions import db
from timebank.porting.export import export_bank
from timebank.porting.invitations import (
    DEFAULT_PER_HOUR,
    InvitationRun,
    invite_imported_members,
)
from timebank.porting.reading import MOST_BYTES
from timebank.porting.services import ImportOutcome, bank_slug_for_admin, import_by_admin
from timebank.porting.template import COLUMNS
from timebank.web.access import current_bank, role_required
from timebank.web.errors import flashed_errors, form_errors

bp = Blueprint("bank_moves", __name__)

MOST_FILES = 4
# Up to four files of just under 50 MB each, and the form around them.
MOST_UPLOAD = MOST_FILES * MOST_BYTES + 1024 * 1024
EXAMPLES = tuple(f"{kind}.csv" for kind in COLUMNS)
SHOWN_LINES = 500
STAGED_FOR_SECONDS = 24 * 60 * 60


class UploadForm(FlaskForm):
    """Only the CSRF token: the files come from the file input."""


class CommitForm(FlaskForm):
    staged = HiddenField()


class InviteForm(FlaskForm):
    per_hour = IntegerField("Texts an hour, at most", default=DEFAULT_PER_HOUR)


TOO_BIG = "The files are too big: each file must be under 50 MB, and four files at most."


def init_app(app: Flask) -> None:
    """Refuse a too-big upload before any hook reads the form (CSRF reads it first)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_big_upload)


def _refuse_big_upload() -> tuple[str, int] | None:
    if request.endpoint != "bank_moves.dry_run":
        return None
    # Werkzeug refuses to read more than this, even when the length is not sent first.
    request.max_content_length = MOST_UPLOAD
    if (request.content_length or 0) <= MOST_UPLOAD:
        return None
    page = render_template("errors/error.html", title="Files too big", message=TOO_BIG, status=413)
    return page, 413


@bp.get("/admin/import")
@role_required("admin")
def upload_page() -> str:
    return render_template("admin/import.html", form=UploadForm(), examples=EXAMPLES,
                           waiting=_invitations(DEFAULT_PER_HOUR, dry_run=True),
                           invite_form=InviteForm())  # fmt: skip


def _invitations(per_hour: int, dry_run: bool) -> InvitationRun:
    """Invite the imported members not invited yet (or, as a dry run, count them)."""
    sign_in_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("auth.request_code")
    return invite_imported_members(db.session(), current_user.bank_id, current_user.id, per_hour,
                                   utcnow(), sign_in_url, dry_run=dry_run)  # fmt: skip


@bp.post("/admin/import/invite")
@role_required("admin")
def invite_imported() -> ResponseReturnValue:
    form = InviteForm()
    if not form.validate_on_submit() or form.per_hour.data is None:
        flash("Enter how many texts may go in an hour, as a whole number.", "error")
        return redirect(url_for("bank_moves.upload_page"))
    with flashed_errors() as shown:
        run = _invitations(form.per_hour.data, dry_run=False)
    if shown.failed:
        return redirect(url_for("bank_moves.upload_page"))
    flash(_invited_words(run), "success")
    return redirect(url_for("bank_moves.upload_page"))


def _invited_words(run: InvitationRun) -> str:
    if not run.queued or run.last_at is None:
        return "Nobody to invite: every imported member who can be texted was invited before."
    local = as_utc(run.last_at).astimezone(ZoneInfo(current_bank().timezone))
    return (f"Queued {run.queued} invitation(s) to sign in, {run.per_hour} an hour at most. "
            f"The last goes at {local:%H:%M on %d %B}.")  # fmt: skip


@bp.post("/admin/import")
@role_required("admin")
def dry_run() -> str | tuple[str, int]:
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, examples=EXAMPLES), 400
    files = _uploaded()
    if not files:
        form.form_errors.append("Choose one or more CSV files to import.")
        return render_template("admin/import.html", form=form, examples=EXAMPLES), 400
    with form_errors(form) as shown:
        outcome = import_by_admin(db.session(), current_user.bank_id, current_user.id, files)
    if shown.failed:
        return render_template("admin/import.html", form=form, examples=EXAMPLES), 422
    staged = _stage(files) if outcome.ok else ""
    return _result_page(outcome, staged)


def _uploaded() -> list[tuple[str, bytes]]:
    found = []
    for upload in request.files.getlist("files")[:MOST_FILES]:
        if upload.filename:
            found.append((secure_filename(upload.filename) or "upload.csv", upload.read()))
    return found


def _result_page(outcome: ImportOutcome, staged: str) -> str:
    return render_template(
        "admin/import_dry_run.html",
        outcome=outcome,
        lines=outcome.lines[:SHOWN_LINES],
        hidden=max(0, len(outcome.lines) - SHOWN_LINES),
        form=CommitForm(staged=staged),
    )


def _staging_root() -> str:
    return os.path.join(current_app.instance_path, "imports")


def _stage(files: list[tuple[str, bytes]]) -> str:
    """Keep the checked files until the admin commits them; return their folder's name."""
    _discard_staged()
    _discard_stale()
    name = secrets.token_hex(16)
    folder = os.path.join(_staging_root(), name)
    os.makedirs(folder, mode=0o700)
    for position, (filename, data) in enumerate(files):
        with open(os.path.join(folder, f"{position}-{filename}"), "wb") as handle:
            handle.write(data)
    session["import_staged"] = {"name": name, "bank": current_user.bank_id, "by": current_user.id}
    return name


def _discard_staged() -> None:
    staged = session.pop("import_staged", None)
    if staged:
        shutil.rmtree(os.path.join(_staging_root(), staged["name"]), ignore_errors=True)


def _discard_stale() -> None:
    """Delete files checked more than a day ago that nobody imported (they hold members' data)."""
    root = _staging_root()
    if not os.path.isdir(root):
        return
    cutoff = time.time() - STAGED_FOR_SECONDS
    for entry in os.listdir(root):
        folder = os.path.join(root, entry)
        if os.path.getmtime(folder) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)


def _staged_files(name: str) -> list[tuple[str, bytes]] | None:
    staged = session.get("import_staged") or {}
    wanted = {"name": name, "bank": current_user.bank_id, "by": current_user.id}
    if not name or staged != wanted:
        return None
    # The name is the random one this admin's session was given, never what the form says.
    folder = os.path.join(_staging_root(), staged["name"])
    if not os.path.isdir(folder):
        return None
    files = []
    for entry in sorted(os.listdir(folder), key=lambda item: int(item.split("-", 1)[0])):
        with open(os.path.join(folder, entry), "rb") as handle:
            files.append((entry.split("-", 1)[1], handle.read()))
    return files


@bp.post("/admin/import/commit")
@role_required("admin")
def commit() -> ResponseReturnValue:
    form = CommitForm()
    files = _staged_files(form.staged.data or "") if form.validate_on_submit() else None
    if files is None:
        flash("Those files are no longer waiting to be imported. Please upload them again.",
              "error")  # fmt: skip
        return redirect(url_for("bank_moves.upload_page"))
    with flashed_errors() as shown:
        outcome = import_by_admin(db.session(), current_user.bank_id, current_user.id, files,
                                  commit=True)  # fmt: skip
    if shown.failed:
        return redirect(url_for("bank_moves.upload_page"))
    if not outcome.committed:
        return _result_page(outcome, "")
    _discard_staged()
    totals = ", ".join(f"{count} {kind}" for kind, count in outcome.counts.items())
    flash(f"Imported {totals}.", "success")
    return redirect(url_for("bank_moves.upload_page"))


@bp.get("/admin/import/examples/<name>")
@role_required("admin")
def example(name: str) -> Response:
    if name not in EXAMPLES:
        abort(404)
    data = resources.files("timebank.porting").joinpath(f"examples/{name}").read_bytes()
    return Response(data, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}"})  # fmt: skip


@bp.get("/admin/export")
@role_required("admin")
def download_export() -> Response:
    slug = bank_slug_for_admin(db.session(), current_user.bank_id, current_user.id)
    data = export_bank(db.session(), slug)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f"attachment; filename={slug}-export.zip"},
    )
