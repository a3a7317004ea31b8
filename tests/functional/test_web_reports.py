"""The report pages: who may see them, the period form, CSV downloads, funder and print views."""

from __future__ import annotations

import datetime as dt
import html as html_text
import re

import pytest
from markupsafe import escape

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import give, signed_in, text_of
from timebank.extensions import db
from timebank.referrals import partners
from timebank.referrals.models import Referral
from timebank.reports.build import build_report
from timebank.reports.export import read_csv
from timebank.reports.formatting import format_date
from timebank.reports.period import preset
from timebank.tenancy.days import today_in_zone

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture
def march(bank, broker):
    """Record three exchanges in March 2026 between Joyce and Sam, each posted at once."""
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    for day, minutes in ((3, 60), (10, 90), (24, 30)):
        give(joyce, sam, minutes, by=sam, happened_on=dt.date(2026, 3, day),
             skill_category="Gardening")  # fmt: skip
    give(sam, joyce, 45, by=joyce, happened_on=dt.date(2026, 4, 1))  # April: not counted
    return joyce, sam


@pytest.fixture
def as_broker(app, broker):
    """Return a client with the bank's broker signed in."""
    return signed_in(app, broker)


def figure(page_text: str, label: str) -> str:
    """Return the words shown for a headline figure in the details, up to "What this counts".

    The details follow the summary, which shows some of the same figures under the same
    names (see `summary_line`).
    """
    details = page_text.split(DETAILS, 1)[-1]
    match = re.search(rf"{label} (.*?) What this counts", details)
    assert match, f"no {label} figure"
    return match.group(1)


DETAILS = "The figures in detail"


def summary_line(response, label: str) -> tuple[str, str, str]:
    """Return a summary figure's words: this period, the previous period, and the change.

    The change as a screen reader says it: the arrow drawn beside it is hidden from them.
    """
    html = response.get_data(as_text=True)
    summary = html.split('class="report-summary"', 1)[1].split("</table>", 1)[0]
    cell = r"\s*<td[^>]*>(.*?)</td>"
    name = re.escape(str(escape(label)))
    found = re.search(rf'<th scope="row">(?:<a [^>]*>)?{name}(?:</a>)?</th>' + cell * 3, summary)
    assert found, f"no {label} in the summary"
    spoken = (re.sub(r'<span aria-hidden="true">.*?</span>', "", p) for p in found.groups())
    words = (re.sub(r"<[^>]+>", " ", part) for part in spoken)
    said = [" ".join(html_text.unescape(part).split()) for part in words]
    return said[0], said[1], said[2]


def test_a_member_may_not_see_any_report_page(app, bank, practice):
    member = MemberFactory(bank=bank, display_name="Maisie Member")
    client = signed_in(app, member)

    for path in (
        "/reports",
        "/reports/definitions",
        "/reports/print",
        "/reports/exchanges_by_month.csv",
        f"/reports/practices/{practice.id}",
    ):
        assert client.get(path).status_code == 403, path
    assert "/reports" not in client.get("/home").get_data(as_text=True)


def test_brokers_find_reports_in_the_navigation_and_on_their_dashboard(as_broker):
    nav = as_broker.get("/home").get_data(as_text=True)
    dashboard = as_broker.get("/broker").get_data(as_text=True)

    assert '<a href="/reports">Reports</a>' in nav
    assert 'href="/reports"' in dashboard.split("<main", 1)[1]


def test_the_report_shows_the_periods_figures_with_what_each_counts(as_broker, march):
    page = as_broker.get("/reports", query_string=MARCH)
    text = text_of(page)

    assert page.status_code == 200
    assert "1 March 2026 to 31 March 2026" in text
    assert figure(text, "Hours of help given") == "3 hours"
    assert figure(text, "Exchanges") == "3"
    assert "<details" in page.get_data(as_text=True) and "What this counts" in text
    assert '<svg class="chart"' in page.get_data(as_text=True)


def test_the_report_opens_on_the_last_12_whole_months_in_the_banks_time_zone(as_broker, bank):
    text = text_of(as_broker.get("/reports"))

    # Twelve whole months, ending on the last day of the month before today's.
    last_month_end = today_in_zone(bank.timezone).replace(day=1) - dt.timedelta(days=1)
    assert f"to {format_date(last_month_end)}" in text


