"""Sessions: stored only when they hold something, under IDs this server issued, hashed."""

from __future__ import annotations

from coop.accounts.tables import StoredValue
from tests.factories import make_role_users, make_tree, sign_in


async def session_rows() -> list[str]:
    rows = await StoredValue.select(StoredValue.key).where(StoredValue.key.like("session:%")).run()
    return [row["key"] for row in rows]


async def test_anonymous_page_views_store_no_session(client):
    for path in ("/login", "/healthz", "/login", "/r/nothing-here"):
        response = await client.get(path)
    assert (await session_rows(), "coop_session" in response.cookies) == ([], False)


async def test_a_client_chosen_session_id_is_never_stored(client):
    tree = await make_tree()
    await make_role_users(tree)
    client.cookies.set("coop_session", "x" * 100_000)
    await client.get("/login")
    client.cookies.set("coop_session", "a" * 64)  # well-formed, but not one we issued
    response = await sign_in(client, "admin")
    issued = response.history[0].cookies.get("coop_session") if response.history else None
    assert (await session_rows() != [], issued not in (None, "a" * 64)) == (True, True)


async def test_session_ids_are_stored_only_as_keyed_hashes(client):
    tree = await make_tree()
    await make_role_users(tree)
    response = await sign_in(client, "admin")
    session_id = response.history[0].cookies["coop_session"]
    [key] = await session_rows()
    assert (len(session_id), session_id in key) == (64, False)


async def test_signing_out_deletes_the_session_and_the_cookie(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    page = await client.get("/")
    token = page.text.split('name="_csrf_token" value="')[1].split('"')[0]
    await client.post("/logout", data={"_csrf_token": token})
    assert (await session_rows(), (await client.get("/")).url.path) == ([], "/login")


async def test_a_form_stashed_after_the_session_ended_is_stored_encrypted(client):
    from tests.factories import PASSWORD, csrf_token, mobile, resident_id

    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    form = await client.get("/members/enroll")
    number, phone = resident_id(), mobile()
    client.cookies.delete("coop_session")  # the session ran out while typing
    await client.post(
        "/members/enroll",
        data={"name": "李四", "resident_id": number, "phone": phone,
              "_csrf_token": csrf_token(form)},
        follow_redirects=False,
    )  # fmt: skip
    rows = (
        await StoredValue.select(StoredValue.value).where(StoredValue.key.like("session:%")).run()
    )
    raw = b" ".join(bytes(row["value"]) for row in rows)
    login = await client.get("/login?next=/members/enroll")
    back = await client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "next": "/members/enroll",
              "_csrf_token": csrf_token(login)},
    )  # fmt: skip
    assert (rows != [], number.encode() in raw, phone.encode() in raw) == (True, False, False)
    assert f'value="{phone}"' in back.text  # and the form still comes back filled in


async def test_a_session_ended_by_deactivation_stays_ended_after_reactivation(client):
    from coop.accounts import domain as accounts
    from tests.factories import viewer

    tree = await make_tree()
    users = await make_role_users(tree)
    await sign_in(client, "village")
    signed_in = (await client.get("/")).url.path
    admin = await viewer(users["admin"])
    await accounts.set_active(admin, users["village"], False)
    await accounts.set_active(admin, users["village"], True)
    assert (signed_in, (await client.get("/")).url.path) == ("/", "/login")


async def test_a_reactivated_user_signing_in_again_gets_a_working_session(client):
    from coop.accounts import domain as accounts
    from tests.factories import viewer

    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await viewer(users["admin"])
    await accounts.set_active(admin, users["village"], False)
    await accounts.set_active(admin, users["village"], True)
    await sign_in(client, "village")
    assert (await client.get("/")).url.path == "/"
