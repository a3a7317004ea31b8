"""The figures added beside disclosure control are protected in the funder view too."""

from __future__ import annotations

import datetime as dt

from timebank.reports.build import build_report
from timebank.reports.suppression import PEOPLE, protect

Q1 = (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_new_counts_of_people_declare_themselves(session, bank):
    report = build_report(session, bank.id, *Q1)
    kinds = {f.key: f.kind for s in report.sections for f in s.figures}
    columns = {(t.key, c.key): c.kind for s in report.sections for t in s.tables for c in t.columns}

    for key in ("members_at_end", "never_traded", "people_helped", "active_previous_period",
                "still_active", "referred_pairs", "mixed_pairs"):  # fmt: skip
        assert kinds[key] == PEOPLE, key
    assert columns[("group_activity", "people")] == PEOPLE
    assert columns[("group_activity", "sessions")] == "count"
    for table in ("outcome_loneliness", "outcome_life_satisfaction"):
        assert all(
            kind == PEOPLE
            for (key, column), kind in columns.items()
            if key == table and column != "answer"
        ), table


def test_the_funder_view_leaves_out_answers_by_answer_and_the_mixing_share(session, bank):
    report = build_report(session, bank.id, *Q1)
    staff_keys = {f.key for s in report.sections for f in s.figures} | {
        t.key for s in report.sections for t in s.tables
    }
    funder = protect(build_report(session, bank.id, *Q1, audience="funder"))
    funder_keys = {f.key for s in funder.sections for f in s.figures} | {
        t.key for s in funder.sections for t in s.tables
    }

    for key in ("mixing_share", "outcome_loneliness", "outcome_life_satisfaction"):
        assert key in staff_keys and key not in funder_keys, key
    assert {"referred_pairs", "mixed_pairs", "group_activity"} <= funder_keys
