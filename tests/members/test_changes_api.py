"""The JSON API for membership changes and transfers: same rules as the pages."""

from coop import access
from coop.accounts import domain as accounts
from coop.members import domain as members
from tests.factories import make_member, make_user

TODAY = members.local_today().isoformat()


async def _auth(username: str) -> dict:
    return {"authorization": f"Bearer {await accounts.create_api_token(username, 'tests')}"}


async def _member(who, tree) -> int:
    member_id = await make_member(who["federation"], tree, backbone=True)
    await members.approve(who["federation"], [member_id])
    return member_id


async def test_api_records_a_change_and_lists_the_history(client, world):
    tree, who = world
    member_id = await _member(who, tree)
    headers = await _auth("federation")
    body = {"kind": "retain", "on_date": TODAY, "reason": 4}
    posted = await client.post(f"/api/v1/members/{member_id}/changes", json=body, headers=headers)
    listed = await client.get(f"/api/v1/members/{member_id}/changes", headers=headers)
    assert (posted.status_code, posted.json()["status"]) == (201, "retained")
    assert [(c["kind"], c["reason"]) for c in listed.json()["changes"]] == [
        ("join", None),
        ("retain", 4),
    ]


async def test_api_refuses_a_change_not_allowed_from_the_status_as_problem_json(client, world):
    tree, who = world
    member_id = await _member(who, tree)
    body = {"kind": "restore", "on_date": TODAY}
    response = await client.post(
        f"/api/v1/members/{member_id}/changes", json=body, headers=await _auth("federation")
    )
    assert (response.status_code, response.headers["content-type"]) == (
        422,
        "application/problem+json",
    )
    assert response.json()["errors"] == {"kind": "会员不能办理这项变更。"}


async def test_api_refuses_an_unknown_kind_and_reason_code(client, world):
    tree, who = world
    member_id = await _member(who, tree)
    body = {"kind": "vanish", "on_date": TODAY, "reason": 9}
    response = await client.post(
        f"/api/v1/members/{member_id}/changes", json=body, headers=await _auth("federation")
    )
    assert response.status_code == 400


async def test_api_transfer_sent_accepted_once_and_refused_the_second_time(client, world):
    tree, who = world
    await make_user("far", access.Role.federation_organizer, federation_id=tree.far_federation)
    member_id = await _member(who, tree)
    sent = await client.post(
        "/api/v1/transfers",
        json={
            "member_id": member_id,
            "to_union_id": tree.far_federation,
            "on_date": TODAY,
            "reason": 1,
        },
        headers=await _auth("federation"),
    )
    transfer_id = sent.json()["id"]
    far = await _auth("far")
    url = f"/api/v1/transfers/{transfer_id}/accept"
    first = await client.post(url, json={"cooperative_id": tree.far_cooperative}, headers=far)
    second = await client.post(url, json={"cooperative_id": tree.far_cooperative}, headers=far)
    assert (sent.status_code, sent.json()["status"]) == (201, "pending")
    assert (first.status_code, first.json()["status"]) == (200, "accepted")
    assert (second.status_code, second.json()["errors"]) == (
        422,
        {"transfer": "这次转接已经接收过了。"},
    )


async def test_api_transfer_to_the_same_federation_is_refused(client, world):
    tree, who = world
    member_id = await _member(who, tree)
    response = await client.post(
        "/api/v1/transfers",
        json={
            "member_id": member_id,
            "to_union_id": tree.federation,
            "on_date": TODAY,
            "reason": 1,
        },
        headers=await _auth("federation"),
    )
    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"to_union_id": "会员已属于这个工会。"},
    )


async def test_api_refuse_by_the_sender_is_not_found(client, world):
    tree, who = world
    member_id = await _member(who, tree)
    transfer_id = await members.start_transfer(
        who["federation"], member_id, tree.far_federation, members.local_today(), 1
    )
    response = await client.post(
        f"/api/v1/transfers/{transfer_id}/refuse",
        json={"refusal": "不收"},
        headers=await _auth("federation"),
    )
    assert response.status_code == 404
