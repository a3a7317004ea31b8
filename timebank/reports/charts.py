"""Charts of report tables as accessible SVG: bars, lines and a referral funnel.

Each chart is an `<svg role="img">` named by a `<title>` and summarised in words by a
`<desc>`, so a screen reader hears what the chart shows; the page always puts the table of
figures beside it too. Charts scale to their box (a viewBox, width 100%) and are drawn for a
phone: 360 units wide, text at 13. Series differ by shape and line style as well as colour,
and every colour has at least 3:1 contrast on white. A hidden count (1 to 7 people, in the
funder view) is drawn as a dashed box over that range, marked "1 to 7", and a line under the
chart names the hidden rows, so a hidden month never looks like an empty one. A value not
known yet is a gap, and the description says which.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from timebank.reports.formatting import HIDDEN_WORDS, format_number, format_value
from timebank.reports.suppression import LARGEST_HIDDEN
from timebank.reports.tables import Column, Suppressed, Table, Value

WIDTH = 360
FONT = 13
LEFT, RIGHT, TOP = 44, 10, 28
PLOT_HEIGHT = 170
TEXT = "#0b0c0c"
GRID = "#b1b4b6"
# How a hidden count is drawn: a dashed outline over the range it may be in (1 to 7).
HIDDEN_STROKE = "#505a5f"
NOTE_CHARACTERS = 52


@dataclass(frozen=True)
class Style:
    """How one series is drawn: colour, line dashes, point marker, and bar fill."""

    colour: str
    dash: str
    marker: str
    fill: str


STYLES = (
    Style("#1d70b8", "", "circle", "#1d70b8"),
    Style("#0b0c0c", "6 4", "square", "url(#{id}-hatch)"),
    Style("#00703c", "2 3", "triangle", "#00703c"),
)


@dataclass(frozen=True)
class Series:
    """One column drawn in a chart: its place in the row and its column."""

    index: int
    column: Column


def chart_svg(table: Table, prefix: str = "chart") -> Markup | None:
    """Return the table's chart as SVG markup, or None when it has no chart."""
    drawers: dict[str, Callable[[Table, str], Markup]] = {
        "bars": _bars,
        "line": _line,
        "funnel": _funnel,
    }
    if table.chart not in drawers or not any(
        amount(row[line.index], line.column.kind) for row in table.rows for line in series_of(table)
    ):
        return None  # no rows, or every value hidden, zero or unknown: the table says it all
    return drawers[table.chart](table, _svg_id(prefix, table.key))


def _svg_id(prefix: str, key: str) -> str:
    """Return an id safe in HTML and CSS for this table's chart."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}-{key}")


def series_of(table: Table) -> list[Series]:
    """Return the columns the chart draws: those named, else the second column."""
    wanted = table.chart_columns or tuple(c.key for c in table.columns[1:2])
    return [Series(i, column) for i, column in enumerate(table.columns) if column.key in wanted][
        : len(STYLES)
    ]


def amount(value: Value, kind: str) -> float | None:
    """Return a value as a number to plot (minutes as hours, pence as pounds), or None."""
    if isinstance(value, Suppressed | str | dt.date) or value is None:
        return None
    return value / {"minutes": 60, "pence": 100}.get(kind, 1)


def unit(column: Column) -> str:
    """Return the column's label with the unit its axis is drawn in."""
    if column.kind == "minutes" and "hour" in column.label.lower():
        return column.label
    return {"minutes": f"{column.label} (hours)", "pence": f"{column.label} (£)"}.get(
        column.kind, column.label
    )


def _label(value: Value, kind: str) -> str:
    """Return a row label in words."""
    return format_value(value, kind)


def _short_label(value: Value, kind: str) -> str:
    """Return a row label short enough for an axis: 'Mar' for March, '5 Mar' for a day."""
    if isinstance(value, dt.date):
        return f"{value:%b}" if kind == "month" else f"{value.day} {value:%b}"
    return _label(value, kind)


def _ticks(top: float) -> list[float]:
    """Return round axis values from 0 past `top`, about four steps."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def _text(x: float, y: float, words: str, anchor: str = "start", extra: str = "") -> str:
    """Return an SVG text element, its words escaped."""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(words)}</text>'


def describe(table: Table, series: Sequence[Series]) -> str:
    """Summarise a chart's figures in words: range, highest, lowest and any gaps."""
    label = table.columns[0]
    first, last = (_label(table.rows[i][0], label.kind) for i in (0, -1))
    parts = [f"{table.title}, {len(table.rows)} rows, from {first} to {last}."]
    for line in series:
        parts.extend(_describe_series(table, line))
    return " ".join(parts)


