"""The 会员增减变动表 as a workbook, in the layout unions exchange: a title, the period,
two header rows (the increases and decreases grouped), then each union's lines."""

from __future__ import annotations

import io

import xlsxwriter

from coop.i18n import translate
from coop.reports.membership import COLUMN_NAMES, COLUMNS, GROUP_NAMES, MembershipReport
from coop.validation import Msg

MEMBERSHIP_TITLE = Msg("Membership changes table")
_GROUPED = {  # header cells spanning columns: (first, last, label)
    "joined": ("joined", "transferred_in", Msg("Increase")),
    "transferred_out": ("transferred_out", "withdrawn", Msg("Decrease")),
}


def membership_xlsx(table: MembershipReport) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(translate(MEMBERSHIP_TITLE)[:31])
    title = book.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = book.add_format({"bold": True, "border": 1, "align": "center", "text_wrap": True})
    cell = book.add_format({"border": 1})
    width = 2 + len(COLUMNS)
    sheet.merge_range(0, 0, 0, width - 1, translate(MEMBERSHIP_TITLE), title)
    period = translate(Msg("Period: {start} to {end}", start=table.start, end=table.end))
    sheet.merge_range(1, 0, 1, width - 1, period)
    sheet.merge_range(2, 0, 3, 0, translate(Msg("Union")), head)
    sheet.merge_range(2, 1, 3, 1, translate(Msg("Line")), head)
    spans = {}
    for first, last, label in _GROUPED.values():
        a, b = 2 + COLUMNS.index(first), 2 + COLUMNS.index(last)
        sheet.merge_range(2, a, 2, b, translate(label), head)
        spans.update(dict.fromkeys(range(a, b + 1)))
    for i, column in enumerate(COLUMNS, start=2):
        if i in spans:
            sheet.write_string(3, i, translate(COLUMN_NAMES[column]), head)
        else:
            sheet.merge_range(2, i, 3, i, translate(COLUMN_NAMES[column]), head)
    row = 4
    for union in [*table.unions, table.total]:
        name = union.name or translate(Msg("All unions"))
        for group, figures in union.groups.items():
            sheet.write_string(row, 0, name, cell)
            sheet.write_string(row, 1, translate(GROUP_NAMES[group]), cell)
            for i, column in enumerate(COLUMNS, start=2):
                sheet.write_number(row, i, figures[column], cell)
            row += 1
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, width - 1, 10)
    sheet.freeze_panes(4, 2)
    book.close()
    return buffer.getvalue()
