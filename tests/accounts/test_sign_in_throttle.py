"""Sign-in throttling: bounded input, hashed counters, per-client limits that parallel
attempts cannot exceed, known browsers never locked out, password checks off the loop."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading

import httpx
import pytest
from litestar.testing import AsyncTestClient

from coop import housekeeping
from coop.accounts import domain as accounts
from coop.accounts.domain import Role, SignInBusy, SignInRefused
from coop.accounts.tables import RateCount, StoredValue
from coop.app import create_app
from coop.audit.tables import AuditEntry
from tests.factories import PASSWORD, csrf_token, make_role_users, make_tree, make_user, sign_in


async def stored_text() -> str:
    """Every key and value the throttles and sessions could have stored, as one text."""
    values = await StoredValue.select(StoredValue.key, StoredValue.value).run()
    counts = await RateCount.select(RateCount.key).run()
    return " ".join(
        [r["key"] + bytes(r["value"]).decode("latin-1") for r in values]
        + [r["key"] for r in counts]
    )


async def failed_checks() -> int:
    return await AuditEntry.count().where(AuditEntry.action == "sign_in_failed").run()


async def test_login_refuses_username_over_limit_without_storing_it(client):
    await make_role_users(await make_tree())
    response = await sign_in(client, "a" * 2_000_000, "nope")
    assert (response.status_code, "a" * 51 in response.text, "a" * 51 in await stored_text()) == (
        422,
        False,
        False,
    )
    assert ("最多 50 个字符。" in response.text, await failed_checks()) == (True, 0)


async def test_login_refuses_password_over_limit(client):
    await make_role_users(await make_tree())
    response = await sign_in(client, "admin", "x" * (accounts.PASSWORD_MAX + 1))
    assert (response.status_code, await failed_checks()) == (422, 0)


async def test_sign_in_counters_never_hold_the_username(client):
    await make_role_users(await make_tree())
    await sign_in(client, "admin", "nope")
    keys = [r["key"] for r in await RateCount.select(RateCount.key).run()]
    assert (len(keys), any("admin" in key for key in keys), "admin" in await stored_text()) == (
        3,  # the client's page budget, the username with this client, the username
        False,
        False,
    )


async def test_login_is_rate_limited_per_client(settings):
    await make_role_users(await make_tree())
    app = create_app(dataclasses.replace(settings, public_rate_limit=3))
    async with AsyncTestClient(app=app) as client:
        statuses = [(await sign_in(client, "admin", "nope")).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


async def test_parallel_wrong_attempts_check_at_most_the_limit():
    await make_user("someone", Role.judge)
    results = await asyncio.gather(
        *(accounts.authenticate("someone", "wrong", "10.0.0.1") for _ in range(40)),
        return_exceptions=True,
    )
    refused = sum(isinstance(r, SignInRefused) for r in results)
    assert (refused, await failed_checks()) == (40, accounts.MAX_FAILURES)


async def test_known_browser_signs_in_while_the_username_is_under_attack():
    await make_user("someone", Role.judge)
    mark = (await accounts.authenticate("someone", PASSWORD, "10.0.0.1")).known_client
    for n in range(accounts.USERNAME_MAX_FAILURES + 1):  # one guess from each of many addresses
        with pytest.raises(SignInRefused):
            await accounts.authenticate("someone", "wrong", f"192.0.2.{n}")
    with pytest.raises(SignInRefused) as stranger:
        await accounts.authenticate("someone", PASSWORD, "10.0.0.1")
    known = await accounts.authenticate("someone", PASSWORD, "10.0.0.1", mark)
    assert (stranger.value.message.text, known.viewer.username, known.known_client) == (
        "Too many failed sign-ins. Try again in {minutes} minutes.",
        "someone",
        mark,
    )


async def test_a_mark_for_another_username_does_not_spare_the_lock():
    await make_user("someone", Role.judge)
    await make_user("other", Role.judge)
    mark = (await accounts.authenticate("other", PASSWORD, "10.0.0.1")).known_client
    for n in range(accounts.USERNAME_MAX_FAILURES + 1):
        with pytest.raises(SignInRefused):
            await accounts.authenticate("someone", "wrong", f"192.0.2.{n}")
    with pytest.raises(SignInRefused):
        await accounts.authenticate("someone", PASSWORD, "10.0.0.1", mark)


async def test_signing_in_gives_the_browser_its_known_client_cookie(client):
    await make_role_users(await make_tree())
    response = await sign_in(client, "admin")
    assert (response.status_code, "coop_known_client" in client.cookies) == (200, True)


async def test_expired_sign_in_counters_are_pruned_by_housekeeping():
    await make_user("someone", Role.judge)
    with pytest.raises(SignInRefused):
        await accounts.authenticate("someone", "wrong", "10.0.0.1")
    before = len(await RateCount.select(RateCount.id).run())
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=accounts.LOCK_MINUTES + 1)
    await housekeeping.run_once(later)
    assert (before, await RateCount.select(RateCount.id).run()) == (2, [])


async def _occupy_hashing_slots(gate: threading.Event) -> list[asyncio.Task]:
    """Hold every password-checking slot until `gate` opens."""
    tasks = [
        asyncio.create_task(accounts.password_work(gate.wait))
        for _ in range(accounts.HASHING_SLOTS)
    ]
    while accounts._hashing_slots().borrowed_tokens < accounts.HASHING_SLOTS:
        await asyncio.sleep(0)
    return tasks


async def test_healthz_answers_while_sign_ins_wait_for_password_checks(settings):
    await make_role_users(await make_tree())
    # The app on this test's own event loop, so that requests really run side by side.
    transport = httpx.ASGITransport(app=create_app(settings))
    gate = threading.Event()
    holders = await _occupy_hashing_slots(gate)
    # As many as the sign-in limit of one username from one address (all come from one).
    clients = [
        httpx.AsyncClient(transport=transport, base_url="http://coop")
        for _ in range(accounts.MAX_FAILURES)
    ]

    async def signing_in(client: httpx.AsyncClient) -> int:
        page = await client.get("/login")
        data = {"username": "admin", "password": PASSWORD, "_csrf_token": csrf_token(page)}
        return (await client.post("/login", data=data)).status_code

    sign_ins = [asyncio.create_task(signing_in(c)) for c in clients]
    while accounts.hashing_waiting() < len(clients):
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(transport=transport, base_url="http://coop") as probe:
        health = await probe.get("/healthz")
    pending = sum(not task.done() for task in sign_ins)
    gate.set()
    await asyncio.gather(*holders)
    statuses = await asyncio.gather(*sign_ins)
    for c in clients:
        await c.aclose()
    assert (health.status_code, pending, statuses) == (200, 5, [303] * 5)


async def test_sign_in_is_turned_away_when_too_many_wait():
    await make_user("someone", Role.judge)
    gate = threading.Event()
    holders = await _occupy_hashing_slots(gate)
    waiting = [
        asyncio.create_task(accounts.authenticate("someone", PASSWORD, f"10.0.1.{n}", ""))
        for n in range(accounts.HASHING_QUEUE)
    ]
    while accounts.hashing_waiting() < accounts.HASHING_QUEUE:
        await asyncio.sleep(0.01)
    with pytest.raises(SignInBusy) as busy:
        await accounts.authenticate("someone", PASSWORD, "10.0.2.1")
    gate.set()
    await asyncio.gather(*holders)
    signed_in = await asyncio.gather(*waiting)
    assert (busy.value.message.text, len(signed_in)) == (
        "Many people are signing in right now. Try again in a moment.",
        accounts.HASHING_QUEUE,
    )
