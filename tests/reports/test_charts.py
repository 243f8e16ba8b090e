"""The SVG chart builders: bar lengths, labels, escaping, month columns."""

import datetime as dt
import re

from coop.reports import charts

TRACK = charts.WIDTH - 56  # the bar's full length: the rest holds the figure


def _bar_widths(svg: str) -> list[int]:
    return [int(w) for w in re.findall(rf'width="(\d+)" height="14" fill="{charts.BAR}"', svg)]


def test_bars_scale_to_the_largest_value():
    rows = [{"name": "蔡家寺村", "n": 40}, {"name": "文石村", "n": 10}, {"name": "凉河村", "n": 0}]
    svg = charts.bars("各村会员", rows, "name", "n")
    assert _bar_widths(svg) == [TRACK, TRACK // 4, 0]
    assert re.findall(r">(\d+)</text>", svg) == ["40", "10", "0"]


def test_bars_out_of_their_own_total_show_done_of_total():
    rows = [{"name": "甲", "done": 4, "total": 6}, {"name": "乙", "done": 6, "total": 6}]
    svg = charts.bars("六有", rows, "name", "done", "total")
    assert _bar_widths(svg) == [round(TRACK * 4 / 6), TRACK]
    assert re.findall(r">(\d+/\d+)</text>", svg) == ["4/6", "6/6"]


def test_chart_names_are_escaped_and_long_ones_cut():
    rows = [{"name": "<b>蔡家寺村“黑黑黑”种养殖专业合作社联合社</b>", "n": 1}]
    svg = charts.bars("a & b", rows, "name", "n")
    assert ("<b>" in svg, 'aria-label="a &amp; b"' in svg, "…</text>" in svg) == (False, True, True)


def test_empty_chart_is_one_row_high_without_bars():
    svg = charts.bars("空", [], "name", "n")
    assert (_bar_widths(svg), 'height="38"' in svg) == ([], True)


def test_month_columns_show_each_month_with_its_figure_and_the_year_once():
    months = [
        (dt.date(2025, 12, 1), 3, 3),
        (dt.date(2026, 1, 1), 0, 3),
        (dt.date(2026, 2, 1), 12345, 12348),
    ]
    svg = charts.month_columns("每月入会人数", months)
    labels = re.findall(r'font-size="11">([^<]+)</text>', svg)
    assert labels == ["3", "12月", "0", "1月", "1.2万", "2月"]
    assert re.findall(r'font-size="10">(\d+)</text>', svg) == ["2026"]


def test_month_label_in_a_table_has_the_year():
    assert charts.month_label(dt.date(2026, 3, 1), with_year=True) == "2026年3月"
