"""A summary page's previous period, built with only its figures, says what a whole report says.

A summary page compares a period with the one before; that one is built with only the figures
the page shows (`build.build_summary_figures`). On random ledgers, for whole months and for
periods cut inside months, from the summaries and from the transfer log, for brokers and
funders, every figure the summary picks must equal the whole report's, and so must the page.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.test_report_summaries import random_ledger
from timebank.reports.build import build_report, build_summary_figures
from timebank.reports.period import Period, grid_kind
from timebank.reports.summary import BANK_PICKS, Pick, picked, summarise

PERIODS = (
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (dt.date(2025, 11, 1), dt.date(2025, 11, 30)),
    (dt.date(2025, 10, 14), dt.date(2026, 3, 9)),
    (dt.date(2026, 2, 3), dt.date(2026, 2, 20)),
    (dt.date(2025, 5, 1), dt.date(2026, 4, 30)),
)


def _audiences(start: dt.date, end: dt.date) -> tuple[str, ...]:
    on_grid = grid_kind(Period(start, end)) is not None
    return ("broker", "funder") if on_grid else ("broker",)


@pytest.mark.parametrize("direct", [False, True])
@pytest.mark.parametrize("seed", [5, 6])
def test_every_summary_figure_of_the_short_build_equals_the_whole_reports(session, seed, direct):
    bank = random_ledger(session, seed)
    checked = 0

    for start, end in PERIODS:
        for audience in _audiences(start, end):
            whole = build_report(session, bank.id, start, end, audience, direct)
            short = build_summary_figures(session, bank.id, start, end, audience, direct)
            for pick in BANK_PICKS:
                assert picked(short, pick) == picked(whole, pick), (start, end, audience, pick)
                checked += picked(whole, pick) is not None
            assert summarise(whole, short, BANK_PICKS) == summarise(whole, whole, BANK_PICKS)
    # Every pick is there in the broker's view (the funder view leaves the share out).
    assert checked > len(PERIODS) * (len(BANK_PICKS) - 1)


def test_the_short_build_leaves_out_what_no_summary_shows(session):
    bank = random_ledger(session, seed=7)

    short = build_summary_figures(session, bank.id, dt.date(2026, 1, 1), dt.date(2026, 3, 31))

    assert picked(short, Pick("", "median_partners")) is None
    assert short.table("retention") is None
    assert picked(short, Pick("", "exchanges")) is not None
