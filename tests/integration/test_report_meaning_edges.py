"""The web page, the CSV download and the API say the same about the lunch club."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.factories import member_joined, noon_on
from tests.functional.ledger_pages import signed_in, text_of
from timebank.ledger.services import GroupExchangeRequest, record_group_exchange
from timebank.membership.tokens import create_token
from timebank.reports.build import build_report
from timebank.reports.export import read_csv

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
LONG_AGO = dt.date(2024, 1, 1)


def lunch_club(session, bank, broker):
    """Lou cooks a 2-hour lunch for three guests on 10 March 2026, logged by the broker."""
    lou = member_joined(bank, "Lou Cook", LONG_AGO)
    guests = [member_joined(bank, f"Guest {n}", LONG_AGO) for n in range(3)]
    record_group_exchange(
        session,
        GroupExchangeRequest(
            group_id=uuid.uuid4(),
            bank_id=bank.id,
            giver_ids=[lou.id],
            receiver_ids=[guest.id for guest in guests],
            minutes=120,
            recorded_by_id=broker.id,
            happened_on=dt.date(2026, 3, 10),
            skill_category="Cooking",
        ),
        now=noon_on(dt.date(2026, 3, 10)),
    )


def test_page_csv_and_api_agree_on_hours_of_help_and_group_activity(app, session, bank, broker):
    lunch_club(session, bank, broker)
    client = signed_in(app, broker)

    page = text_of(client.get("/reports", query_string=MARCH))
    assert "Hours of help given 2 hours" in page
    assert "Hours credited in members' accounts 6 hours" in page
    assert "Estimated value of the help given £27.80" in page

    table = build_report(session, bank.id, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).table(
        "group_activity"
    )
    assert table is not None
    assert table.rows == (("Group sessions", 1, 4, 120), ("One-to-one", 0, 0, 0))
    download = client.get("/reports/group_activity.csv", query_string=MARCH)
    assert read_csv(download.get_data(as_text=True), table.columns) == table.rows

    token = create_token(session, bank.id, broker.id, "Reports")[1]
    headers = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    body = api.get("/api/v1/reports?from=2026-03-01&to=2026-03-31", headers=headers).get_json()
    figures = {f["key"]: f["value"] for s in body["sections"] for f in s["figures"]}
    assert (figures["hours_exchanged"], figures["hours_credited"]) == (120, 360)
    assert figures["estimated_value"] == 2780
    headline = api.get("/api/v1/reports/figures?from=2026-03-01&to=2026-03-31", headers=headers)
    assert (headline.json["minutes_exchanged"], headline.json["minutes_credited"]) == (120, 360)
