"""Roster exports: Excel-safe text, masked by default, formula-proof, audited, in scope."""

import csv
import io
import re
import zipfile

from coop.audit.domain import recent
from coop.spreadsheets import Digits, csv_chunks
from tests.factories import csrf_token, make_member, mobile, resident_id, sign_in


async def _export(client, data: dict):
    page = await client.get("/members/export")
    return await client.post(
        "/members/export", data={**data, "_csrf_token": csrf_token(page)}, follow_redirects=False
    )


def _sheet_strings(content: bytes) -> tuple[str, str]:
    """Every text in the first sheet (constant-memory workbooks keep it inline), and the sheet."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        shared = (
            book.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in book.namelist()
            else ""
        )
    return shared + sheet, sheet


async def test_csv_roster_opens_in_excel_with_masked_numbers_kept_as_text(client, world):
    tree, who = world
    number, phone = resident_id(), mobile()
    await make_member(who["village"], tree, "张三", id_number=number, phone=phone)
    await sign_in(client, "federation")
    answer = await _export(client, {"format": "csv"})
    assert answer.headers["content-type"].startswith("text/csv"), answer.text[:500]
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:7] == ["序号", "姓名", "性别", "出生日期", "民族", "身份证号", "手机号"]
    assert rows[1][5:7] == [
        f"{number[:6]}********{number[-4:]}\t",
        f"{phone[:3]}****{phone[-4:]}\t",
    ]
    assert number not in answer.text and phone not in answer.text


async def test_full_xlsx_keeps_all_18_characters_as_text_and_is_audited(client, world):
    tree, who = world
    number = resident_id()
    await make_member(who["village"], tree, "张三", id_number=number)
    await sign_in(client, "federation")
    answer = await _export(client, {"format": "xlsx", "full_numbers": "1", "confirm": "1"})
    strings, _ = _sheet_strings(answer.content)
    assert number in strings
    [entry] = [e for e in await recent(10) if e["action"] == "export"]
    assert "rows=1 masked=False" in entry["detail"] and entry["actor_name"] == "federation"


async def test_full_numbers_need_a_confirmation_and_an_approvers_role(client, world):
    tree, who = world
    await make_member(who["village"], tree, "张三")
    await sign_in(client, "federation")
    unconfirmed = await _export(client, {"format": "csv", "full_numbers": "1"})
    assert unconfirmed.status_code == 422 and 'id="confirm-error"' in unconfirmed.text
    await sign_in(client, "village")
    refused = await _export(client, {"format": "csv", "full_numbers": "1", "confirm": "1"})
    assert refused.status_code == 403
    assert [e for e in await recent(10) if e["action"] == "export"] == []


async def test_a_formula_in_a_name_stays_text_in_csv_and_xlsx(client, world):
    tree, who = world
    await make_member(who["village"], tree, "=HYPERLINK(1)")
    await make_member(who["village"], tree, "@SUM(A1)")
    await sign_in(client, "federation")
    rows = list(
        csv.reader(io.StringIO((await _export(client, {"format": "csv"})).content.decode()))
    )
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(1)", "'@SUM(A1)"]
    strings, sheet = _sheet_strings((await _export(client, {"format": "xlsx"})).content)
    assert "=HYPERLINK(1)" in strings and "<f>" not in sheet


async def test_export_filter_naming_a_cooperative_out_of_scope_is_refused(client, world):
    tree, who = world
    await make_member(
        who["admin"], tree, "王五", cooperative=tree.other_cooperative, village=tree.other_village
    )
    await sign_in(client, "village")
    answer = await _export(client, {"format": "csv", "cooperative_id": str(tree.other_cooperative)})
    assert answer.status_code == 422 and "请从列表中选择合作社" in answer.text


async def test_filters_and_a_saved_column_set_shape_the_roster(client, world):
    tree, who = world
    await make_member(who["village"], tree, "张三", backbone=True)
    await make_member(who["village"], tree, "李四")
    await sign_in(client, "federation")
    answer = await _export(
        client,
        {
            "format": "csv",
            "backbone": "1",
            "columns": ["name", "village"],
            "template_name": "简表",
        },
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows == [["姓名", "村"], ["张三", "蔡家寺村"]]
    form = await client.get("/members/export?template=简表")
    checked = re.findall(r'name="columns" value="(\w+)" checked', form.text)
    assert checked == ["name", "village"]


async def test_csv_cells_are_neutralised_and_digits_stay_text():
    chunks = [c async for c in csv_chunks(["a", "b"], [["-1+2", Digits("500113")], ["\tx", 3]])]
    text = b"".join(chunks).decode("utf-8-sig")
    assert text.splitlines() == ["a,b", "'-1+2,500113\t", "'\tx,3"]
