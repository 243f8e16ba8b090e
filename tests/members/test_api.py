import asyncio

import pytest

from coop.accounts import domain as accounts
from coop.members import forms
from coop.members.tables import Member
from coop.validation import ValidationError
from tests.factories import make_member, mobile, resident_id


async def _auth(username: str) -> dict:
    return {"authorization": f"Bearer {await accounts.create_api_token(username, 'tests')}"}


def _body(tree, **changes):
    return {
        "name": "李四",
        "resident_id": resident_id(),
        "phone": mobile(),
        "cooperative_id": tree.cooperative,
        "village_id": tree.village,
        **changes,
    }


async def test_api_needs_a_valid_bearer_token(client, world):
    assert (await client.get("/api/v1/members/")).status_code == 401
    bad = await client.get("/api/v1/members/", headers={"authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()["detail"]) == (401, "需要有效的访问令牌（Bearer token）。")


async def test_judge_tokens_cannot_read_members(client, world):
    response = await client.get("/api/v1/members/", headers=await _auth("judge"))
    assert response.status_code == 403


async def test_list_is_scoped_and_masked(client, world):
    tree, who = world
    mine = await make_member(who["village"], tree, "张三")
    await make_member(
        who["admin"], tree, "王五", cooperative=tree.far_cooperative, village=tree.far_village
    )
    response = await client.get("/api/v1/members/?q=zs", headers=await _auth("village"))
    body = response.json()
    assert [(m["id"], m["name"]) for m in body["items"]] == [(mine, "张三")]
    assert body["items"][0]["id_masked"].count("*") == 8 and "resident_id" not in body["items"][0]


async def test_get_outside_scope_is_404(client, world):
    tree, who = world
    far = await make_member(
        who["admin"], tree, cooperative=tree.far_cooperative, village=tree.far_village
    )
    response = await client.get(f"/api/v1/members/{far}", headers=await _auth("village"))
    assert response.status_code == 404


async def test_post_enrolls_with_the_same_validation(client, world):
    tree, _ = world
    headers = await _auth("village")
    created = await client.post("/api/v1/members/", json=_body(tree), headers=headers)
    assert (created.status_code, created.json()["status"]) == (201, "applicant")
    assert created.headers["location"] == f"/api/v1/members/{created.json()['id']}"
    bad = await client.post(
        "/api/v1/members/",
        json=_body(tree, phone="12345"),
        headers={**headers, "accept-language": "zh-CN"},
    )
    assert (bad.status_code, bad.json()["errors"]) == (
        422,
        {"phone": "请填写以 1 开头的 11 位手机号。"},
    )


async def test_idempotency_key_retries_return_the_first_result(client, world):
    tree, _ = world
    headers = {**await _auth("village"), "idempotency-key": "abc-123"}
    body = _body(tree)
    first, second = await asyncio.gather(
        client.post("/api/v1/members/", json=body, headers=headers),
        client.post("/api/v1/members/", json=body, headers=headers),
    )
    assert (first.json()["id"], await Member.count().run()) == (second.json()["id"], 1)
    changed = await client.post("/api/v1/members/", json={**body, "name": "赵六"}, headers=headers)
    assert changed.status_code == 422


async def test_duplicate_id_is_409_naming_only_the_union_outside_scope(client, world):
    tree, who = world
    number = resident_id()
    await make_member(
        who["admin"],
        tree,
        cooperative=tree.far_cooperative,
        village=tree.far_village,
        id_number=number,
    )
    response = await client.post(
        "/api/v1/members/", json=_body(tree, resident_id=number), headers=await _auth("village")
    )
    assert (response.status_code, response.json()["union"]) == (409, "“界石果蔬”产业工会联合会")
    assert "member_id" not in response.json()


async def test_deactivated_users_tokens_stop_working(client, world):
    tree, who = world
    headers = await _auth("village")
    await accounts.set_active(who["admin"], who["village"].id, False)
    assert (await client.get("/api/v1/members/", headers=headers)).status_code == 401


async def test_openapi_schema_lists_the_json_api_and_no_pages(client):
    schema = (await client.get("/api/v1/schema/openapi.json")).json()
    assert sorted(schema["paths"]) == [
        "/api/v1/contests",
        "/api/v1/contests/{contest_id}/entries/{entry_id}/scores",
        "/api/v1/contests/{contest_id}/results",
        "/api/v1/members",
        "/api/v1/members/{member_id}",
        "/api/v1/members/{member_id}/changes",
        "/api/v1/reports/membership",
        "/api/v1/trainings/sessions",
        "/api/v1/trainings/sessions/{session_id}/registrations",
        "/api/v1/transfers",
        "/api/v1/transfers/{transfer_id}",
        "/api/v1/transfers/{transfer_id}/accept",
        "/api/v1/transfers/{transfer_id}/refuse",
    ]


async def test_json_values_are_refused_as_the_form_refuses_them(client, world):
    tree, _ = world
    body = _body(tree, cooperative_id=-1, ethnicity="99", name="  ")
    answer = await client.post(
        "/api/v1/members/",
        json=body,
        headers={**await _auth("village"), "accept-language": "zh-CN"},
    )
    assert (answer.status_code, answer.json()["errors"]) == (
        422,
        {
            "name": "此项必填。",
            "cooperative_id": "请从列表中选择合作社。",
            "ethnicity": "请从列表中选择。",
        },
    )
    with pytest.raises(ValidationError) as refused:
        forms.enrollment({k: str(v) for k, v in body.items()})
    assert list(refused.value.errors) == ["name", "cooperative_id", "ethnicity"]
    assert await Member.count() == 0


async def test_list_filters_are_read_as_the_query_string_reads_them(client, world):
    tree, who = world
    mine = await make_member(who["village"], tree, "张三")
    headers = await _auth("village")
    answer = await client.get(
        "/api/v1/members/?status=nonsense&page=0&cooperative_id=-5&worker_post=x", headers=headers
    )
    body = answer.json()
    assert ([m["id"] for m in body["items"]], body["page"]) == ([mine], 1)
    assert forms.member_filter(
        {"status": "nonsense", "page": "0", "cooperative_id": "-5", "worker_post": "x"}
    ) == forms.filter_of(status="nonsense", page=0, cooperative_id=-5, worker_post="x")


async def test_post_refuses_other_scripts_digits_and_a_nul_in_the_name(client, world):
    tree, _ = world
    headers = {**await _auth("village"), "accept-language": "zh-CN"}
    number = resident_id()
    assert (
        await client.post("/api/v1/members/", json=_body(tree, resident_id=number), headers=headers)
    ).status_code == 201
    arabic_indic = "".join(chr(0x0660 + int(ch)) if ch.isdigit() else ch for ch in number)
    again = await client.post(
        "/api/v1/members/", json=_body(tree, resident_id=arabic_indic), headers=headers
    )
    assert (again.status_code, again.json()["errors"]) == (
        422,
        {"resident_id": "只能填写数字，最后一位可以是 X。"},
    )
    nul = await client.post("/api/v1/members/", json=_body(tree, name="李\x00四"), headers=headers)
    assert (nul.status_code, nul.json()["errors"]) == (
        422,
        {"name": "请删除其中看不见的控制字符。"},
    )
    assert await Member.count() == 1
