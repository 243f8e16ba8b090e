"""A refused form shows every error at once: a summary at the top, each error by its field."""

import re

from coop.members.tables import Member
from tests.factories import csrf_token, mobile, resident_id, sign_in


async def _post_enrollment(client, **typed):
    page = await client.get("/members/enroll")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    empty = dict.fromkeys(["name", "resident_id", "phone", "cooperative_id", "village_id"], "")
    payload = {"_csrf_token": csrf_token(page), "submission_key": key, **empty, **typed}
    return await client.post("/members/enroll", data=payload, follow_redirects=False)


def _summary(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'<li><a href="#([a-z_]+)">([^<]+)</a></li>', block)


async def test_empty_enrollment_lists_every_error_at_once(client, world):
    await sign_in(client, "federation")
    response = await _post_enrollment(client)
    assert response.status_code == 422
    assert _summary(response.text) == [
        ("name", "此项必填。"),
        ("resident_id", "此项必填。"),
        ("phone", "此项必填。"),
        ("cooperative_id", "请从列表中选择合作社。"),
        ("village_id", "请从列表中选择村。"),
    ]
    assert "有 5 处需要修改" in response.text
    assert re.search(r"<title>错误：", response.text)


async def test_empty_name_and_bad_check_digit_show_both_errors(client, world):
    tree, _ = world
    await sign_in(client, "village")
    number = resident_id()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    response = await _post_enrollment(
        client,
        name="",
        resident_id=bad,
        phone=mobile(),
        cooperative_id=tree.cooperative,
        village_id=tree.village,
    )
    assert [name for name, _ in _summary(response.text)] == ["name", "resident_id"]
    assert "有 2 处需要修改" in response.text
    assert await Member.count().run() == 0


async def test_each_inline_error_is_tied_to_its_field(client, world):
    await sign_in(client, "federation")
    response = await _post_enrollment(client)
    assert re.search(
        r'<input id="name" [^>]*aria-invalid="true" aria-describedby="name-error"', response.text
    )
    assert '<p class="error" id="name-error">此项必填。</p>' in response.text


async def test_a_form_without_errors_has_no_summary_and_a_plain_title(client, world):
    await sign_in(client, "federation")
    page = await client.get("/members/enroll")
    assert "error-summary" not in page.text
    assert "<title>错误：" not in page.text


async def test_english_summary_counts_the_problems(client, world):
    await sign_in(client, "federation")
    page = await client.get("/members/enroll")
    await client.post(
        "/language", data={"locale": "en", "next": "/", "_csrf_token": csrf_token(page)}
    )
    response = await _post_enrollment(client)
    assert "There are 5 problems" in response.text
    assert "<title>Error: " in response.text


async def test_live_id_check_after_sign_out_returns_to_the_page_not_the_check(client, world):
    await sign_in(client, "village")
    page = await client.get("/members/enroll")
    token = csrf_token(page)
    client.cookies.delete("coop_session")  # signed out elsewhere; the CSRF cookie stays
    answer = await client.post(
        "/members/id-check",
        data={"resident_id": "36042619910101007"},
        headers={
            "hx-request": "true",
            "hx-current-url": "http://testserver.local/members/enroll",
            "x-csrftoken": token,
        },
    )
    assert answer.headers.get("hx-redirect") == "/login?next=/members/enroll"


async def test_import_refused_for_error_rows_says_so_at_the_top(client, world):
    from tests.members.test_imports import HEADER, _csv, _form_fields, _person, _upload

    await sign_in(client, "federation")
    uploaded = await _upload(client, _csv([HEADER, _person("王五"), _person("孙八", phone="123")]))
    preview = await client.get(uploaded.headers["location"])
    refused = await client.post(
        uploaded.headers["location"],
        data={**_form_fields(preview.text), "_csrf_token": csrf_token(preview)},
        follow_redirects=False,
    )
    assert refused.status_code == 422
    top = refused.text[refused.text.index("<main>") :][:600]
    assert _summary(top) == [
        ("confirm", "有 1 行有错误。请修改文件，或选择只导入没有错误的行。"),
    ]
    assert re.search(r'<input type="checkbox" id="confirm" name="skip_errors"', refused.text)
