"""Roster import of hostile or odd files: every file is read within one budget (lines,
columns, cells, cell length, unpacked size) and refused with a message past it."""

import asyncio
import io
import tracemalloc
import zipfile

import pytest
import xlsxwriter

from coop.members import imports, roster_file
from coop.validation import ValidationError
from tests.factories import csrf_token, mobile, resident_id, sign_in

HEADER = ["姓名", "身份证号", "手机号", "村", "合作社"]
TOO_MANY_ROWS = "At most {rows} rows at a time: split the file."
TOO_WIDE = (
    "The sheet has cells beyond column {columns}. Delete the columns you do not need, "
    "or copy the roster into a new sheet."
)
TOO_LONG = "Line {line} has a cell longer than {chars} characters."


def _person() -> list[str]:
    return ["王五", resident_id(), mobile(), "蔡家寺村", "蔡家寺村“黑黑黑”合作社"]


def _xlsx_with_a_far_cell(row: int, column: int) -> bytes:
    """Headers in the first row and one cell far away (0-based row and column)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER[:3])
    sheet.write_string(row, column, "x")
    book.close()
    return buffer.getvalue()


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet_xml(rows: list[str], dimension: str = "A1:E2") -> bytes:
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>"
    ).encode()


def _header_row() -> str:
    return (
        '<row r="1">'
        + "".join(_cell(f"{c}1", t) for c, t in zip("ABCDE", HEADER, strict=True))
        + "</row>"
    )


def _handmade_xlsx(sheet_xml: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """The smallest workbook calamine reads, with the sheet given, as an attacker writes one."""
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'xmlns:r="{relationships}"><sheets><sheet name="S" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _refusal(data: bytes) -> str:
    with pytest.raises(ValidationError) as error:
        imports.read_roster(data)
    message = error.value.errors["file"]
    return message.text.format(**message.params)


def test_workbook_with_a_cell_past_the_column_limit_refused():
    data = _xlsx_with_a_far_cell(1, roster_file.MAX_COLUMNS)  # one column past the last allowed
    assert _refusal(data) == TOO_WIDE.format(columns=roster_file.MAX_COLUMNS)


def test_workbook_with_a_cell_past_the_line_limit_refused():
    data = _xlsx_with_a_far_cell(roster_file.MAX_LINES, 0)
    assert _refusal(data) == TOO_MANY_ROWS.format(rows=imports.MAX_ROWS)


def test_workbook_whose_dimension_understates_its_cells_refused():
    far = (
        f'<row r="{roster_file.MAX_LINES + 1}">{_cell(f"A{roster_file.MAX_LINES + 1}", "x")}</row>'
    )
    data = _handmade_xlsx(_sheet_xml([_header_row(), far], dimension="A1:E2"))
    assert _refusal(data) == TOO_MANY_ROWS.format(rows=imports.MAX_ROWS)


def test_workbook_cells_without_positions_counted_where_calamine_puts_them():
    """Cells and rows without an r attribute follow the one before (calamine's placing)."""
    unplaced = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * (roster_file.MAX_LINES + 5)
    data = _handmade_xlsx(_sheet_xml([_header_row(), unplaced]))
    assert _refusal(data) == TOO_MANY_ROWS.format(rows=imports.MAX_ROWS)
    wide = "<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * (roster_file.MAX_COLUMNS + 1)
    data = _handmade_xlsx(_sheet_xml([_header_row(), wide + "</row>"]))
    assert _refusal(data) == TOO_WIDE.format(columns=roster_file.MAX_COLUMNS)


def test_workbook_cell_placed_by_an_attribute_hidden_in_another_refused():
    """Only a real r attribute places a cell; one written inside another's value does not."""
    hidden = '<row><c t="inlineStr" x=" r=\'A1\'" r="A1048576"><is><t>x</t></is></c>'
    data = _handmade_xlsx(_sheet_xml([_header_row(), hidden + "</row>"]))
    assert _refusal(data) == TOO_MANY_ROWS.format(rows=imports.MAX_ROWS)


def test_workbook_empty_cells_far_away_take_no_room():
    """Formatting alone (a self-closing cell) is no content: calamine skips it."""
    far = '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    two = '<row r="2">' + "".join(_cell(f"{c}2", "x") for c in "ABCDE") + "</row>"
    data = _handmade_xlsx(_sheet_xml([_header_row(), two, far]))
    assert imports.read_roster(data).rows == [(2, ["x"] * 5)]


def _ods(rows: int, columns: int) -> bytes:
    """A sheet whose second row, one cell repeated `columns` times, repeats `rows` times."""
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    content = (
        '<?xml version="1.0"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        f'xmlns:table="{table}" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        '<office:body><office:spreadsheet><table:table table:name="S"><table:table-row>'
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{title}</text:p>'
            "</table:table-cell>"
            for title in HEADER
        )
        + f'</table:table-row><table:table-row table:number-rows-repeated="{rows}">'
        f'<table:table-cell table:number-columns-repeated="{columns}" '
        'office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048000">'
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type='
            '"application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>',
        )
    return buffer.getvalue()


def test_ods_whose_repeated_cells_reach_past_the_column_limit_refused():
    """15,000 rows of 5,000 repeated cells: 1.5 GB in calamine, from a 1.4 KB file."""
    assert _refusal(_ods(15_000, 5_000)) == TOO_WIDE.format(columns=roster_file.MAX_COLUMNS)


