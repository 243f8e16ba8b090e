"""One export machinery: a header and rows, written as CSV or XLSX.

Every cell is text or a number, never a formula: text starting with = + - @, a
tab or a carriage return gets a leading apostrophe in CSV and is written as a
string in XLSX. Identity, phone and card numbers stay text (Excel keeps only 15
digits of a number): in CSV they carry a trailing tab, which Excel reads as text
and which does not start the cell.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import BinaryIO
from urllib.parse import quote

import xlsxwriter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 64 * 1024


class Digits(str):
    """A number that must stay text: an ID, phone or card number."""


def safe_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(RISKY_STARTS) else text


def _csv_cell(value: object) -> object:
    if type(value) is str:  # most cells: the same as safe_text, without its checks
        return "'" + value if value.startswith(RISKY_STARTS) else value
    if isinstance(value, Digits):
        return f"{value}\t" if value else ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return safe_text(value)


def _aiter(rows: Iterable | AsyncIterable) -> AsyncIterable:
    """Rows to iterate with `async for`: an async iterable as it is (no extra generator
    step per row), a plain one wrapped."""
    return rows if isinstance(rows, AsyncIterable) else _from_plain(rows)


async def _from_plain(rows: Iterable) -> AsyncIterator:
    for row in rows:
        yield row


async def csv_chunks(header: Sequence[str], rows: Iterable | AsyncIterable) -> AsyncIterator[bytes]:
    """Any rows as CSV: each cell made safe here (see `_csv_cell`)."""
    async for chunk in csv_text(header, _safe_batches(rows)):
        yield chunk


async def _safe_batches(rows: Iterable | AsyncIterable, size: int = 500) -> AsyncIterator[list]:
    batch = []
    async for row in _aiter(rows):
        batch.append(list(map(_csv_cell, row)))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def csv_row(cells: Sequence) -> str:
    """One row as csv.writer writes it: quoted where needed, ended by CRLF."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def csv_header(header: Sequence[str]) -> bytes:
    """The first line of a CSV file: a BOM (so Excel on Chinese Windows reads UTF-8) and
    the column titles."""
    return "\ufeff".encode() + csv_row([safe_text(h) for h in header]).encode()


async def csv_text(
    header: Sequence[str], batches: AsyncIterable[Iterable[Iterable]]
) -> AsyncIterator[bytes]:
    """Rows whose cells are already safe CSV text (as `_csv_cell` makes them), a batch at a
    time, as UTF-8 after `csv_header`, streamed in chunks."""
    yield csv_header(header)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    async for batch in batches:
        writer.writerows(batch)
        if buffer.tell() > CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _write_cell(sheet, row: int, column: int, value: object, widths: list[int]) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool | Digits):
        sheet.write_number(row, column, value)
        return
    text = "" if value is None else str(value)
    sheet.write_string(row, column, text)
    if column < len(widths):
        widths[column] = max(widths[column], min(40, len(text) * 2 + 2))


async def xlsx_file(
    title: str,
    header: Sequence[str],
    rows: Iterable | AsyncIterable,
    path: str | BinaryIO,
    title_rows: Sequence[str] = (),
) -> int:
    """Write a workbook to `path` (or a file open for writing) in constant memory, under
    any `title_rows` (one text each, in the first column); the number of data rows."""
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    widths = [len(name) * 2 + 2 for name in header]
    for column, width in enumerate(widths):  # constant memory: widths are set up front
        sheet.set_column(column, column, max(width, 12))
    for line, text in enumerate(title_rows):
        sheet.write_string(line, 0, text, bold)
    top = len(title_rows)
    for column, name in enumerate(header):
        sheet.write_string(top, column, name, bold)
    count = 0
    async for row in _aiter(rows):
        count += 1
        for column, value in enumerate(row):
            _write_cell(sheet, top + count, column, value, widths)
    sheet.freeze_panes(top + 1, 0)
    book.close()
    return count


async def xlsx_chunks(
    title: str, header: Sequence[str], rows: Iterable | AsyncIterable, title_rows=()
) -> AsyncIterator[bytes]:
    """A workbook built in a temporary file, then sent in chunks; the file is removed."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await xlsx_file(title, header, rows, path, title_rows)
        with open(path, "rb") as built:
            while chunk := built.read(CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A small workbook in memory (sign-in sheets, results)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    for column, name in enumerate(header):
        sheet.write_string(0, column, name, bold)
    widths = [len(name) * 2 + 2 for name in header]
    for row_number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            _write_cell(sheet, row_number, column, value, widths)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def attachment(filename: str) -> dict[str, str]:
    """Headers for a download whose name may be Chinese."""
    ascii_name = "download" + os.path.splitext(filename)[1]
    encoded = quote(filename)
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
    }
