"""The kernel's web plumbing: where a `next` may send the user, in every kind of redirect."""

from __future__ import annotations

import pytest

from coop.web import safe_next
from tests.factories import csrf_token, make_role_users, make_tree


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