def test_a_preset_period_can_be_chosen(as_broker, bank):
    page = as_broker.get("/reports", query_string={"period": "year", "year": "2025"})

    assert "1 January 2025 to 31 December 2025" in text_of(page)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"from": "2026-02-30", "to": "2026-03-31"}, "is not a date we understand"),
        ({"from": "2026-03-31", "to": "2026-03-01"}, "The end date is before the start date"),
        ({"from": "2026-03-01"}, "Please give the end date"),
        ({"from": "2015-01-01", "to": "2026-01-01"}, "at most five years"),
        ({"from": "9999-01-01", "to": "9999-12-31"}, "between 2000 and 2100"),
        ({"from": "1066-10-14", "to": "1066-10-15"}, "between 2000 and 2100"),
        ({"period": "year", "year": "twenty"}, "four numbers"),
        ({"period": "fortnight"}, "Please choose one of"),
    ],
)
def test_bad_dates_get_the_form_back_with_the_problem_in_words(as_broker, args, words):
    page = as_broker.get("/reports", query_string=args)
    text = text_of(page)

    assert page.status_code == 400
    assert "There is a problem" in text and words in text
    assert 'name="from"' in page.get_data(as_text=True)


def test_a_table_downloads_as_csv_that_reads_back_as_the_reports_table(
    as_broker, bank, march, session
):
    response = as_broker.get("/reports/exchanges_by_month.csv", query_string=MARCH)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{bank.slug}-exchanges_by_month-2026-03-01-to-2026-03-31.csv"'
    )
    db.session.rollback()
    report = build_report(session, bank.id, dt.date(2026, 3, 1), dt.date(2026, 3, 31), "broker")
    table = report.table("exchanges_by_month")
    assert read_csv(response.get_data(as_text=True), table.columns) == table.rows
    assert table.rows[0][1:] == (3, 180)


def test_an_unknown_table_is_not_found(as_broker):
    response = as_broker.get("/reports/no_such_table.csv", query_string=MARCH)

    assert response.status_code == 404


def test_a_csv_with_bad_dates_says_so_in_words(as_broker):
    response = as_broker.get("/reports/exchanges_by_month.csv", query_string={"from": "soon"})

    assert response.status_code == 400
    assert "is not a date we understand" in response.get_data(as_text=True)


def test_the_funder_view_hides_a_few_people_but_never_exchanges_or_hours(as_broker, march):
    staff = text_of(as_broker.get("/reports", query_string=MARCH))
    funder = text_of(as_broker.get("/reports", query_string=MARCH | {"view": "funder"}))
    csv = as_broker.get("/reports/exchanges_by_month.csv", query_string=MARCH | {"view": "funder"})

    assert figure(staff, "Exchanges") == "3" and figure(staff, "Active members") == "2"
    assert figure(funder, "Exchanges") == "3"
    assert figure(funder, "Hours of help given") == "3 hours"
    assert figure(funder, "Active members") == "1 to 7"
    assert "funder-view.csv" in csv.headers["Content-Disposition"]
    assert csv.get_data(as_text=True).splitlines()[1] == "2026-03,3,3.00,180"


def test_the_printable_report_is_the_funder_view_without_navigation(as_broker, bank, march):
    page = as_broker.get("/reports/print", query_string=MARCH)
    html = page.get_data(as_text=True)
    text = text_of(page)

    assert page.status_code == 200
    assert "<nav" not in html and "Sign out" not in text
    assert bank.name in text and "1 March 2026 to 31 March 2026" in text
    assert summary_line(page, "Exchanges")[0] == "3"
    assert summary_line(page, "Active members")[0] == "1 to 7"
    assert "Joyce" not in text and "Sam Green" not in text
    assert "How these figures are made" in text and "1 to 7 people" in text


def test_the_printable_report_without_dates_prints_the_last_whole_quarter(as_broker, bank):
    quarter = preset("last_quarter", today_in_zone(bank.timezone))
    page = as_broker.get("/reports/print")

    assert page.status_code == 200
    shown = f"{quarter.start.day} {quarter.start:%B %Y} to {quarter.end.day} {quarter.end:%B %Y}"
    assert shown in text_of(page)


