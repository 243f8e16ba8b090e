"""API tokens: they expire, are revoked, are listed without secrets, record their last use."""

from __future__ import annotations

import datetime as dt

import pytest

from coop.accounts import domain as accounts
from coop.accounts.tables import ApiToken
from coop.validation import NotFound
from tests.factories import make_role_users, make_tree

UNKNOWN = (401, "需要有效的访问令牌（Bearer token）。")


async def _answer(client, token: str) -> tuple[int, str | None, str]:
    response = await client.get("/api/v1/members/", headers={"authorization": f"Bearer {token}"})
    detail = response.json()["detail"] if response.status_code >= 400 else None
    return response.status_code, detail, response.headers["content-type"]


async def _users():
    return await make_role_users(await make_tree())


async def test_an_unknown_token_gets_401_problem_json(client):
    await _users()
    assert await _answer(client, "coop_nothing") == (*UNKNOWN, "application/problem+json")


async def test_a_token_past_its_expiry_gets_the_same_401_as_an_unknown_one(client):
    await _users()
    token = await accounts.create_api_token("village", "sync", expires_days=1)
    working = (await _answer(client, token))[0]
    await ApiToken.update({ApiToken.expires_at: dt.datetime.now(dt.UTC)}, force=True).run()
    assert (working, await _answer(client, token)) == (
        200,
        (*UNKNOWN, "application/problem+json"),
    )


async def test_a_revoked_token_gets_the_same_401_as_an_unknown_one(client):
    await _users()
    token = await accounts.create_api_token("village", "sync")
    working = (await _answer(client, token))[0]
    [row] = await accounts.list_api_tokens()
    await accounts.revoke_api_token(row["id"])
    assert (working, await _answer(client, token)) == (
        200,
        (*UNKNOWN, "application/problem+json"),
    )


async def test_revoking_a_revoked_or_unknown_token_is_not_found(client):
    await _users()
    await accounts.create_api_token("village")
    [row] = await accounts.list_api_tokens()
    await accounts.revoke_api_token(row["id"])
    for token_id in (row["id"], row["id"] + 1):
        with pytest.raises(NotFound):
            await accounts.revoke_api_token(token_id)


async def test_token_expiry_is_the_given_number_of_days_from_creation(client):
    await _users()
    await accounts.create_api_token("village", expires_days=30)
    [row] = await accounts.list_api_tokens()
    assert row["expires_at"] - row["created_at"] == pytest.approx(
        dt.timedelta(days=30), abs=dt.timedelta(seconds=5)
    )


async def test_token_list_shows_no_secret(client):
    await _users()
    await accounts.create_api_token("village", "sync")
    [row] = await accounts.list_api_tokens()
    assert (sorted(row), row["username"], row["label"]) == (
        sorted(
            [
                "id",
                "username",
                "label",
                "created_at",
                "expires_at",
                "last_used_at",
                "revoked_at",
            ]
        ),
        "village",
        "sync",
    )


async def _last_used() -> dt.datetime | None:
    [row] = await ApiToken.select(ApiToken.last_used_at).run()
    return row["last_used_at"]


async def test_last_use_is_recorded_and_written_again_only_after_a_minute(client):
    await _users()
    token = await accounts.create_api_token("village")
    before = await _last_used()
    await accounts.viewer_for_token(token)
    first = await _last_used()
    await accounts.viewer_for_token(token)
    same_minute = await _last_used()
    two_minutes_ago = first - dt.timedelta(minutes=2)
    await ApiToken.update({ApiToken.last_used_at: two_minutes_ago}, force=True).run()
    await accounts.viewer_for_token(token)
    later = await _last_used()
    assert (before, first is not None, same_minute == first, later > two_minutes_ago) == (
        None,
        True,
        True,
        True,
    )


async def test_an_unknown_or_revoked_token_records_no_use(client):
    await _users()
    token = await accounts.create_api_token("village")
    [row] = await accounts.list_api_tokens()
    await accounts.revoke_api_token(row["id"])
    await accounts.viewer_for_token(token)
    assert await _last_used() is None
