"""A member's consent to the outcome questions, and their answers period by period."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import Base, one_of

# How a member agreed: on their profile page, to a broker at sign-up, or by replying YES.
CONSENT_WAYS = ("web", "broker", "text")
# The question a text is waiting for an answer to.
QUESTIONS = ("lonely", "satisfied")


class OutcomeConsent(Base):
    """Whether a member agreed to be asked (and when), or said no once and for all."""

    __tablename__ = "outcome_consents"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.CheckConstraint(one_of("agreed_via", CONSENT_WAYS), name="agreed_via_known"),
        sa.CheckConstraint("(agreed_at IS NULL) = (agreed_via IS NULL)", name="agreed_with_a_way"),
    )

    member_id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), index=True)
    agreed_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    agreed_via: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    # Set once the member said no: they are never asked again, whatever came before.
    refused_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # When the one text asking whether they agree was queued (it is sent once only).
    asked_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class OutcomeRound(Base):
    """A member's answers for one six-month period since joining (round 0: at joining).

    One row per member and round, so nobody is asked twice in a period.
    """

    __tablename__ = "outcome_rounds"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.UniqueConstraint("member_id", "round"),
        sa.CheckConstraint("round >= 0", name="round_not_negative"),
        sa.CheckConstraint("lonely BETWEEN 1 AND 5", name="lonely_in_range"),
        sa.CheckConstraint("satisfied BETWEEN 0 AND 10", name="satisfied_in_range"),
        sa.CheckConstraint("(lonely IS NULL) = (lonely_at IS NULL)", name="lonely_with_time"),
        sa.CheckConstraint(
            "(satisfied IS NULL) = (satisfied_at IS NULL)", name="satisfied_with_time"
        ),
        sa.CheckConstraint(one_of("waiting_for", QUESTIONS), name="waiting_for_known"),
        sa.CheckConstraint("closes_at > opens_at", name="closes_after_it_opens"),
        sa.Index("ix_outcome_rounds_bank_id_round", "bank_id", "round"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    round: so.Mapped[int]
    # The period: from joining plus 6 x round months to six months later.
    opens_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    closes_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    # When the first question was texted (None: not asked by text).
    texted_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # The question a bare number texted back answers; None when none is open.
    waiting_for: so.Mapped[str | None] = so.mapped_column(sa.String(12))
    # "How often do you feel lonely?" 1 often or always ... 5 never.
    lonely: so.Mapped[int | None]
    lonely_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # "Overall, how satisfied are you with your life nowadays?" 0 not at all ... 10 completely.
    satisfied: so.Mapped[int | None]
    satisfied_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
