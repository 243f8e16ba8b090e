"""Roster import: reading real-world spreadsheets, the preview, and the all-or-nothing commit."""

import asyncio
import datetime as dt
import io
import os
import re
import signal
import sqlite3
import sys
import time

import pytest
import xlsxwriter

from coop.audit.domain import recent
from coop.members import domain as members
from coop.members import exports, imports
from coop.members.identity import make_resident_id
from coop.members.tables import Member
from coop.spreadsheets import csv_chunks, xlsx_file
from coop.validation import Forbidden, NotFound, ValidationError
from tests.factories import csrf_token, make_member, mobile, resident_id, sign_in

HEADER = ["姓名", "身份证号", "手机号", "村", "合作社", "骨干", "民族"]


def _csv(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    return "\r\n".join(",".join(row) for row in rows).encode(encoding)


def _xlsx(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def _person(name: str = "王五", number: str | None = None, **changes) -> list[str]:
    row = dict(
        name=name,
        number=number or resident_id(),
        phone=mobile(),
        village="蔡家寺村",
        cooperative="蔡家寺村“黑黑黑”合作社",
        backbone="否",
        ethnicity="汉族",
    )
    row.update(changes)
    return list(row.values())


async def _preview(viewer, data: bytes, defaults: imports.Defaults | None = None):
    sheet = imports.read_roster(data)
    mapping = imports.guess_mapping(sheet.header)
    return await imports.preview(viewer, sheet, mapping, defaults or imports.Defaults())


def _outcomes(found: imports.Preview) -> list[tuple[int, str]]:
    return [(row.line, row.outcome) for row in found.rows]


def _problems(found: imports.Preview, line: int) -> list[str]:
    [row] = [row for row in found.rows if row.line == line]
    return [message.text for _, message in row.problems]


# --- reading -------------------------------------------------------------------------


def test_header_found_below_merged_title_rows_and_trailing_empty_rows_dropped():
    data = _xlsx([["蔡家寺村会员花名册"], [""], HEADER, _person(), ["", "", ""], [""]])
    sheet = imports.read_roster(data)
    assert sheet.header == HEADER
    assert [line for line, _ in sheet.rows] == [4]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_read_in_every_encoding_excel_writes(encoding):
    sheet = imports.read_roster(_csv([HEADER, _person("张三")], encoding))
    assert sheet.rows[0][1][0] == "张三"


def test_empty_file_refused():
    with pytest.raises(ValidationError) as refused:
        imports.read_roster(b"")
    assert refused.value.errors["file"].text == "The file is empty."


def test_file_over_the_size_limit_refused():
    with pytest.raises(ValidationError) as refused:
        imports.read_roster(b"a" * (imports.MAX_BYTES + 1))
    assert refused.value.errors["file"].params == {"size": 10}


def test_file_that_is_not_a_spreadsheet_refused():
    with pytest.raises(ValidationError) as refused:
        imports.read_roster(b"PK\x03\x04 not really a zip" + bytes(range(256)))
    assert refused.value.errors["file"].text.startswith("This is not a spreadsheet")


def test_text_in_an_unknown_encoding_refused():
    with pytest.raises(ValidationError) as refused:
        imports.read_roster("姓名,身份证号\n".encode() + b"\xff\xfe\x80\x81\xff")
    assert refused.value.errors["file"].text.startswith("The file's text is in an encoding")


def test_sheet_without_a_recognisable_header_refused():
    with pytest.raises(ValidationError) as refused:
        imports.read_roster(_csv([["a", "b"], ["1", "2"]]))
    assert refused.value.errors["file"].text.startswith("No header row found")


def test_columns_guessed_from_english_headers_too():
    header = ["Full name", "Resident ID number", "Mobile number", "Village", "Cooperative"]
    assert imports.guess_mapping(header) == {
        "name": 0,
        "resident_id": 1,
        "phone": 2,
        "village": 3,
        "cooperative": 4,
    }


def test_column_mapped_twice_refused():
    with pytest.raises(ValidationError) as refused:
        imports.check_mapping(
            HEADER,
            {"name": 0, "resident_id": 1, "phone": 1, "village": 3, "cooperative": 4},
            imports.Defaults(),
        )
    assert refused.value.errors == {
        "phone": imports.Msg(
            "Column “{column}” is already chosen for another field.", column="身份证号"
        )
    }


# --- the preview -----------------------------------------------------------------------


async def test_preview_sorts_rows_into_new_existing_and_errors(world):
    tree, who = world
    known = resident_id()
    await make_member(who["village"], tree, "张三", id_number=known)
    twice = resident_id()
    data = _csv(
        [
            HEADER,
            _person("王五"),
            _person("张三", known),
            _person("李四", known[:-1] + ("0" if known[-1] != "0" else "1")),
            _person("赵六", twice),
            _person("钱七", twice),
            _person("孙八", phone="12345"),
            _person("周九", village="不存在村"),
        ]
    )
    found = await _preview(who["federation"], data)
    assert _outcomes(found) == [
        (2, "new"),
        (3, "existing"),
        (4, "error"),
        (5, "new"),
        (6, "error"),
        (7, "error"),
        (8, "error"),
    ]
    assert _problems(found, 4) == ["The check digit does not match: a digit is probably mistyped."]
    assert _problems(found, 6) == ["The same ID number as line {line}."]
    assert _problems(found, 7) == ["Enter an 11-digit mainland mobile number starting with 1."]
    assert _problems(found, 8) == ["No village of that name in the cooperative's town."]
    assert found.rows[1].member_id is not None


async def test_preview_cleans_spreadsheet_mess(world):
    tree, who = world
    number = resident_id(area="500113")
    messy = number[:-1] + number[-1].lower()
    wide = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    other = resident_id()
    data = _xlsx(
        [
            HEADER,
            _person(" 王五 ", messy if messy != number else number),
            _person("马六", wide.replace(wide[:6], wide[:3] + " " + wide[3:6])),
            _person("陈七", other, phone=float(mobile())),
        ]
    )
    found = await _preview(who["federation"], data)
    assert _outcomes(found) == [(2, "new"), (3, "error"), (4, "new")]
    assert _problems(found, 3) == ["The same ID number as line {line}."]
    assert found.rows[0].name == "王五"


async def test_id_stored_as_a_number_flagged_as_unrecoverable(world):
    _, who = world
    number = resident_id()
    data = _xlsx([HEADER, _person("王五", float(number))])
    found = await _preview(who["federation"], data)
    assert _problems(found, 2) == [
        "The spreadsheet stored this ID number as a number and lost its last digits. "
        "Format the column as text and type the numbers again."
    ]
    found = await _preview(who["federation"], _csv([HEADER, _person("王五", "5.00113E+17")]))
    assert _outcomes(found) == [(2, "error")]


async def test_default_cooperative_and_village_fill_rows_that_name_none(world):
    tree, who = world
    data = _csv([["姓名", "身份证号", "手机号"], _person()[:3]])
    defaults = imports.Defaults(cooperative_id=tree.cooperative, village_id=tree.village)
    found = await _preview(who["federation"], data, defaults)
    assert _outcomes(found) == [(2, "new")]
    with pytest.raises(ValidationError) as refused:
        await _preview(who["federation"], data)
    assert set(refused.value.errors) == {"village", "cooperative"}


async def test_cooperative_outside_scope_is_an_error_row(world):
    tree, who = world
    data = _csv([HEADER, _person(village="桂花村", cooperative="桂花村果蔬合作社")])
    found = await _preview(who["federation"], data)
    assert (
        _problems(found, 2)
        == [
            "No cooperative of that name among yours.",
            "This field is required.",
        ]
        or _problems(found, 2)[0] == "No cooperative of that name among yours."
    )


async def test_village_organizer_cannot_import(world):
    _, who = world
    with pytest.raises(Forbidden):
        await _preview(who["village"], _csv([HEADER, _person()]))


# --- committing ------------------------------------------------------------------------


async def _commit(viewer, data: bytes, **options):
    sheet = imports.read_roster(data)
    options.setdefault("skip_errors", False)
    options.setdefault("expected_new", None)
    return await imports.commit(
        viewer,
        sheet,
        imports.guess_mapping(sheet.header),
        imports.Defaults(),
        filename="roster.csv",
        **options,
    )


async def test_commit_creates_applicants_findable_by_pinyin_and_audits(world):
    _, who = world
    data = _csv([HEADER, _person("王五", backbone="是"), _person("李四", ethnicity="回族")])
    result = await _commit(who["federation"], data, expected_new=2)
    assert (result.created, result.existing, result.skipped) == (2, 0, 0)
    page = await members.search(who["federation"], members.MemberFilter(q="ww"))
    assert [(r["name"], r["status"], r["is_backbone"]) for r in page.rows] == [
        ("王五", "applicant", True)
    ]
    record = await members.get_member(who["federation"], page.rows[0]["id"])
    assert record["ethnicity"] == "01"
    [entry] = [e for e in await recent(10) if e["action"] == "import"]
    assert entry["detail"] == "file=roster.csv created=2 existing=0 skipped=0"


async def test_an_imported_person_is_written_as_an_enrolled_one(world):
    tree, who = world
    organizer = who["federation"]
    enrolled = await members.enroll(
        organizer,
        members.EnrollmentInput(
            name="张三",
            resident_id=resident_id(),
            phone=mobile(),
            cooperative_id=tree.cooperative,
            village_id=tree.village,
            worker_post="sales",
        ),
    )
    header = [*HEADER, "岗位"]
    await _commit(organizer, _csv([header, [*_person("王五"), "销售"]]), expected_new=1)
    [imported] = (await members.search(organizer, members.MemberFilter(q="ww"))).rows

    def written(record):
        return (
            record.member["status"],
            record.member["version"],
            record.member["worker_post"],
            [(e["action"], e["actor_name"]) for e in record.events],
            [(p["post"], p["started_on"], p["ended_on"], p["recorded_by"]) for p in record.posts],
        )

    today = members.local_today()
    expected = (
        "applicant",
        1,
        "sales",
        [("applied", "Federation")],
        [("sales", today, None, organizer.id)],
    )
    assert written(await members.member_record(organizer, enrolled)) == expected
    assert written(await members.member_record(organizer, imported["id"])) == expected
    assert [
        e["detail"] for e in (await members.member_record(organizer, imported["id"])).events
    ] == ["import"]
    for term in ("zs", "ww"):
        assert len((await members.search(organizer, members.MemberFilter(q=term))).rows) == 1


async def test_commit_with_error_rows_refused_unless_valid_rows_only_chosen(world):
    _, who = world
    data = _csv([HEADER, _person("王五"), _person("孙八", phone="123")])
    with pytest.raises(ValidationError):
        await _commit(who["federation"], data)
    assert await Member.count() == 0
    result = await _commit(who["federation"], data, skip_errors=True)
    assert (result.created, result.skipped) == (1, 1)


async def test_commit_refused_when_rows_changed_since_preview(world):
    tree, who = world
    number = resident_id()
    data = _csv([HEADER, _person("王五"), _person("张三", number)])
    await make_member(who["village"], tree, "张三", id_number=number)  # enrolled meanwhile
    with pytest.raises(ValidationError) as refused:
        await _commit(who["federation"], data, expected_new=2)
    assert refused.value.errors["confirm"].text.startswith("The rows changed since the preview")
    assert await Member.count() == 1


async def test_export_then_import_matches_every_person(world):
    tree, who = world
    for name in ("张三", "李四", "王五"):
        await make_member(who["village"], tree, name)
    export = exports.RosterExport(
        who["federation"], members.MemberFilter(), exports.STANDARD, True, "csv"
    )
    data = b"".join(
        [chunk async for chunk in csv_chunks(exports.header(export.keys), export.rows())]
    )
    found = await _preview(who["federation"], data)
    assert _outcomes(found) == [(2, "existing"), (3, "existing"), (4, "existing")]


async def test_exported_xlsx_imports_without_errors(world, tmp_path):
    tree, who = world
    await make_member(who["village"], tree, "张三")
    export = exports.RosterExport(
        who["federation"], members.MemberFilter(), exports.STANDARD, True, "xlsx"
    )
    path = tmp_path / "roster.xlsx"
    await xlsx_file("花名册", exports.header(export.keys), export.rows(), str(path))
    found = await _preview(who["federation"], path.read_bytes())
    assert _outcomes(found) == [(2, "existing")]


async def test_upload_kept_for_its_user_only_and_dropped(world):
    _, who = world
    sheet = imports.read_roster(_csv([HEADER, _person()]))
    token = await imports.save_upload(who["federation"], "roster.csv", sheet)
    filename, again = await imports.load_upload(who["federation"], token)
    assert (filename, again) == ("roster.csv", sheet)
    with pytest.raises(NotFound):
        await imports.load_upload(who["admin"], token)
    await imports.drop_upload(who["federation"], token)
    with pytest.raises(NotFound):
        await imports.load_upload(who["federation"], token)


async def _in_write_transaction(settings) -> bool:
    """Whether another process holds a write transaction open right now."""
    if not settings.database_url.startswith("postgres"):
        path = settings.database_url.removeprefix("sqlite:///")
        try:
            with sqlite3.connect(path, timeout=0) as other:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
            return False
        except sqlite3.OperationalError:
            return True
    [row] = await Member.raw(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'"
    ).run()
    return row["n"] > 0


async def test_import_killed_halfway_leaves_no_rows(world, settings, tmp_path):
    """`coop import members FILE --commit` killed inside its transaction: nothing lands."""
    path = tmp_path / "big.csv"
    people = [
        _person(f"王{i}", make_resident_id("500113", dt.date(1970 + i // 1000, 1, 1), i))
        for i in range(5000)
    ]
    path.write_bytes(_csv([HEADER, *people]))
    env = {**os.environ, "COOP_DATA_DIR": str(settings.data_dir)}
    env["COOP_DATABASE_URL"] = settings.database_url
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "coop.cli",
        "import",
        "members",
        str(path),
        "--commit",
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    summary = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    assert summary == "5000 new, 0 already registered, 0 with errors.\n"
    assert (await asyncio.wait_for(process.stdout.readline(), 60)).decode() == "Importing…\n"
    deadline = time.monotonic() + 30
    while not await _in_write_transaction(settings):
        assert time.monotonic() < deadline and process.returncode is None
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    assert await process.wait() == -signal.SIGKILL
    assert await Member.count() == 0


# --- the pages -------------------------------------------------------------------------


async def _upload(client, data: bytes, filename: str = "花名册.csv"):
    page = await client.get("/members/import")
    return await client.post(
        "/members/import",
        data={"_csrf_token": csrf_token(page)},
        files={"file": (filename, data, "application/octet-stream")},
        follow_redirects=False,
    )


async def test_upload_preview_and_import_through_the_pages(client, world):
    _, who = world
    await sign_in(client, "federation")
    data = _csv([["蔡家寺村会员花名册"], HEADER, _person("王五"), _person("孙八", phone="123")])
    uploaded = await _upload(client, data)
    assert uploaded.status_code == 303
    preview = await client.get(uploaded.headers["location"])
    assert "1 个新申请人，0 个已登记，1 行有错误。" in preview.text
    assert "王五" in preview.text and "孙八" in preview.text
    refused = await client.post(
        uploaded.headers["location"],
        data={**_form_fields(preview.text), "_csrf_token": csrf_token(preview)},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and await Member.count() == 0
    done = await client.post(
        uploaded.headers["location"],
        data={**_form_fields(preview.text), "skip_errors": "1", "_csrf_token": csrf_token(preview)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/members/?status=applicant"
    assert await Member.count() == 1
    gone = await client.get(uploaded.headers["location"])
    assert gone.status_code == 404


def _form_fields(html: str) -> dict:
    """The hidden fields of the import form (the mapping the preview used)."""
    form = html[html.index('<form method="post" class="card">') :]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))


async def test_upload_of_a_non_spreadsheet_says_why(client, world):
    await sign_in(client, "federation")
    answer = await _upload(client, b"%PDF-1.4\x00\x01binary", "scan.pdf")
    assert answer.status_code == 422
    assert "这不是可以读取的表格文件" in answer.text


async def test_upload_over_the_request_limit_gets_a_clear_page(client, world):
    await sign_in(client, "federation")
    answer = await _upload(client, b"a" * (imports.MAX_BYTES + 200_000))
    assert answer.status_code == 413
    assert "文件大于 10 MB" in answer.text


async def test_remapping_a_column_twice_shows_the_field_error(client, world):
    await sign_in(client, "federation")
    uploaded = await _upload(client, _csv([HEADER, _person()]))
    query = (
        "column_name=0&column_resident_id=1&column_phone=1&column_village=3&column_cooperative=4"
    )
    answer = await client.get(f"{uploaded.headers['location']}?{query}")
    assert answer.status_code == 422
    assert "已被另一项选用" in answer.text


async def test_village_organizer_cannot_open_the_import(client, world):
    await sign_in(client, "village")
    assert (await client.get("/members/import")).status_code == 403
