"""The web root: WeChat's verification file an admin uploads, the favicon, and "not found"."""

from coop.audit import domain as audit
from tests.factories import csrf_token, make_role_users, make_tree, sign_in

NAME = "MP_verify_Ab12Cd34.txt"


async def _upload(client, name: str, content: bytes):
    page = await client.get("/site-files/")
    return await client.post(
        "/site-files/",
        data={"_csrf_token": csrf_token(page)},
        files={"file": (name, content, "text/plain")},
        follow_redirects=False,
    )


async def test_uploaded_verification_file_is_served_at_the_root_at_once_and_audited(client):
    await make_role_users(await make_tree())
    await sign_in(client, "admin")
    assert (await client.get(f"/{NAME}")).status_code == 404
    assert (await _upload(client, NAME, b"Ab12Cd34")).status_code == 303
    client.cookies.clear()  # WeChat's checker has no account
    served = await client.get(f"/{NAME}")
    assert (served.status_code, served.text, served.headers["content-type"]) == (
        200,
        "Ab12Cd34",
        "text/plain; charset=utf-8",
    )
    await sign_in(client, "admin")
    page = await client.get("/site-files/")
    delete = await client.post(f"/site-files/{NAME}/delete", data={"_csrf_token": csrf_token(page)})
    assert delete.status_code == 200
    assert (await client.get(f"/{NAME}")).status_code == 404
    actions = [(e["action"], e["record_id"]) for e in await audit.recent(10)]
    assert [a for a in actions if a[1] == NAME] == [("delete", NAME), ("upload", NAME)]


async def test_site_file_upload_refuses_other_names_big_files_and_binary(client):
    await make_role_users(await make_tree())
    await sign_in(client, "admin")
    refused = [
        (await _upload(client, name, content)).status_code
        for name, content in (
            ("index.html", b"x"),
            ("MP_verify_../x.txt", b"x"),
            ("MP_verify_abc.txt.exe", b"x"),
            (NAME, b"x" * 1025),
            (NAME, b"\x00\x01binary"),
        )
    ]
    assert refused == [422] * 5
    assert (await client.get(f"/{NAME}")).status_code == 404


async def test_site_files_page_is_for_admins_only(client):
    await make_role_users(await make_tree())
    await sign_in(client, "federation")
    assert (await client.get("/site-files/")).status_code == 403


async def test_favicon_is_served_and_cached(client):
    answer = await client.get("/favicon.ico")
    assert (answer.status_code, answer.headers["cache-control"]) == (200, "public, max-age=604800")
    assert answer.content[:4] == b"\x00\x00\x01\x00"


async def test_unknown_address_says_not_found_and_keeps_the_menu(client):
    await make_role_users(await make_tree())
    await sign_in(client, "federation")
    answer = await client.get("/no/such/page")
    assert answer.status_code == 404
    assert ('<nav class="main"' in answer.text, "没有找到该页面" in answer.text) == (True, True)
