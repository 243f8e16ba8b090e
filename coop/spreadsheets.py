"""Spreadsheets for download: every cell written as text or a number, never a formula.

Identity, phone and card numbers stay text (Excel keeps only 15 digits of a
number), and text starting with = + - @ is stored as a string, not evaluated.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

import xlsxwriter


def xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    for column, name in enumerate(header):
        sheet.write_string(0, column, name, bold)
    widths = [len(name) * 2 + 2 for name in header]
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row_number, column, value)
            else:
                text = "" if value is None else str(value)
                sheet.write_string(row_number, column, text)
                widths[column] = max(widths[column], min(40, len(text) * 2 + 2))
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def attachment(filename: str) -> dict[str, str]:
    """Headers for a download whose name may be Chinese."""
    encoded = quote(filename)
    return {
        "Content-Disposition": f"attachment; filename=\"download.xlsx\"; filename*=UTF-8''{encoded}"
    }


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
