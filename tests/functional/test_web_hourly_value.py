"""The hourly value: a bank setting admins change on a page, shown with its source in reports."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, record_help, sign_in_as
from timebank.reports.build import build_report
from timebank.tenancy.models import DEFAULT_HOURLY_VALUE_SOURCE, BrokerAction, TimeBank

PAGE = "/admin/hourly-value"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def stored(session, bank) -> tuple[int, str]:
    session.rollback()
    row = session.execute(
        sa.select(TimeBank.hourly_value_pence, TimeBank.hourly_value_source).where(
            TimeBank.id == bank.id
        )
    ).one()
    return int(row[0]), row[1]


def audit_lines(session, bank) -> list[tuple[str, str]]:
    query = sa.select(BrokerAction.action, BrokerAction.detail).where(
        BrokerAction.bank_id == bank.id, BrokerAction.action == "hourly_value_set"
    )
    return [tuple(row) for row in session.execute(query)]


def test_a_new_bank_values_an_hour_at_the_volunteering_england_figure(session, bank):
    assert stored(session, bank) == (1390, DEFAULT_HOURLY_VALUE_SOURCE)
    assert "Volunteering England" in DEFAULT_HOURLY_VALUE_SOURCE


def test_an_admin_changes_the_hourly_value_and_its_source(client, session, bank, admin):
    sign_in_as(client, admin)
    assert 'href="/admin/hourly-value"' in client.get("/broker").get_data(as_text=True)
    assert "13.90" in text(client.get(PAGE))

    done = client.post(
        PAGE,
        data={"pounds": "£15.50", "source": "London Living Wage 2026"},
        follow_redirects=True,
    )

    assert "An hour of help is now valued at £15.50." in text(done)
    assert stored(session, bank) == (1550, "London Living Wage 2026")
    assert audit_lines(session, bank) == [
        ("hourly_value_set", "£13.90 to £15.50; source: London Living Wage 2026")
    ]


def test_the_report_values_hours_at_the_new_rate_and_shows_the_source(client, session, bank, admin):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_help(session, ann, bob, 120, dt.date(2026, 3, 5))
    sign_in_as(client, admin)
    client.post(PAGE, data={"pounds": "12", "source": "Our own estimate"})

    report = build_report(session, bank.id, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    page = text(client.get("/reports", query_string=MARCH))

    value = next(s for s in report.sections if s.key == "value")
    assert [(f.key, f.value) for f in value.figures] == [
        ("estimated_value", 2400),
        ("hourly_value", 1200),
        ("hourly_value_source", "Our own estimate"),
    ]
    assert "£24.00" in page and "Our own estimate" in page


def test_bad_values_get_a_plain_answer_and_change_nothing(client, session, bank, admin):
    sign_in_as(client, admin)
    for pounds, words in (
        ("", "Enter the value of one hour"),
        ("thirteen", "Write the value in pounds and pence"),
        ("-5", "Write the value in pounds and pence"),
        ("0", "more than £0"),
        ("13.999", "Write the value in pounds and pence"),
        ("5000", "at most £1,000"),
        ("１３.９０", "Write the value in pounds and pence"),
    ):
        response = client.post(PAGE, data={"pounds": pounds, "source": "Somewhere"})
        assert response.status_code == 400, pounds
        assert words in text(response), pounds
    response = client.post(PAGE, data={"pounds": "14", "source": "   "})
    assert response.status_code == 400
    assert "Say where the figure comes from" in text(response)

    assert stored(session, bank) == (1390, DEFAULT_HOURLY_VALUE_SOURCE)
    assert audit_lines(session, bank) == []


def test_only_admins_may_change_it(client, session, bank, broker):
    sign_in_as(client, broker)

    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"pounds": "99", "source": "Mine"}).status_code == 403
    assert stored(session, bank) == (1390, DEFAULT_HOURLY_VALUE_SOURCE)


def test_the_form_needs_its_csrf_token(app, client, session, bank, admin):
    sign_in_as(client, admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(PAGE, data={"pounds": "20", "source": "No token"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code == 400
    assert stored(session, bank) == (1390, DEFAULT_HOURLY_VALUE_SOURCE)


def test_one_banks_admin_changes_only_their_own_bank(client, session, bank, admin):
    other = TimeBankFactory()
    sign_in_as(client, admin)

    client.post(PAGE, data={"pounds": "20", "source": "Ours"})

    assert stored(session, bank) == (2000, "Ours")
    assert stored(session, other) == (1390, DEFAULT_HOURLY_VALUE_SOURCE)
