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


# --- the database-made cells against the column-by-column definition ----------------

TRICKY_NAMES = [
    "=HYPERLINK(1)",
    "+8613800000000",
    "-1",
    "@SUM(A1)",
    "\t张",
    "\r李",
    '李,"四"',
    "王\n五",
]


def _reference_cells(m: dict, n: int, full: bool) -> dict:
    """Each roster column's cell as the export made it before the database made them:
    Python values from Piccolo, labels from the catalogs, numbers as `Digits`."""
    from coop.i18n import local_day, translate
    from coop.members.choices import ETHNICITIES, POSTS, SEXES, STATUSES
    from coop.privacy import decrypt
    from coop.validation import Msg

    def name(names, key):
        return translate(names[key]) if key in names else ""

    def yes(flag):
        return translate(Msg("Yes")) if flag else ""

    resident = decrypt(m["id_encrypted"]) if full else m["id_masked"]
    phone = decrypt(m["phone_encrypted"]) if full else m["phone_masked"]
    pack = m["welcome_pack_at"]
    return {
        "number": n,
        "name": m["name"],
        "sex": name(SEXES, m["sex"]),
        "birth_date": m["birth_date"].isoformat(),
        "ethnicity": name(ETHNICITIES, m["ethnicity"]),
        "resident_id": Digits(resident),
        "phone": Digits(phone),
        "village": m["village_name"],
        "cooperative": m["cooperative_name"],
        "backbone": yes(m["is_backbone"]),
        "first_batch": yes(m["first_batch"]),
        "join_date": m["join_date"].isoformat() if m["join_date"] else "",
        "card_number": Digits(m["card_number"] or ""),
        "status": name(STATUSES, m["status"]),
        "worker_post": name(POSTS, m["worker_post"]),
        "welcome_pack": local_day(pack).isoformat() if pack else "",
    }


async def _reference_rows(viewer, where, keys: list[str], full: bool) -> list[list]:
    from coop.members import domain
    from coop.members.tables import Member

    query = domain._matching(
        Member.select(*domain.ROSTER_COLUMNS, *domain.ROSTER_SECRETS), viewer, where
    )
    members = await query.order_by(Member.id).run()
    return [
        [cells[k] for k in keys]
        for cells in (_reference_cells(m, n, full) for n, m in enumerate(members, 1))
    ]


async def _tricky_roster(tree, who) -> None:
    """Members with every status, post, ethnicity and sex, formula-like and quoted names,
    empty and set dates, cards and flags, and welcome packs either side of local midnight."""
    import datetime as dt

    from coop.members.choices import ETHNICITIES, POSTS, SEXES, STATUSES
    from coop.members.tables import Member
    from coop.orgs.tables import Cooperative

    ethnicities, statuses, posts = list(ETHNICITIES), list(STATUSES), ["", *POSTS]
    utc = dt.UTC
    packs = [
        None,
        dt.datetime(2026, 1, 1, 15, 59, tzinfo=utc),
        dt.datetime(2026, 1, 1, 16, 0, tzinfo=utc),
    ]
    for i, ethnicity in enumerate([*ethnicities, "99"]):  # "99": a code with no name
        member_id = await make_member(who["village"], tree, "张三", backbone=i % 3 == 0)
        await Member.update(
            {
                Member.name: TRICKY_NAMES[i % len(TRICKY_NAMES)] if i % 2 else f"张{i}",
                Member.ethnicity: ethnicity,
                Member.sex: list(SEXES)[i % len(SEXES)],
                Member.status: statuses[i % len(statuses)],
                Member.worker_post: posts[i % len(posts)],
                Member.first_batch: i % 4 == 0,
                Member.join_date: dt.date(2026, 3, i % 28 + 1) if i % 5 else None,
                Member.card_number: f"JJH{i:06d}" if i % 5 else None,
                Member.welcome_pack_at: packs[i % len(packs)],
            }
        ).where(Member.id == member_id)
        if i == 3:  # a number left empty (imported without one): no tab, no cell text
            await Member.update({Member.phone_masked: ""}).where(Member.id == member_id)
    await Cooperative.update({Cooperative.name: '+合作社,"甲"'}).where(
        Cooperative.id == tree.cooperative
    )


async def test_database_made_cells_match_the_column_definitions(world, tmp_path):
    from python_calamine import CalamineWorkbook

    from coop.i18n import current_locale
    from coop.members import domain, exports
    from coop.spreadsheets import xlsx_file

    tree, who = world
    await _tricky_roster(tree, who)
    viewer = who["federation"]
    everyone, members = domain.MemberFilter(), domain.MemberFilter(status="member")
    cases = [
        ("zh_CN", everyone, exports.STANDARD, False),
        ("en", everyone, exports.STANDARD, False),
        ("zh_CN", everyone, exports.STANDARD, True),
        ("en", members, ["phone", "name", "number", "welcome_pack", "card_number"], True),
        ("zh_CN", everyone, ["card_number"], False),  # empty cells alone on their line
        ("en", everyone, ["phone"], True),
        ("zh_CN", members, ["number"], False),
    ]
    for language, where, keys, full in cases:
        token = current_locale.set(language)
        try:
            expected = await _reference_rows(viewer, where, keys, full)
            header = exports.header(keys)
            export = exports.RosterExport(viewer, where, keys, full, "csv")
            made = b"".join([c async for c in export.chunks()])
            assert made == b"".join([c async for c in csv_chunks(header, expected)])
            assert export.count == len(expected) > 1
            book = tmp_path / f"{language}-{len(keys)}-{full}.xlsx"
            reference = tmp_path / "reference.xlsx"
            export = exports.RosterExport(viewer, where, keys, full, "xlsx")
            await xlsx_file("roster", header, export.rows(), str(book))
            await xlsx_file("roster", header, expected, str(reference))
            sheets = [
                CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
                for path in (book, reference)
            ]
            assert sheets[0] == sheets[1]
        finally:
            current_locale.reset(token)
    rows = list(csv.reader(io.StringIO(made.decode("utf-8-sig"))))
    assert rows[1:] == [[str(n)] for n in range(1, len(rows))]
