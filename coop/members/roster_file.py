"""A roster file as rows of text, within a budget: what `imports` reads before it looks for
the header. XLSX, XLS and ODS are read by python-calamine, but only after the workbook's own
XML says where its cells are (calamine lays a sheet out densely, so one cell far away would ask
for gigabytes); CSV in UTF-8, UTF-8 with BOM, UTF-16 or GB18030, any line ending."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile

from python_calamine import CalamineError, CalamineWorkbook

from coop.validation import Msg, ValidationError

MAX_BYTES = 10_000_000  # the request body limit too; a 10,000-row roster is about 1 MB
MAX_ROWS = 20_000
TOO_LARGE = Msg(
    "The file is larger than {size} MB. Split it into smaller files.", size=MAX_BYTES // 1_000_000
)
HEADER_SEARCH_ROWS = 20  # title rows, notes and blank lines above the header
# The budget of one file, whatever its size on disk: lines a sheet may reach (the rows,
# the header and what may stand above it), columns, cells and the characters of a cell.
# calamine lays a sheet out as one dense grid of 32-byte cells, so 1,000,000 cells is
# 32 MB at most; a cell at XFD1048576 alone would ask for 550 GB.
MAX_LINES = MAX_ROWS + HEADER_SEARCH_ROWS + 1
MAX_COLUMNS = 100
MAX_CELLS = 1_000_000
MAX_CELL_CHARS = 1_000
MAX_UNPACKED = 100_000_000  # a workbook is a zip: what it unpacks to, every part together
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # XLSX/ODS (zip), XLS (OLE)


def file_rows(data: bytes) -> list[list[str]]:
    """Every row of the file (a workbook: its first sheet with anything in it) as text."""
    return _workbook_rows(data) if data.startswith(WORKBOOK_MAGIC) else _csv_rows(data)


def _unreadable() -> ValidationError:
    return ValidationError(
        {"file": Msg("This is not a spreadsheet we can read: upload an XLSX, XLS or CSV file.")}
    )


def _number_text(value: float) -> str:
    """A number cell as the text typed; a big one keeps the exponent so lost digits show."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15G}"


def _cell_text(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else ""
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value if value is not None else "")


def too_many_rows() -> ValidationError:
    return ValidationError(
        {"file": Msg("At most {rows} rows at a time: split the file.", rows=MAX_ROWS)}
    )


def _too_wide() -> ValidationError:
    return ValidationError(
        {
            "file": Msg(
                "The sheet has cells beyond column {columns}. Delete the columns you do "
                "not need, or copy the roster into a new sheet.",
                columns=MAX_COLUMNS,
            )
        }
    )


# The start of a row, cell or sheet element in a workbook part (any namespace prefix):
# XLSX's row and c, whose r attribute places them ("7", "C7"); ODS's table, table-row and
# table-cell, which may stand for several (number-rows-repeated, number-columns-repeated).
_SHEET_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c|table-row|table-cell|covered-table-cell|table)[\s/>]"
)
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_POSITION = re.compile(rb"([A-Za-z]*)(\d*)")
_UNFINISHED_TAG = 65_536  # longer than any row or cell tag a spreadsheet writes


class _SheetExtent:
    """The last line and column holding a value that a part's cells reach, as calamine
    places them: at their position, else after the one before, repeated as they say. A
    self-closing cell is empty and takes no room (calamine skips it; LibreOffice writes
    the rest of a formatted sheet as such cells, repeated a million times)."""

    def __init__(self) -> None:
        self.line = self.column = 0  # where the reading stands
        self.first = 1  # the first line of the row being read (ODS rows may repeat)
        self.lines = self.columns = 0  # the extent of the cells with a value
        self.carry = b""

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk
        end = 0
        for tag in _SHEET_TAG.finditer(text):
            close = text.find(b">", tag.end() - 1)
            if close < 0:
                break
            end = close + 1
            self._element(tag.group(1), text[tag.end() - 1 : end])
        start = text.rfind(b"<", end)
        self.carry = text[start:] if start >= 0 and text.find(b">", start) < 0 else b""
        if len(self.carry) > _UNFINISHED_TAG:
            raise _unreadable()

    def _element(self, name: bytes, attributes: bytes) -> None:
        if name == b"table":  # an ODS sheet: a grid of its own
            self.line = self.column = self.lines = self.columns = 0
            return
        letters, digits, count = b"", b"", 1
        for key, double, single in _ATTRIBUTE.findall(attributes):  # the largest, if twice
            value = double or single
            if key == b"r":
                found = _POSITION.fullmatch(value)
                if found is None:
                    raise _unreadable()
                letters = max(letters, found.group(1).upper(), key=lambda x: (len(x), x))
                digits = max(digits, found.group(2), key=lambda x: (len(x), x))
            elif key.endswith((b"number-rows-repeated", b"number-columns-repeated")):
                count = max(count, _bounded(value))
        if name in (b"row", b"table-row"):
            self.first = _bounded(digits) if digits else self.line + 1
            self.line, self.column = self.first + count - 1, 0
            return
        if letters:
            if len(letters) > 3:
                raise _too_wide()
            self.column = _column_number(letters) + count - 1
            self.line = max(self.line, _bounded(digits)) if digits else self.line
        else:
            self.column += count
        if attributes.endswith(b"/>"):
            return
        self.lines, self.columns = max(self.lines, self.line), max(self.columns, self.column)
        if self.columns > MAX_COLUMNS:
            raise _too_wide()
        if self.lines > MAX_LINES or self.lines * self.columns > MAX_CELLS:
            raise too_many_rows()


