"""Small SVG charts drawn on the server: no chart library, no JavaScript, no inline styles.

Each builder returns markup-safe SVG. The drawing is 320 units wide and as tall
as its rows need; it shrinks to fit a narrow phone and never grows past its
natural size, so the text stays readable. The numbers are always in a table too.
"""

from __future__ import annotations

import datetime as dt

from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal
from markupsafe import Markup, escape

from coop.i18n import babel_locale

WIDTH = 320
INK = "#1d1d1f"
BAR = "#a4161a"  # the brand red: 7:1 against white
TRACK = "#e4e4e8"
LABEL_MAX = 18  # characters; longer names are cut with …


def _label(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def _figure(value: int) -> str:
    """A figure short enough for a chart: 1618; 2.4万 or 24K from ten thousand up."""
    if value < 10_000:
        return str(value)
    return format_compact_decimal(value, locale=babel_locale(), fraction_digits=1)


def _svg(title: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" font-size="13" fill="{INK}">'
        + "".join(body)
        + "</svg>"
    )


def bars(title: str, rows: list[dict], label: str, value: str, out_of: str | None = None) -> Markup:
    """Horizontal bars, one per row: its `label` above, the bar with its `value` beside it.

    Bars are scaled to the largest value; with `out_of`, each to its own total (4/6)."""
    row_height, bar_height, value_room = 38, 14, 56
    largest = max((row[value] for row in rows), default=0) or 1
    track = WIDTH - value_room
    body = []
    for n, row in enumerate(rows):
        top = n * row_height
        scale = (row[out_of] if out_of else largest) or 1
        length = round(track * min(row[value], scale) / scale)
        figure = f"{row[value]}/{row[out_of]}" if out_of else _figure(row[value])
        body.append(
            f'<text x="0" y="{top + 14}">{escape(_label(str(row[label])))}</text>'
            f'<rect x="0" y="{top + 19}" width="{track}" height="{bar_height}" fill="{TRACK}"/>'
            f'<rect x="0" y="{top + 19}" width="{length}" height="{bar_height}" fill="{BAR}"/>'
            f'<text x="{track + 6}" y="{top + 31}">{figure}</text>'
        )
    return _svg(title, max(len(rows), 1) * row_height, body)


def month_label(month: dt.date, with_year: bool = False) -> str:
    """ "3月" / "Mar" on a chart; "2026年3月" / "Mar 2026" in a table."""
    return format_skeleton("yMMM" if with_year else "MMM", month, locale=babel_locale())


def month_columns(title: str, months: list[tuple]) -> Markup:
    """One column per month from (month, figure, …) rows: the figure above, the month below."""
    height, plot_top, plot_bottom = 170, 18, 140
    count = max(len(months), 1)
    slot = WIDTH / count
    width = max(slot * 0.6, 2)
    top_value = max((row[1] for row in months), default=0) or 1
    body = [f'<line x1="0" y1="{plot_bottom}" x2="{WIDTH}" y2="{plot_bottom}" stroke="{INK}"/>']
    for n, (month, value, *_) in enumerate(months):
        centre = slot * n + slot / 2
        bar = round((plot_bottom - plot_top) * value / top_value)
        body.append(
            f'<rect x="{centre - width / 2:.1f}" y="{plot_bottom - bar}" width="{width:.1f}" '
            f'height="{bar}" fill="{BAR}"/>'
            f'<text x="{centre:.1f}" y="{plot_bottom - bar - 4}" text-anchor="middle" '
            f'font-size="11">{_figure(value)}</text>'
            f'<text x="{centre:.1f}" y="{plot_bottom + 15}" text-anchor="middle" '
            f'font-size="11">{escape(month_label(month))}</text>'
        )
        next_is_january = n + 1 < len(months) and months[n + 1][0].month == 1
        if month.month == 1 or (n == 0 and not next_is_january):  # the year, once per year
            body.append(
                f'<text x="{centre:.1f}" y="{plot_bottom + 28}" text-anchor="middle" '
                f'font-size="10">{month.year}</text>'
            )
    return _svg(title, height, body)
