"""Development only: the texts the console SMS backend would have sent, newest first."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from timebank.extensions import db
from timebank.sms.models import OutboxMessage

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/sms")
def sms_outbox():
    messages = db.session.scalars(
        sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(50)
    ).all()
    db.session.rollback()
    return render_template("dev/sms.html", messages=messages)
