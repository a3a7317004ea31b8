"""Report charts: accessible SVG that says in words what it draws; hidden counts marked on it."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from timebank.reports.charts import chart_svg
from timebank.reports.tables import SUPPRESSED, Column, Table

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = tuple(dt.date(2025, month, 1) for month in range(1, 7))


def monthly(
    chart: str, values: tuple, title: str = "Hours exchanged by month", months=MONTHS
) -> Table:
    """Return a table of minutes by month, drawn as `chart`."""
    return Table(
        key="exchanges_by_month",
        title=title,
        definition="",
        columns=(Column("month", "Month", "month"), Column("minutes", "Time given", "minutes")),
        rows=tuple(zip(months, values, strict=True)),
        chart=chart,
    )


def parse(markup: str) -> ET.Element:
    """Parse the chart as XML (which it must be) with the SVG namespace added."""
    return ET.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def test_a_chart_is_an_image_named_by_its_title_and_described_in_words():
    svg = parse(chart_svg(monthly("bars", (60, 120, 600, 90, 30, 240))))

    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "Hours exchanged by month"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert "from January 2025 to June 2025" in desc.text
    assert "highest 10 hours (March 2025)" in desc.text
    assert "lowest 30 minutes (May 2025)" in desc.text


def test_a_chart_scales_to_its_box_for_a_narrow_phone():
    svg = parse(chart_svg(monthly("bars", (60, 120, 600, 90, 30, 240))))

    assert svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 360 ")
    assert int(svg.get("font-size")) >= 12


def test_minutes_are_drawn_in_hours_with_the_unit_on_the_axis():
    svg = parse(chart_svg(monthly("bars", (60, 120, 600, 90, 30, 240))))
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert "Time given (hours)" in texts
    assert "10" in texts and "600" not in texts


def test_the_time_axis_marks_the_year_under_the_first_month_and_each_january():
    months = tuple(dt.date(2025, month, 1) for month in range(6, 13)) + (dt.date(2026, 1, 1),)
    svg = parse(chart_svg(monthly("line", tuple(range(8)), months=months)))
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert texts.count("2025") == 1 and texts.count("2026") == 1


def test_a_year_mark_is_left_off_when_the_next_year_starts_a_month_later():
    months = (dt.date(2025, 12, 1),) + tuple(dt.date(2026, month, 1) for month in range(1, 6))
    svg = parse(chart_svg(monthly("bars", tuple(range(6)), months=months)))
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert "2025" not in texts and texts.count("2026") == 1


def people_by_month(chart: str, values: tuple) -> Table:
    """Return a table of active members by month, drawn as `chart`."""
    return Table(
        key="active_by_month",
        title="Active members by month",
        definition="",
        columns=(Column("month", "Month", "month"), Column("active", "Active members", "people")),
        rows=tuple(zip(MONTHS, values, strict=True)),
        chart=chart,
    )


def hidden_boxes(svg: ET.Element) -> list[ET.Element]:
    return [rect for rect in svg.iter(f"{SVG}rect") if rect.get("class") == "chart-hidden"]


def test_a_hidden_count_is_a_dashed_box_named_on_the_chart_never_a_gap():
    svg = parse(chart_svg(people_by_month("bars", (20, SUPPRESSED, 35, 10, None, 15))))
    bars = [
        rect
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("stroke") and rect not in hidden_boxes(svg)
    ]
    texts = " ".join(text.text or "" for text in svg.iter(f"{SVG}text"))

    assert len(bars) == 4
    [box] = hidden_boxes(svg)
    assert box.get("stroke-dasharray") and float(box.get("height")) > 0
    assert "Dashed boxes: hidden, 1 to 7 people (February 2025)." in texts
    desc = svg.find(f"{SVG}desc").text
    assert "Active members hidden because 1 to 7 people: February 2025." in desc
    assert "Active members not known yet: May 2025." in desc


def test_a_line_marks_a_hidden_count_with_a_dashed_box_where_it_breaks():
    svg = parse(chart_svg(people_by_month("line", (60, 120, SUPPRESSED, 90, 30, 240))))
    lines = list(svg.iter(f"{SVG}polyline"))
    texts = " ".join(text.text or "" for text in svg.iter(f"{SVG}text"))

    assert [len(line.get("points").split()) for line in lines] == [2, 3]
    assert len(list(svg.iter(f"{SVG}circle"))) == 5
    assert len(hidden_boxes(svg)) == 1
    assert "hidden, 1 to 7 people (March 2025)" in texts


def test_every_word_from_the_report_is_escaped():
    table = monthly("bars", (60, 120, 600, 90, 30, 240), title='Hours <script>alert("x")</script>')

    markup = str(chart_svg(table))

    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    parse(markup)


def test_two_series_differ_by_more_than_colour_and_have_a_key():
    table = Table(
        key="active_by_month",
        title="Active members and new connections",
        definition="",
        columns=(
            Column("month", "Month", "month"),
            Column("active", "Active members", "count"),
            Column("connections", "New connections", "count"),
        ),
        rows=tuple((month, 10 + n, 2 * n) for n, month in enumerate(MONTHS)),
        chart="line",
        chart_columns=("active", "connections"),
    )
    svg = parse(chart_svg(table))

    dashes = {line.get("stroke-dasharray") for line in svg.iter(f"{SVG}polyline")}
    assert None in dashes and len(dashes) == 2
    assert len(list(svg.iter(f"{SVG}circle"))) == 6 + 1  # points plus the key's marker
    texts = [text.text for text in svg.iter(f"{SVG}text")]
    assert "Active members" in texts and "New connections" in texts
    assert "Active members and New connections" in texts


def test_grouped_bars_fill_the_second_series_with_a_hatched_pattern():
    table = Table(
        key="supply",
        title="Offers and requests by month",
        definition="",
        columns=(
            Column("month", "Month", "month"),
            Column("offers", "Offers", "count"),
            Column("requests", "Requests", "count"),
        ),
        rows=tuple((month, 5, 7) for month in MONTHS),
        chart="bars",
        chart_columns=("offers", "requests"),
    )
    svg = parse(chart_svg(table))

    fills = {rect.get("fill") for rect in svg.iter(f"{SVG}rect") if rect.get("stroke")}
    assert "#1d70b8" in fills
    assert any(fill.startswith("url(#") for fill in fills)


def test_a_funnel_gives_each_step_as_a_share_of_the_first():
    table = Table(
        key="referral_funnel",
        title="How far referred people got",
        definition="",
        columns=(Column("step", "Step", "text"), Column("people", "People", "people")),
        rows=(("Referred", 40), ("Said yes", 30), ("Joined", SUPPRESSED), ("First exchange", 10)),
        chart="funnel",
    )
    svg = parse(chart_svg(table))
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert "30 (75% of Referred)" in texts
    assert "1 to 7" in texts
    assert "10 (25% of Referred)" in texts
    boxes = hidden_boxes(svg)
    widths = [
        float(rect.get("width"))
        for rect in svg.iter(f"{SVG}rect")
        if rect.get("stroke") and rect not in boxes
    ]
    assert widths[0] > widths[1] > widths[2] > 0 and len(widths) == 3
    assert len(boxes) == 1


def test_bars_for_named_rows_run_across_the_page_with_their_names_in_full():
    table = Table(
        key="exchanges_by_category",
        title="Hours by kind of help",
        definition="",
        columns=(Column("category", "Kind of help", "text"), Column("minutes", "Hours", "minutes")),
        rows=(("Company and conversation", 600), ("Gardening", 90)),
        chart="bars",
    )
    svg = parse(chart_svg(table))
    texts = [text.text for text in svg.iter(f"{SVG}text")]

    assert "Company and conversation" in texts and "10 hours" in texts
    assert "1 hour 30 minutes" in texts


def test_a_table_without_a_chart_or_without_rows_draws_nothing():
    assert chart_svg(monthly(None, (1, 2, 3, 4, 5, 6))) is None
    empty = Table("empty", "Nothing", "", (Column("month", "Month", "month"),), (), chart="bars")
    assert chart_svg(empty) is None


def test_a_chart_with_every_value_hidden_is_left_out_for_the_table_to_say():
    hidden = monthly("bars", (SUPPRESSED, SUPPRESSED, 0, None, SUPPRESSED, 0))

    assert chart_svg(hidden) is None
    assert chart_svg(monthly("bars", (SUPPRESSED, SUPPRESSED, 0, None, SUPPRESSED, 1)))


def test_two_charts_on_one_page_have_different_ids():
    first = parse(chart_svg(monthly("bars", (1, 2, 3, 4, 5, 6)), prefix="page"))
    second = parse(chart_svg(monthly("bars", (1, 2, 3, 4, 5, 6)), prefix="print"))

    assert first.get("id") != second.get("id")
