"""The per-process caches of viewers and filter choices (coop.generation): every change to
users, scopes or the union tree is seen on the very next request."""

from coop import generation
from coop.accounts import domain as accounts
from coop.orgs import domain as orgs
from tests.factories import make_member, make_role_users, make_tree, sign_in, viewer


async def _signed_in(client, username: str):
    tree = await make_tree()
    users = await make_role_users(tree)
    await sign_in(client, username)
    for _ in range(2):  # the second request is served from the caches
        assert (await client.get("/members/")).status_code == 200
    return tree, users, await viewer(users["admin"])


async def test_deactivated_user_loses_access_at_once(client):
    _, users, admin = await _signed_in(client, "federation")
    await accounts.set_active(admin, users["federation"], False)
    response = await client.get("/members/", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert response.headers["location"].startswith("/login")


async def test_changed_role_and_scope_apply_at_once(client):
    tree, users, admin = await _signed_in(client, "village")
    far = await make_member(
        admin, tree, "王丽", cooperative=tree.far_cooperative, village=tree.far_village
    )
    assert f"/members/{far}" not in (await client.get("/members/")).text
    changed = accounts.UserInput(
        username="village",
        display_name="Village",
        role=accounts.Role.village_organizer,
        cooperative_ids=[tree.far_cooperative],
    )
    await accounts.save_user(admin, changed, users["village"])
    assert f"/members/{far}" in (await client.get("/members/")).text
    changed.role = accounts.Role.judge
    changed.cooperative_ids = []
    await accounts.save_user(admin, changed, users["village"])
    assert (await client.get("/members/", follow_redirects=False)).status_code == 403


async def test_renamed_cooperative_shows_in_the_filter_at_once(client):
    tree, _, admin = await _signed_in(client, "federation")
    current = await orgs.get_cooperative(admin.scope, tree.cooperative)
    await orgs.save_cooperative(
        admin.scope,
        admin.actor,
        orgs.CooperativeInput("新名字合作社", current["federation"], current["village"]),
        tree.cooperative,
    )
    assert "新名字合作社" in (await client.get("/members/")).text


async def test_a_change_made_outside_the_app_is_seen_after_max_age(client, monkeypatch):
    _, users, _ = await _signed_in(client, "federation")
    # Without a generation bump, as from an SQL console: cached until MAX_AGE has passed.
    await (
        accounts.User.update({accounts.User.is_active: False})
        .where(accounts.User.id == users["federation"])
        .run()
    )
    assert (await client.get("/members/")).status_code == 200
    later = generation.monotonic() + generation.MAX_AGE + 1
    monkeypatch.setattr(generation, "monotonic", lambda: later)
    response = await client.get("/members/", follow_redirects=False)
    assert response.status_code in (302, 303)


def test_cache_entries_are_for_their_generation_only():
    cache = generation.Cache()
    cache.put("k", b"g1", "value")
    assert cache.get("k", b"g1") == "value"
    assert cache.get("k", b"g2") is None
    assert cache.get("k", None) is None  # no generation read: never from the cache
    cache.put("other", None, "value")
    assert cache.get("other", None) is None
