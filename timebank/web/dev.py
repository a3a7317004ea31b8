"""Development only: the texts the console SMS backend would have sent, newest first."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from timebank.extensions import db
from timebank.sms.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/sms")
def sms_outbox():
    # Sign-in codes are listed here, so only this computer may look.
    if request.remote_addr not in ("127.0.0.1", "::1"):
        abort(404)
    messages = db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    db.session.rollback()
    return render_template("dev/sms.html", messages=messages)