def test_every_definition_has_an_anchor_the_report_links_to(as_broker, march):
    report = as_broker.get("/reports", query_string=MARCH).get_data(as_text=True)
    definitions = as_broker.get("/reports/definitions").get_data(as_text=True)

    anchors = set(re.findall(r'href="/reports/definitions#([a-z0-9_]+)"', report))
    assert "exchanges" in anchors
    for anchor in anchors:
        assert f'id="{anchor}"' in definitions


def test_staff_of_another_bank_cannot_open_this_banks_practice_report(app, practice):
    other = MemberFactory(bank=TimeBankFactory(), display_name="Otto Other", role="admin")

    response = signed_in(app, other).get(f"/reports/practices/{practice.id}")

    assert response.status_code == 404


def refer(session, bank, partner, count: int, day: dt.date, first: int) -> None:
    """Add `count` referrals from `partner` made on `day`, with made-up patient numbers."""
    at = dt.datetime.combine(day, dt.time(12), dt.UTC)
    session.add_all(
        Referral(
            bank_id=bank.id,
            partner_id=partner.id,
            patient_e164=f"+4474505{first + n:05d}",
            first_name="Pat",
            created_at=at,
        )
        for n in range(count)
    )
    session.commit()


def test_a_practices_report_shows_only_its_own_referrals(session, bank, admin, practice, app):
    other = partners.add_partner(session, bank.id, admin.id, "Downham Surgery")
    refer(session, bank, practice, 6, dt.date(2026, 3, 9), first=0)
    refer(session, bank, other, 7, dt.date(2026, 3, 10), first=100)
    client = signed_in(app, admin)

    page = client.get(f"/reports/practices/{practice.id}", query_string=MARCH)
    text = text_of(page)

    assert page.status_code == 200
    assert "<nav" not in page.get_data(as_text=True)
    assert "Ravensbourne Health Centre" in text and "Downham Surgery" not in text
    # Its own 6, not the bank's 13 in all (the page's name and times may hold any digits).
    assert "Referred 6" in text and "Referred 13" not in text


def test_a_practices_report_links_its_tables_as_csv_with_only_its_own_referrals(
    session, bank, admin, practice, app
):
    other = partners.add_partner(session, bank.id, admin.id, "Downham Surgery")
    refer(session, bank, practice, 6, dt.date(2026, 3, 9), first=0)
    refer(session, bank, other, 7, dt.date(2026, 3, 10), first=100)
    client = signed_in(app, admin)
    page = client.get(f"/reports/practices/{practice.id}", query_string=MARCH).get_data(
        as_text=True
    )
    links = re.findall(r'href="(/reports/practices/\d+/[a-z_]+\.csv\?[^"]+)"', page)

    downloads = [client.get(link.replace("&amp;", "&")) for link in links]

    assert links and all(d.status_code == 200 and d.mimetype == "text/csv" for d in downloads)
    everything = "".join(d.get_data(as_text=True) for d in downloads)
    assert "Ravensbourne Health Centre,6" in everything
    assert "Downham" not in everything


def test_a_practice_csv_of_another_bank_or_an_unknown_table_is_404(app, bank, practice):
    other = MemberFactory(bank=TimeBankFactory(), display_name="Otto Other", role="admin")
    staff = MemberFactory(bank=bank, role="broker")

    theirs = signed_in(app, other).get(f"/reports/practices/{practice.id}/referral_funnel.csv")
    unknown = signed_in(app, staff).get(f"/reports/practices/{practice.id}/no_such_table.csv")

    assert theirs.status_code == 404 and unknown.status_code == 404


def test_the_report_says_when_its_figures_were_brought_up_to_date(as_broker, march):
    page = text_of(as_broker.get("/reports", query_string=MARCH))
    printed = text_of(as_broker.get("/reports/print", query_string=MARCH))

    assert re.search(r"Figures include everything recorded up to \d\d:\d\d today\.", page)
    assert re.search(r"recorded up to \d\d:\d\d on \d{1,2} [A-Z][a-z]+ 20\d\d\.", printed)
