import re

from coop.accounts import domain
from coop.accounts.tables import User
from tests.factories import csrf_token, make_role_users, make_tree, post_form, sign_in


async def test_sign_in_goes_to_next_page_with_a_new_session_id(client):
    tree = await make_tree()
    await make_role_users(tree)
    await client.get("/login")
    client.cookies.set("coop_session", "planted-by-someone-else")
    page = await client.get("/login?next=/orgs/")
    response = await client.post(
        "/login",
        data={
            "username": "admin",
            "password": "correct horse 42",
            "next": "/orgs/",
            "_csrf_token": csrf_token(page),
        },
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/orgs/")
    session_id = response.cookies.get("coop_session")
    assert session_id not in (None, "planted-by-someone-else")


async def test_sign_in_refuses_offsite_next(client):
    tree = await make_tree()
    await make_role_users(tree)
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": "admin",
            "password": "correct horse 42",
            "next": "//evil.example/",
            "_csrf_token": csrf_token(page),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


async def test_wrong_password_shows_message_and_keeps_username(client):
    tree = await make_tree()
    await make_role_users(tree)
    response = await sign_in(client, "admin", "nope")
    assert response.status_code == 422
    assert "用户名或密码错误。" in response.text
    assert 'value="admin"' in response.text
    assert "nope" not in response.text


def _maxlengths(page) -> dict[str, str]:
    """Each text field's name with its maxlength."""
    fields = re.findall(r'<input [^>]*name="(\w+)"[^>]*maxlength="(\d+)"', page.text)
    return {name: int(length) for name, length in fields}


async def test_sign_in_and_user_forms_take_the_lengths_the_accounts_take(client):
    await make_role_users(await make_tree())
    signing_in = {"username": domain.USERNAME_MAX, "password": domain.PASSWORD_MAX}
    assert _maxlengths(await client.get("/login")) == signing_in
    refused = await sign_in(client, "admin", "nope")
    assert (refused.status_code, _maxlengths(refused)) == (422, signing_in)
    await sign_in(client, "admin")
    new_user = {**signing_in, "display_name": domain.DISPLAY_NAME_MAX}
    assert _maxlengths(await client.get("/accounts/users/new")) == new_user
    refused = await post_form(client, "/accounts/users/new", {"username": "lisi"})
    assert (refused.status_code, _maxlengths(refused)) == (422, new_user)


async def test_locked_sign_in_says_when_to_retry(client):
    tree = await make_tree()
    await make_role_users(tree)
    for _ in range(5):
        response = await sign_in(client, "admin", "nope")
    assert "登录失败次数过多，请 15 分钟后再试。" in response.text


async def test_sign_out_ends_the_session(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    home = await client.get("/")
    response = await client.post(
        "/logout", data={"_csrf_token": csrf_token(home)}, follow_redirects=False
    )
    assert response.headers["location"] == "/login"
    assert (await client.get("/", follow_redirects=False)).status_code == 303


async def test_post_without_form_token_comes_back_with_typed_values_and_a_message(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    response = await client.post(
        "/orgs/villages/new",
        data={"name": "新建村", "town_id": str(tree.town)},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/orgs/villages/new")
    form = await client.get("/orgs/villages/new")
    assert "表单已过期。请检查后重新提交。" in form.text
    assert 'value="新建村"' in form.text
    assert "新建村" not in [v["name"] for v in await _village_names()]


async def _village_names():
    from coop.orgs.tables import Village

    return await Village.select(Village.name).run()


async def test_form_posted_after_session_expired_returns_after_sign_in(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    form = await client.get("/orgs/villages/new")
    token = csrf_token(form)
    client.cookies.delete("coop_session")  # the session ran out while typing
    response = await client.post(
        "/orgs/villages/new",
        data={"name": "新建村", "town_id": str(tree.town), "_csrf_token": token},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/login?next=/orgs/villages/new",
    )
    login = await client.get(response.headers["location"])
    assert "登录已过期。请重新登录，您填写的内容已保留。" in login.text
    back = await client.post(
        "/login",
        data={
            "username": "admin",
            "password": "correct horse 42",
            "next": "/orgs/villages/new",
            "_csrf_token": csrf_token(login),
        },
    )
    assert 'value="新建村"' in back.text
    assert "新建村" not in [v["name"] for v in await _village_names()]


async def test_language_choice_sticks_in_a_cookie_and_on_the_account(client):
    tree = await make_tree()
    users = await make_role_users(tree)
    await sign_in(client, "admin")
    home = await client.get("/")
    assert '<html lang="zh-CN">' in home.text
    await client.post(
        "/language", data={"locale": "en", "next": "/", "_csrf_token": csrf_token(home)}
    )
    again = await client.get("/")
    assert '<html lang="en">' in again.text and "Organizations" in again.text
    row = await User.select(User.locale).where(User.id == users["admin"]).first().run()
    assert row["locale"] == "en"


async def test_accept_language_english_is_honoured_without_a_choice(client):
    page = await client.get("/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert "Sign in" in page.text


async def test_accept_language_zh_hans_is_chinese(client):
    page = await client.get("/login", headers={"accept-language": "zh-Hans,en;q=0.5"})
    assert "登录" in page.text


async def test_security_headers_and_cookie_flags(client):
    page = await client.get("/login")
    assert page.headers["content-security-policy"].startswith(
        "default-src 'self'; script-src 'self';"
    )
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "unsafe" not in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-content-type-options"] == "nosniff"
    csrf_cookie = page.headers["set-cookie"].lower()
    assert "httponly" in csrf_cookie and "samesite=lax" in csrf_cookie


async def test_admin_creates_village_organizer_through_the_form(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    response = await post_form(
        client,
        "/accounts/users/new",
        {
            "username": "lisi",
            "display_name": "李四",
            "password": "long enough pw",
            "role": "village_organizer",
            "cooperative_ids": [str(tree.cooperative)],
        },
    )
    assert response.status_code == 303
    listing = await client.get("/accounts/users/")
    assert "李四" in listing.text and "蔡家寺村“黑黑黑”合作社" in listing.text


async def test_user_form_errors_keep_typed_values_but_not_the_password(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    response = await post_form(
        client,
        "/accounts/users/new",
        {
            "username": "lisi",
            "display_name": "李四",
            "password": "short",
            "role": "village_organizer",
        },
    )
    assert response.status_code == 422
    assert 'value="李四"' in response.text
    assert "至少 8 个字符。" in response.text
    assert "short" not in response.text


async def test_deactivate_button_signs_the_user_out(client):
    tree = await make_tree()
    users = await make_role_users(tree)
    await sign_in(client, "admin")
    response = await post_form(
        client,
        f"/accounts/users/{users['judge']}/active",
        {"active": "0"},
        form_url=f"/accounts/users/{users['judge']}",
    )
    assert response.status_code == 303
    page = await client.get(f"/accounts/users/{users['judge']}")
    assert "此账号已停用，无法登录。" in page.text


async def test_session_cookie_is_httponly_lax_and_secure_when_configured(settings):
    from dataclasses import replace

    from litestar.testing import AsyncTestClient

    from coop.app import create_app

    tree = await make_tree()
    await make_role_users(tree)
    async with AsyncTestClient(app=create_app(replace(settings, secure_cookies=True))) as client:
        page = await client.get("/login")
        response = await client.post(
            "/login",
            data={
                "username": "admin",
                "password": "correct horse 42",
                "_csrf_token": csrf_token(page),
            },
            follow_redirects=False,
        )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("coop_session=")
    )
    assert [flag in cookie.lower() for flag in ("httponly", "samesite=lax", "secure")] == [True] * 3
