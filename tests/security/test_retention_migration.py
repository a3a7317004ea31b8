"""Revision 0012 on a database with referrals already in it: texts linked, practice words gone."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import ENGINE
from tests.databases import insert_as_migrated as _add

T = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PATIENT = "+447812913457"
PRACTICE_PHONE = "+447400000111"


@pytest.fixture
def old_app(empty_database_url):
    """Return the app on a database migrated only up to revision 0011."""
    from flask_migrate import upgrade

    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="0011")
        yield app
        db.session.remove()
        db.engine.dispose()


def _texts_before_0012(conn):
    """Write what a bank held before 0012: a REFER with an NHS number, answers, texts."""
    from timebank.members.models import Member
    from timebank.referrals.models import PartnerNumber, Referral, ReferralPartner
    from timebank.sms.models import InboundMessage, OutboxMessage
    from timebank.tenancy.models import TimeBank

    bank = _add(conn, TimeBank, name="Old Bank", slug="old-bank", sms_number="+442079460000")
    partner = _add(conn, ReferralPartner, bank_id=bank, name="Hill Surgery")
    _add(conn, PartnerNumber, bank_id=bank, partner_id=partner, e164=PRACTICE_PHONE)
    member = _add(conn, Member, bank_id=bank, display_name="Mo One", mobile_e164="+447123000001")
    referral = _add(conn, Referral, bank_id=bank, partner_id=partner, patient_e164=PATIENT,
                    first_name="Zebedee", reason="lonely", created_at=T, updated_at=T)  # fmt: skip

    def inbound(sid, sender, kind, body, reply, minutes, member_id=None):
        return _add(conn, InboundMessage, message_sid=sid, bank_id=bank, from_e164=sender,
                    kind=kind, body=body, reply=reply, member_id=member_id,
                    received_at=T + dt.timedelta(minutes=minutes))  # fmt: skip

    ids = {
        "refer": inbound("SM1", PRACTICE_PHONE, "refer", "REFER 07812 913457 Zebedee 9434765919",
                         f"Thank you. Referral R-{referral:04d} received.", 0),
        "practice help": inbound("SM2", PRACTICE_PHONE, "help", "Zebedee 943 476 5919?",
                                 "Hill referrals: REFER mobile first-name", 1),
        "answer": inbound("SM3", PATIENT, "consent", "yes", "Thank you.", 5),
        "member": inbound("SM4", "+447123000001", "balance", "BAL", "Your balance", 6, member),
    }  # fmt: skip
    outbox = {
        "invitation": _add(conn, OutboxMessage, bank_id=bank, to_e164=PATIENT, created_at=T,
                           body="Hello Zebedee", purpose="referral_invitation"),
        "alert": _add(conn, OutboxMessage, bank_id=bank, to_e164="+447123000001", created_at=T,
                      body="New referral", purpose="referral_alert", member_id=member),
    }  # fmt: skip
    return referral, ids, outbox


def test_upgrading_links_old_texts_to_their_referral_and_empties_practice_texts(old_app):
    from flask_migrate import upgrade

    from timebank.extensions import db

    with db.engine.begin() as conn:
        referral, ids, outbox = _texts_before_0012(conn)

    upgrade()

    with db.engine.connect() as conn:
        inbound = {
            row.id: row
            for row in conn.execute(sa.text("SELECT id, referral_id, body FROM sms_inbound"))
        }
        texts = dict(conn.execute(sa.text("SELECT id, referral_id FROM sms_outbox")).all())
        purged = conn.execute(sa.text("SELECT purged_at FROM referrals")).scalar_one()
    assert inbound[ids["refer"]].referral_id == referral
    assert inbound[ids["answer"]].referral_id == referral
    assert inbound[ids["member"]].referral_id is None
    assert inbound[ids["practice help"]].referral_id is None
    assert [inbound[ids[k]].body for k in ("refer", "practice help")] == [None, None]
    assert [inbound[ids[k]].body for k in ("answer", "member")] == ["yes", "BAL"]
    assert texts == {outbox["invitation"]: referral, outbox["alert"]: None}
    assert purged is None


def test_downgrading_keeps_the_outbox_index_that_makes_provider_ids_unique(old_app):
    from flask_migrate import downgrade, upgrade

    from timebank.extensions import db

    upgrade()
    downgrade(revision="0011")

    with db.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("sms_outbox")}
        if ENGINE == "sqlite":
            index = conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'uq_sms_outbox_provider_sid'")
            ).scalar_one()
        else:
            index = conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_sms_outbox_provider_sid'"
                )
            ).scalar_one()
    assert "referral_id" not in columns
    assert "UNIQUE" in index.upper() and "WHERE" in index.upper()