def test_ods_whose_repeated_rows_reach_past_the_line_limit_refused():
    assert _refusal(_ods(roster_file.MAX_LINES, 5)) == TOO_MANY_ROWS.format(rows=imports.MAX_ROWS)


def test_ods_with_empty_repeated_rows_after_the_roster_read():
    """LibreOffice ends a formatted sheet with empty rows repeated to the last line."""
    assert imports.read_roster(_ods(2, 5)).rows == [(2, ["x"] * 5), (3, ["x"] * 5)]


def test_workbook_of_300000_rows_refused_without_reading_them_into_memory():
    row = '<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>王五</t></is></c></row>'
    rows = [_header_row(), *(row.format(n=n) for n in range(2, 300_002))]
    data = _handmade_xlsx(_sheet_xml(rows))
    tracemalloc.start()
    try:
        refused = _refusal(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (refused, peak < 5_000_000) == (TOO_MANY_ROWS.format(rows=imports.MAX_ROWS), True)


def test_workbook_whose_parts_unpack_past_the_budget_refused():
    """A shared-strings part of zeros: 100 KB in the zip, past 100 MB unpacked."""
    bomb = {"xl/sharedStrings.xml": b"0" * (roster_file.MAX_UNPACKED + 1)}
    data = _handmade_xlsx(_sheet_xml([_header_row()]), bomb)
    assert len(data) < 1_000_000
    assert _refusal(data) == imports.TOO_LARGE.text.format(**imports.TOO_LARGE.params)


def test_workbook_cell_longer_than_the_limit_refused_with_its_line():
    long = "长" * (imports.MAX_CELL_CHARS + 1)
    rows = [_header_row(), '<row r="2">' + _cell("A2", "王五") + _cell("B2", long) + "</row>"]
    data = _handmade_xlsx(_sheet_xml(rows))
    assert _refusal(data) == TOO_LONG.format(line=2, chars=imports.MAX_CELL_CHARS)


def test_workbook_lines_kept_when_the_first_rows_and_columns_are_empty():
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(2, 1, HEADER)
    sheet.write_row(4, 1, ["王五", "110", "1990", "村", "社"])
    book.close()
    sheet = imports.read_roster(buffer.getvalue())
    assert (sheet.header, sheet.rows) == (
        ["", *HEADER],
        [(5, ["", "王五", "110", "1990", "村", "社"])],
    )


def test_csv_with_cr_only_line_endings_read():
    """Excel for Mac saves CSV with a carriage return alone at each line's end."""
    first, second = _person(), _person()
    data = "\r".join(",".join(row) for row in [HEADER, first, second]).encode("utf-8")
    sheet = imports.read_roster(data)
    assert (sheet.header, sheet.rows) == (HEADER, [(2, first), (3, second)])


def test_csv_cell_past_the_csv_module_limit_refused_with_its_line():
    data = ",".join(HEADER).encode() + b"\r\n" + b"x" * 131_073 + b",1\r\n"
    assert _refusal(data) == TOO_LONG.format(line=2, chars=imports.MAX_CELL_CHARS)


def test_csv_cell_longer_than_the_limit_refused_with_its_line():
    data = ",".join(HEADER).encode() + b"\r\n" + b"x" * (imports.MAX_CELL_CHARS + 1) + b",1\r\n"
    assert _refusal(data) == TOO_LONG.format(line=2, chars=imports.MAX_CELL_CHARS)


def test_csv_past_the_line_limit_refused():
    data = ("\r\n".join([",".join(HEADER), *["a,b"] * roster_file.MAX_LINES])).encode()
    assert _refusal(data) == TOO_MANY_ROWS.format(rows=imports.MAX_ROWS)


def test_csv_past_the_column_limit_refused():
    data = ",".join(HEADER).encode() + b"\r\n" + b"," * roster_file.MAX_COLUMNS + b"\r\n"
    assert _refusal(data) == TOO_WIDE.format(columns=roster_file.MAX_COLUMNS)


async def test_reading_an_upload_leaves_the_server_free_to_answer_others():
    """The file is read in a worker thread: other tasks run while it is read."""
    data = ("\r\n".join(",".join(row) for row in [HEADER, *[_person()] * 20_000])).encode()
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    before = ticks
    sheet = await imports.read_upload(data)
    ticker.cancel()
    assert (len(sheet.rows), ticks - before > 1) == (20_000, True)


# --- the page ---------------------------------------------------------------------------


async def _upload(client, data: bytes, filename: str):
    page = await client.get("/members/import")
    return await client.post(
        "/members/import",
        data={"_csrf_token": csrf_token(page)},
        files={"file": (filename, data, "application/octet-stream")},
        follow_redirects=False,
    )


async def test_upload_reaching_past_the_last_column_refused_on_the_page(client, world):
    await sign_in(client, "federation")
    refused = await _upload(client, _xlsx_with_a_far_cell(1, 1_000), "花名册.xlsx")
    expected = "表格在第 100 列之后还有内容。请删除不需要的列，或把花名册复制到新的工作表中。"
    assert (refused.status_code, expected in refused.text) == (422, True)


async def test_upload_with_a_cell_past_the_csv_module_limit_refused_on_the_page(client, world):
    await sign_in(client, "federation")
    data = ",".join(HEADER).encode() + b"\r\n" + b"x" * 131_073 + b",1\r\n"
    refused = await _upload(client, data, "花名册.csv")
    expected = "第 2 行有单元格超过 1000 个字。"
    assert (refused.status_code, expected in refused.text) == (422, True)
