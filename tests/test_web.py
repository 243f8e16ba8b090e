"""The kernel's web plumbing: where a `next` may send the user, in every kind of redirect."""

from __future__ import annotations

import re

import pytest

from coop.web import safe_next
from tests.factories import csrf_token, make_role_users, make_tree, sign_in


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",  # browsers read a backslash as a slash: //evil.example
        "/\\/evil.example",
        "https://evil.example/",
        "/members/\r\nSet-Cookie: x=1",
        "/members/\x00",
        "members/",
        "",
        None,
    ],
)
def test_safe_next_sends_anything_off_site_or_malformed_home(target):
    assert safe_next(target) == "/"


def test_safe_next_keeps_a_local_path_and_encodes_what_a_header_cannot_carry():
    assert (safe_next("/members/?status=applicant&page=2"), safe_next("/搜索 x")) == (
        "/members/?status=applicant&page=2",
        "/%E6%90%9C%E7%B4%A2%20x",
    )


async def test_sign_in_by_htmx_with_a_backslash_next_redirects_home(client):
    tree = await make_tree()
    await make_role_users(tree)
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": "admin",
            "password": "correct horse 42",
            "next": "/\\evil.example",
            "_csrf_token": csrf_token(page),
        },
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["hx-redirect"]) == (200, "/")


def _paths_with_numbers(app, number: int) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a number in its path, with `number` in it."""
    found = []
    for route in app.routes:
        if ":int}" not in route.path:
            continue
        path = re.sub(r"\{\w+:int\}", str(number), route.path)
        path = re.sub(r"\{\w+:str\}", "x", path)
        found += [(method, path) for method in sorted(route.methods) if method in {"GET", "POST"}]
    return found


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30, -(2**31), -(2**64), "9" * 5000])
async def test_a_path_number_no_row_id_can_be_is_not_found_on_every_route(client, number):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    token = csrf_token(await client.get("/members/enroll"))
    answers = {}
    for method, path in _paths_with_numbers(client.app, number):
        response = await client.request(
            method, path, data={"_csrf_token": token} if method == "POST" else None
        )
        answers[f"{method} {path}"] = response.status_code
    assert len(answers) > 20
    assert {route: status for route, status in answers.items() if status != 404} == {}


@pytest.mark.parametrize("path", ["/members/?q=%00", "/r/ab%00cd", "/api/v1/members/?q=a%00"])
async def test_a_nul_byte_in_the_address_is_a_bad_request(client, path):
    assert (await client.get(path)).status_code == 400


async def test_a_json_body_nested_past_any_sense_is_a_bad_request_problem(client):
    body = "[" * 100_000 + "]" * 100_000
    response = await client.post(
        "/api/v1/trainings/sessions/1/registrations",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, response.headers["content-type"]) == (
        400,
        "application/problem+json",
    )


async def test_an_api_value_that_cannot_be_read_is_a_problem_naming_the_field(client):
    response = await client.post(
        "/api/v1/trainings/sessions/1/registrations",
        json={"name": "张三", "phone": "19900000001", "village_id": 2**40},
    )
    assert (response.status_code, response.headers["content-type"]) == (
        400,
        "application/problem+json",
    )
    assert list(response.json()["errors"]) == ["village_id"]


async def test_the_api_schema_declares_the_problem_answers_of_every_operation(client):
    schema = (await client.get("/api/v1/schema")).json()
    undeclared = {
        f"{method.upper()} {path}": sorted(
            {"400", "401", "404", "422"} - set(operation["responses"])
        )
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert {operation: missing for operation, missing in undeclared.items() if missing} == {}
    problem = schema["paths"]["/api/v1/members"]["get"]["responses"]["404"]["content"]
    assert list(problem) == ["application/problem+json"]
