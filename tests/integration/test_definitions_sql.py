"""The SQL form of each shared definition says what its Python form says, on both engines."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory
from timebank.ledger.models import TRANSFER_CODES, TRANSFER_PHASES, is_trade, trade_condition
from timebank.offers.models import Listing, open_request


def test_the_trade_condition_picks_the_transfers_is_trade_names(session):
    pairs = [(code, phase) for code in TRANSFER_CODES for phase in TRANSFER_PHASES]
    rows = sa.union_all(
        *(
            sa.select(sa.literal(code).label("code"), sa.literal(phase).label("phase"))
            for code, phase in pairs
        )
    ).subquery("t")
    picked = set(session.execute(sa.select(rows.c.code, rows.c.phase).where(trade_condition(rows))))

    assert picked == {pair for pair in pairs if is_trade(*pair)}
    assert len(picked) == 4


def test_the_open_request_condition_picks_the_listings_open_for_matching(session, bank):
    jane = MemberFactory(bank=bank)
    waiting, matched, closed = (ListingFactory(member=jane, kind="request") for _ in range(3))
    ListingFactory(member=jane, kind="offer")
    session.get(Listing, matched.id).matched_at = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    session.get(Listing, closed.id).status = "closed"
    session.commit()

    picked = set(session.scalars(sa.select(Listing.id).where(open_request())))
    every = session.scalars(sa.select(Listing)).all()

    assert picked == {listing.id for listing in every if listing.open_for_matching}
    assert picked == {waiting.id}