def _describe_series(table: Table, line: Series) -> list[str]:
    """Say one series' highest and lowest values and where it has gaps."""
    kind, name = line.column.kind, line.column.label
    label_kind = table.columns[0].kind
    shown = [
        (row[line.index], row[0]) for row in table.rows if amount(row[line.index], kind) is not None
    ]
    parts = []
    if shown:
        high = max(shown, key=lambda pair: amount(pair[0], kind) or 0)
        low = min(shown, key=lambda pair: amount(pair[0], kind) or 0)
        parts.append(
            f"{name}: highest {format_value(high[0], kind)} ({_label(high[1], label_kind)}), "
            f"lowest {format_value(low[0], kind)} ({_label(low[1], label_kind)})."
        )
    hidden = [_label(r[0], label_kind) for r in table.rows if isinstance(r[line.index], Suppressed)]
    if hidden:
        parts.append(f"{name} hidden because {HIDDEN_WORDS} people: {', '.join(hidden)}.")
    unknown = [_label(r[0], label_kind) for r in table.rows if r[line.index] is None]
    if unknown:
        parts.append(f"{name} not known yet: {', '.join(unknown)}.")
    return parts


def _frame(svg_id: str, table: Table, height: float, body: list[str]) -> Markup:
    """Wrap drawn parts in an accessible, scalable SVG element."""
    series = series_of(table)
    head = (
        f'<svg class="chart" id="{svg_id}" role="img" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-size="{FONT}" '
        f'font-family="system-ui, sans-serif" fill="{TEXT}" '
        f'aria-labelledby="{svg_id}-title {svg_id}-desc">'
        f'<title id="{svg_id}-title">{escape(table.title)}</title>'
        f'<desc id="{svg_id}-desc">{escape(describe(table, series))}</desc>'
        f'<defs><pattern id="{svg_id}-hatch" width="6" height="6" '
        f'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#fff"/>'
        f'<rect width="3" height="6" fill="{STYLES[1].colour}"/></pattern></defs>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _legend(
    svg_id: str, series: Sequence[Series], top: float, lines: bool = False
) -> tuple[list[str], float]:
    """Return a key, one series a line (its bar fill, or its line and marker), and its height."""
    if len(series) < 2:
        return [], 0
    parts = []
    for n, line in enumerate(series):
        style, y = STYLES[n], top + n * 20
        if lines:
            parts += _polyline([(0, y + 6), (22, y + 6)], style) + [_marker(style, 11, y + 6)]
        else:
            parts.append(
                f'<rect x="1" y="{y:.1f}" width="22" height="12" fill="{_fill(style, svg_id)}" '
                f'stroke="{style.colour}"/>'
            )
        parts.append(_text(30, y + 11, unit(line.column)))
    return parts, len(series) * 20 + 4


def _fill(style: Style, svg_id: str) -> str:
    return style.fill.replace("{id}", svg_id)