def _bounded(digits: bytes) -> int:
    """A line or repeat count, capped past any limit (int() of thousands of digits fails)."""
    if not digits.isdigit():
        raise _unreadable()
    return int(digits[:9] or b"0") if len(digits) <= 9 else 10**9


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _check_workbook_extent(data: bytes) -> None:
    """Refuse a zipped workbook (XLSX, ODS) whose parts unpack past the budget or whose
    cells reach past the lines and columns allowed, before calamine reads it: calamine
    makes each sheet one dense grid from its first to its last cell. Every part is
    scanned, whatever its name, as the workbook's links may name any part a sheet; the
    cells are found in the XML itself, as the <dimension> a file declares may lie."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return  # calamine refuses it in turn
    unpacked = 0
    with archive:
        for info in archive.infolist():
            extent = _SheetExtent()
            try:
                with archive.open(info) as part:
                    while chunk := part.read(64 * 1024):
                        unpacked += len(chunk)
                        if unpacked > MAX_UNPACKED:
                            raise ValidationError({"file": TOO_LARGE})
                        extent.feed(chunk)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
                raise _unreadable() from error


def _workbook_rows(data: bytes) -> list[list[str]]:
    """The first sheet with anything in it, row by row, up to the budget of lines."""
    _check_workbook_extent(data)
    try:
        with CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
            for index in range(len(book.sheet_names)):
                sheet = book.get_sheet_by_index(index)
                if sheet.end is None:
                    continue
                lines, columns = sheet.end[0] + 1, sheet.end[1] + 1
                if columns > MAX_COLUMNS:
                    raise _too_wide()
                if lines > MAX_LINES or lines * columns > MAX_CELLS:
                    raise too_many_rows()
                # iter_rows starts at the first line but at the first column used
                before = [""] * sheet.start[1]
                rows = [[*before, *map(_cell_text, row)] for row in sheet.iter_rows()]
                if any(any(cell for cell in row) for row in rows):
                    return rows
    except CalamineError as error:
        raise _unreadable() from error
    return []


def _decode(data: bytes) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding)
    if b"\x00" in data:
        raise _unreadable()
    for encoding in ("utf-8", "gb18030"):  # GB18030 covers GBK and GB2312: Excel's 中文 CSV
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        {
            "file": Msg(
                "The file's text is in an encoding we cannot read. Save it as CSV UTF-8 "
                "or as an Excel workbook."
            )
        }
    )


def _csv_rows(data: bytes) -> list[list[str]]:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    # newline="": lines may end in CR alone (Excel for Mac), LF or CRLF, as csv expects
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = []
    try:
        for row in reader:
            if len(rows) == MAX_LINES:
                raise too_many_rows()
            if len(row) > MAX_COLUMNS:
                raise _too_wide()
            rows.append(row)
    except csv.Error as error:  # a field past csv's own limit, or a stray quote
        if "field larger than field limit" in str(error):
            raise cell_too_long(reader.line_num) from error
        raise _unreadable() from error
    return rows


def cell_too_long(line: int) -> ValidationError:
    return ValidationError(
        {
            "file": Msg(
                "Line {line} has a cell longer than {chars} characters.",
                line=line,
                chars=MAX_CELL_CHARS,
            )
        }
    )
