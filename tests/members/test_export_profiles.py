"""Export profiles (上报模板): checked on load, written by the roster builders, read back."""

import io

import pytest
from python_calamine import CalamineWorkbook

from coop.members import domain as members
from coop.members import exports, imports
from coop.members.domain import export_profiles
from coop.members.tables import Member
from tests.factories import csrf_token, make_member, sign_in

KNOWN = exports.profile_fields()

GOOD = """\
name = "某区总工会模板"
sheet = "会员"
title_rows = ["某区总工会会员花名册"]
date_format = "YYYYMMDD"

[[columns]]
field = "name"
header = "会员姓名"

[[columns]]
field = "education_code"
header = "文化程度"
codes = { "70" = "初中毕业" }

[[columns]]
field = "birth_date"
header = "出生年月"
"""


def _bad(text: str) -> tuple[int, str]:
    with pytest.raises(export_profiles.ProfileError) as refused:
        export_profiles.parse(text, "bad.toml", KNOWN)
    return refused.value.line, refused.value.reason


def test_profile_with_unknown_field_refused_with_its_line():
    line, reason = _bad(GOOD.replace('field = "birth_date"', 'field = "birthday"'))
    assert line == 16
    assert reason.startswith("unknown field 'birthday'")


def test_profile_with_duplicate_column_refused():
    line, reason = _bad(GOOD.replace('header = "出生年月"', 'header = "会员姓名"'))
    assert (line, reason) == (8, "duplicate column '会员姓名'")


def test_profile_with_broken_code_map_refused():
    line, reason = _bad(GOOD.replace('"70" = "初中毕业"', '"75" = "初中毕业"'))
    assert line == 13
    assert reason.startswith("the code map of 'education_code' names '75'")


def test_bad_profile_file_refused_while_the_others_load(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.toml").write_text(GOOD.replace("name =", "nom ="), encoding="utf-8")
    profiles, errors = export_profiles.load(tmp_path, KNOWN)
    assert sorted(profiles) == ["实名制采集（通用）", "某区总工会模板"]
    assert [(e.path.endswith("bad.toml"), e.line) for e in errors] == [(True, 1)]


def test_builtin_profile_names_only_known_columns():
    assert all(c.field in KNOWN for c in export_profiles.BUILTIN.columns)


async def test_profile_export_writes_headers_codes_dates_sheet_and_titles(world):
    tree, who = world
    member_id = await make_member(who["village"], tree, "张三")
    await Member.update({Member.education: "70"}, force=True)
    profile = export_profiles.parse(GOOD, "good.toml", KNOWN)
    export = exports.RosterExport(
        who["federation"], members.MemberFilter(), [], False, "xlsx", profile=profile
    )
    content = b"".join([chunk async for chunk in export.chunks()])
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    assert book.sheet_names == ["会员"]
    rows = book.get_sheet_by_name("会员").to_python()
    birth = (await members.get_member(who["federation"], member_id))["birth_date"]
    assert rows == [
        ["某区总工会会员花名册", "", ""],
        ["会员姓名", "文化程度", "出生年月"],
        ["张三", "初中毕业", birth.strftime("%Y%m%d")],
    ]


async def test_builtin_profile_round_trip_gives_the_same_people_and_codes(world):
    tree, who = world
    for name in ("张三", "李四"):
        await make_member(who["federation"], tree, name)
    await Member.update(
        {
            Member.education: "60",
            Member.political_status: "01",
            Member.employment_status: "1",
            Member.skill_level: "5",
            Member.migrant_worker: True,
            Member.residence_region: "500113",
            Member.employer: "重庆黑黑黑农业开发有限公司",
        },
        force=True,
    )
    fields = [
        Member.name,
        Member.education,
        Member.political_status,
        Member.employment_status,
        Member.skill_level,
        Member.migrant_worker,
        Member.hukou_region,
        Member.residence_region,
        Member.employer,
        Member.ethnicity,
        Member.id_hash,
    ]
    before = await Member.select(*fields).order_by(Member.name)
    for file_format in ("csv", "xlsx"):
        export = exports.RosterExport(
            who["federation"],
            members.MemberFilter(),
            [],
            True,
            file_format,
            profile=export_profiles.BUILTIN,
        )
        content = b"".join([chunk async for chunk in export.chunks()])
        await Member.delete(force=True)
        sheet = imports.read_roster(content)
        result = await imports.commit(
            who["federation"],
            sheet,
            imports.guess_mapping(sheet.header),
            imports.Defaults(),
            filename=f"roster.{file_format}",
            skip_errors=False,
            expected_new=None,
        )
        assert result.created == 2
        assert await Member.select(*fields).order_by(Member.name) == before


async def test_export_page_offers_profiles_and_writes_the_chosen_one(client, world, settings):
    tree, who = world
    folder = settings.data_dir / "export-profiles"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD, encoding="utf-8")
    (folder / "bad.toml").write_text("name = ", encoding="utf-8")
    await make_member(who["village"], tree, "张三")
    await sign_in(client, "federation")
    page = await client.get("/members/export")
    assert '<option value="某区总工会模板">' in page.text
    assert '<option value="实名制采集（通用）">' in page.text
    answer = await client.post(
        "/members/export",
        data={"_csrf_token": csrf_token(page), "format": "csv", "profile": "实名制采集（通用）"},
    )
    header = answer.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("姓名,性别,民族,出生日期,公民身份号码,手机号码,学历,政治面貌")