def _value_axis(ticks: list[float], x0: float, x1: float, y: Callable[[float], float]) -> list[str]:
    """Return grid lines and labels for a vertical value axis."""
    parts = []
    for tick in ticks:
        parts.append(
            f'<line x1="{x0}" x2="{x1}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(x0 - 4, y(tick) + 4, format_number(tick), "end"))
    return parts


def _time_axis(table: Table, xs: list[float], baseline: float) -> list[str]:
    """Return the labels under a time axis, thinned so they do not overlap, years below."""
    kind = table.columns[0].kind
    every = max(1, math.ceil(len(xs) / 7))
    parts = []
    for n, (row, x) in enumerate(zip(table.rows, xs, strict=True)):
        if n % every == 0:
            parts.append(_text(x, baseline + 16, _short_label(row[0], kind), "middle"))
    for n in _year_starts(table):
        parts.append(_text(xs[n], baseline + 32, f"{table.rows[n][0]:%Y}", "middle"))
    return parts


def _year_starts(table: Table) -> list[int]:
    """Return the rows to mark with their year: the first and each January, never crowded."""
    months = [row[0] for row in table.rows if isinstance(row[0], dt.date)]
    if table.columns[0].kind != "month" or len(months) != len(table.rows):
        return []
    marks = [n for n, month in enumerate(months) if n == 0 or month.month == 1]
    if len(marks) > 1 and marks[1] < 3:
        marks.pop(0)  # the next year starts within two months; its mark says enough
    return marks


def _hidden_rows(table: Table, series: Sequence[Series]) -> list[int]:
    """Return the rows where any drawn series is hidden."""
    return [
        n
        for n, row in enumerate(table.rows)
        if any(isinstance(row[line.index], Suppressed) for line in series)
    ]


def _hidden_note(table: Table, series: Sequence[Series], top: float) -> tuple[list[str], float]:
    """Return visible words under a chart naming its hidden rows, and their height."""
    rows = _hidden_rows(table, series)
    if not rows:
        return [], 0
    kind = table.columns[0].kind
    names = [_label(table.rows[n][0], kind) for n in rows]
    words = f"Dashed boxes: hidden, {HIDDEN_WORDS} people ({', '.join(names)})."
    lines: list[str] = []
    for word in words.split(" "):
        if lines and len(lines[-1]) + len(word) < NOTE_CHARACTERS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    parts = [_text(0, top + 14 + 17 * n, line) for n, line in enumerate(lines)]
    return parts, 17 * len(lines) + 6


def _hidden_box(x: float, y_low: float, width: float, y_high: float) -> str:
    """Return the dashed outline that stands for a hidden count, over its possible range."""
    return (
        f'<rect class="chart-hidden" x="{x:.1f}" y="{y_high:.1f}" width="{width:.1f}" '
        f'height="{y_low - y_high:.1f}" fill="none" stroke="{HIDDEN_STROKE}" '
        f'stroke-width="1.5" stroke-dasharray="4 3"/>'
    )


def _plot_scale(table: Table, series: Sequence[Series]) -> tuple[list[float], float]:
    """Return the value axis ticks and the largest tick for the series' values."""
    values = [
        float(LARGEST_HIDDEN)
        if isinstance(row[s.index], Suppressed)
        else amount(row[s.index], s.column.kind)
        for row in table.rows
        for s in series
    ]
    ticks = _ticks(max((v for v in values if v is not None), default=0))
    return ticks, ticks[-1]


def _axes_title(series: Sequence[Series]) -> str:
    """Name what the chart measures: the series' labels, or a pointer to the key if too long."""
    named = " and ".join(unit(line.column) for line in series)
    return named if len(named) <= 48 else "Values (see the key below)"


def _bars(table: Table, svg_id: str) -> Markup:
    """Draw bars: upright over a time axis, or across the page for named rows."""
    if table.columns[0].kind not in ("month", "date"):
        return _across(table, svg_id, funnel=False)
    series = series_of(table)
    ticks, top = _plot_scale(table, series)
    right, bottom = WIDTH - RIGHT, TOP + PLOT_HEIGHT

    def y(value: float) -> float:
        return bottom - PLOT_HEIGHT * value / top

    band = (right - LEFT) / len(table.rows)
    bar = band * 0.7 / len(series)
    body = [_text(0, 14, _axes_title(series))] + _value_axis(ticks, LEFT, right, y)
    for n, row in enumerate(table.rows):
        for s_n, line in enumerate(series):
            value = amount(row[line.index], line.column.kind)
            x = LEFT + n * band + band * 0.15 + s_n * bar
            if isinstance(row[line.index], Suppressed):
                body.append(_hidden_box(x, y(1), bar, y(LARGEST_HIDDEN)))
                continue
            if value is None:
                continue
            body.append(
                f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{bottom - y(value):.1f}" fill="{_fill(STYLES[s_n], svg_id)}" '
                f'stroke="{STYLES[s_n].colour}"/>'
            )
    xs = [LEFT + (n + 0.5) * band for n in range(len(table.rows))]
    body += _time_axis(table, xs, bottom)
    body.append(f'<line x1="{LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{TEXT}"/>')
    legend, extra = _legend(svg_id, series, bottom + 44)
    note, more = _hidden_note(table, series, bottom + 40 + extra)
    return _frame(svg_id, table, bottom + 40 + extra + more, body + legend + note)


def _marker(style: Style, x: float, y: float) -> str:
    """Return a point marker in the series' shape."""
    if style.marker == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{style.colour}"/>'
    if style.marker == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon points="{points}" fill="{style.colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{style.colour}"/>'


def _line(table: Table, svg_id: str) -> Markup:
    """Draw lines over a time axis, broken where a value is hidden or unknown."""
    series = series_of(table)
    ticks, top = _plot_scale(table, series)
    right, bottom = WIDTH - RIGHT, TOP + PLOT_HEIGHT
    step = (right - LEFT - 16) / max(1, len(table.rows) - 1)
    xs = [LEFT + 8 + n * step for n in range(len(table.rows))]
    body = [_text(0, 14, _axes_title(series))]
    body += _value_axis(ticks, LEFT, right, lambda v: bottom - PLOT_HEIGHT * v / top)
    for s_n, line in enumerate(series):
        style = STYLES[s_n]
        body += [
            _hidden_box(x - 4, _height(1, bottom, top), 8, _height(LARGEST_HIDDEN, bottom, top))
            for row, x in zip(table.rows, xs, strict=True)
            if isinstance(row[line.index], Suppressed)
        ]
        points = [
            None
            if (v := amount(row[line.index], line.column.kind)) is None
            else (x, bottom - PLOT_HEIGHT * v / top)
            for row, x in zip(table.rows, xs, strict=True)
        ]
        body += _polyline(points, style) + [_marker(style, *p) for p in points if p]
    body += _time_axis(table, xs, bottom)
    body.append(f'<line x1="{LEFT}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="{TEXT}"/>')
    legend, extra = _legend(svg_id, series, bottom + 44, lines=True)
    note, more = _hidden_note(table, series, bottom + 40 + extra)
    return _frame(svg_id, table, bottom + 40 + extra + more, body + legend + note)


def _height(value: float, bottom: float, top: float) -> float:
    """Return where a value sits on a line chart's plot."""
    return bottom - PLOT_HEIGHT * value / top


def _polyline(points: list[tuple[float, float] | None], style: Style) -> list[str]:
    """Return one path per run of known points, so gaps stay gaps."""
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            runs.append([])
        else:
            runs[-1].append(point)
    dash = f' stroke-dasharray="{style.dash}"' if style.dash else ""
    return [
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in run)}" fill="none" '
        f'stroke="{style.colour}" stroke-width="2.5"{dash}/>'
        for run in runs
        if len(run) > 1
    ]


