"""The real-name record's coded fields through form, API, import, export and member page."""

import csv
import io

import pytest

from coop.members import domain as members
from coop.members import forms, imports
from coop.members.tables import Member
from coop.validation import ValidationError
from tests.factories import make_member, mobile, resident_id, sign_in
from tests.members.test_api import _auth, _body
from tests.members.test_exports import _export


def _enrollment(tree, **record):
    return forms.enrollment_of(
        name="李四",
        resident_id=resident_id(),
        phone=mobile(),
        cooperative_id=tree.cooperative,
        village_id=tree.village,
        **record,
    )


async def test_enrollment_stores_codes_from_codes_or_names(world):
    tree, who = world
    data = _enrollment(
        tree,
        education="本科",
        political_status="群众",
        employment_status="1",
        skill_level="五级/初级工",
        migrant_worker=True,
        residence_region="500113",
        residence_address="姜家镇蔡家寺村3组",
        employer="重庆黑黑黑农业开发有限公司",
        poverty_status="脱贫户",
    )
    member_id = await members.enroll(who["federation"], data)
    row = await Member.select(
        Member.education,
        Member.political_status,
        Member.employment_status,
        Member.skill_level,
        Member.migrant_worker,
        Member.hukou_region,
        Member.residence_region,
        Member.poverty_status,
    ).where(Member.id == member_id)
    assert row == [
        {
            "education": "20",
            "political_status": "13",
            "employment_status": "1",
            "skill_level": "5",
            "migrant_worker": True,
            "hukou_region": "500113",  # the ID's area code
            "residence_region": "500113",
            "poverty_status": "lifted",
        }
    ]


def test_enrollment_rejects_a_code_not_in_its_list_naming_the_allowed_values(world):
    tree, _ = world
    with pytest.raises(ValidationError) as refused:
        _enrollment(tree, political_status="14", hukou_region="12345")
    assert set(refused.value.errors) == {"political_status", "hukou_region"}
    message = refused.value.errors["political_status"]
    assert message.params["standard"] == "GB/T 4762-1984"
    assert message.params["allowed"].startswith("01 中共党员, 02 中共预备党员")


async def test_village_organizer_cannot_set_poverty_status(world):
    tree, who = world
    data = _enrollment(tree, poverty_status="lifted")
    member_id = await members.enroll(who["village"], data)
    row = await Member.select(Member.poverty_status).where(Member.id == member_id).first()
    assert row == {"poverty_status": ""}


async def test_api_returns_codes_with_labels_and_hides_poverty_from_village_staff(client, world):
    tree, _ = world
    body = _body(tree, education="70", political_status="01", poverty_status="lifted")
    created = await client.post("/api/v1/members/", json=body, headers=await _auth("federation"))
    assert created.status_code == 201, created.text
    got = created.json()
    assert (got["education"], got["education_label"]) == ("70", "初中")
    assert (got["political_status"], got["political_status_label"]) == ("01", "中共党员")
    assert (got["poverty_status"], got["sex_code"]) == ("lifted", "1")
    seen = await client.get(f"/api/v1/members/{got['id']}", headers=await _auth("village"))
    assert seen.json()["poverty_status"] is None


async def test_api_refuses_a_code_not_in_its_enum(client, world):
    tree, _ = world
    answer = await client.post(
        "/api/v1/members/", json=_body(tree, education="50"), headers=await _auth("federation")
    )
    assert answer.status_code == 400
    assert "education" in answer.text


async def test_openapi_lists_every_coded_field_as_an_enum(client, world):
    schema = (await client.get("/api/v1/schema/openapi.json")).json()
    body = schema["components"]["schemas"]["EnrollmentBody"]["properties"]
    enums = {
        name: next(s["enum"] for s in [body[name], *body[name].get("oneOf", [])] if "enum" in s)
        for name in ("education", "political_status", "employment_status", "skill_level")
    }
    assert enums["education"] == ["", "10", "20", "30", "40", "60", "70", "80", "90"]
    assert len(enums["political_status"]) == 14


async def test_import_reads_codes_and_names_and_refuses_unknown_ones(world):
    _, who = world
    header = ["姓名", "身份证号", "手机号", "村", "合作社", "学历", "政治面貌", "是否农民工"]
    place = ["蔡家寺村", "蔡家寺村“黑黑黑”合作社"]
    rows = [
        header,
        ["王五", resident_id(), mobile(), *place, "20", "13", "是"],
        ["李四", resident_id(), mobile(), *place, "本科", "群众", "否"],
        ["赵六", resident_id(), mobile(), *place, "博士后", "群众", "否"],
    ]
    data = "\r\n".join(",".join(row) for row in rows).encode()
    sheet = imports.read_roster(data)
    found = await imports.preview(
        who["federation"], sheet, imports.guess_mapping(sheet.header), imports.Defaults()
    )
    assert [(row.line, row.outcome) for row in found.rows] == [(2, "new"), (3, "new"), (4, "error")]
    assert [
        (data.education, data.political_status, data.migrant_worker) for data, *_ in found.new
    ] == [
        ("20", "13", True),
        ("20", "13", False),
    ]


async def test_export_writes_codes_as_text(client, world):
    tree, who = world
    await make_member(who["village"], tree, "张三")
    await Member.update({Member.education: "70", Member.political_status: "13"}, force=True)
    await sign_in(client, "federation")
    keys = ["name", "sex_code", "education_code", "political_status", "migrant_worker_code"]
    answer = await _export(client, {"format": "csv", "columns": keys})
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[1] == ["张三", "1\t", "70\t", "群众", "0"]


async def test_import_matches_a_short_cooperative_name_and_lists_candidates_when_several(world):
    _, who = world
    rows = [
        ["姓名", "身份证号", "手机号", "村", "合作社"],
        ["王五", resident_id(), mobile(), "蔡家寺村", "黑黑黑合作社"],
        ["李四", resident_id(), mobile(), "蔡家寺", "合作社"],
        ["赵六", resident_id(), mobile(), "蔡家寺村", "蔡家寺村 「黑黑黑」 合作社"],
    ]
    data = "\r\n".join(",".join(row) for row in rows).encode()
    sheet = imports.read_roster(data)
    found = await imports.preview(
        who["federation"], sheet, imports.guess_mapping(sheet.header), imports.Defaults()
    )
    assert [(row.outcome, row.cooperative, row.matched) for row in found.rows] == [
        ("new", "蔡家寺村“黑黑黑”合作社", [("黑黑黑合作社", "蔡家寺村“黑黑黑”合作社")]),
        ("error", "合作社", []),
        ("new", "蔡家寺村“黑黑黑”合作社", []),
    ]
    problems = {title.text: message for title, message in found.rows[1].problems}
    assert problems["Cooperative"].params["names"] == "文石村蔬菜专业合作社、蔡家寺村“黑黑黑”合作社"