def _funnel(table: Table, svg_id: str) -> Markup:
    """Draw a funnel: one bar across the page per step, each step's share of the first."""
    return _across(table, svg_id, funnel=True)


def _across(table: Table, svg_id: str, funnel: bool) -> Markup:
    """Draw bars across the page: a row's name, then each value in words above its bar."""
    series = series_of(table)[:1] if funnel else series_of(table)
    _ticks_, top = _plot_scale(table, series)
    label_kind, room = table.columns[0].kind, WIDTH - 4
    body, y = [_text(0, 14, _axes_title(series))], float(TOP)
    for row in table.rows:
        body.append(_text(0, y + 12, _label(row[0], label_kind), extra=' font-weight="700"'))
        y += 18
        for s_n, line in enumerate(series):
            value = amount(row[line.index], line.column.kind)
            named = f"{line.column.label}: " if len(series) > 1 else ""
            share = _share_of_first(table, line, row) if funnel else ""
            body.append(
                _text(0, y + 12, named + format_value(row[line.index], line.column.kind) + share)
            )
            if isinstance(row[line.index], Suppressed):
                wide = room * LARGEST_HIDDEN / top
                body.append(_hidden_box(1 + room / top, y + 33, wide - room / top, y + 17))
            elif value:
                body.append(
                    f'<rect x="1" y="{y + 17:.1f}" width="{room * value / top:.1f}" '
                    f'height="16" fill="{_fill(STYLES[s_n], svg_id)}" '
                    f'stroke="{STYLES[s_n].colour}"/>'
                )
            y += 38
        y += 6
    legend, extra = _legend(svg_id, series, y)
    note, more = _hidden_note(table, series, y + extra)
    return _frame(svg_id, table, y + extra + more, body + legend + note)


def _share_of_first(table: Table, line: Series, row: tuple[Value, ...]) -> str:
    """Say a funnel step as a share of the first step: ' (67% of Referred)'."""
    first = amount(table.rows[0][line.index], line.column.kind)
    value = amount(row[line.index], line.column.kind)
    if row is table.rows[0] or not first or value is None:
        return ""
    return f" ({round(100 * value / first)}% of {_label(table.rows[0][0], table.columns[0].kind)})"
