"""Training pages over HTTP: the public registration page, check-in at the door, sheets."""

import io
import re
import zipfile

from litestar.testing import AsyncTestClient

from coop.accounts import domain as accounts
from coop.app import create_app
from coop.trainings import domain as trainings
from coop.trainings.tables import Registration
from tests.factories import (
    csrf_token,
    make_member,
    make_programme,
    make_session,
    mobile,
    post_form,
    registrant,
    resident_id,
    sign_in,
)


async def _session(world, **changes) -> dict:
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    session_id = await make_session(who["federation"], programme, **changes)
    return await trainings.get_session(who["federation"], session_id)


async def _public_form(client, slug: str) -> dict:
    page = await client.get(f"/r/{slug}")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    return {"_csrf_token": csrf_token(page), "submission_key": key}


def _farmer(tree, **changes) -> dict:
    return {"name": "赵六", "phone": mobile(), "village_id": str(tree.village), **changes}


async def test_public_registration_shows_the_code_and_a_retry_gets_the_same(client, world):
    tree, _ = world
    session = await _session(world)
    data = {**_farmer(tree), **await _public_form(client, session["slug"])}
    first = await client.post(f"/r/{session['slug']}", data=data, follow_redirects=False)
    again = await client.post(f"/r/{session['slug']}", data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    code = first.headers["location"].rsplit("/", 1)[1]
    page = await client.get(first.headers["location"])
    assert f'<p class="code"><strong>{code}</strong></p>' in page.text
    assert "赵*" in page.text and "赵六" not in page.text  # a code alone shows no name
    assert await Registration.count() == 1


async def test_bad_registration_keeps_what_was_typed(client, world):
    tree, _ = world
    session = await _session(world)
    form = await _public_form(client, session["slug"])
    data = {**_farmer(tree, name="长" * 500, phone="1391234567"), **form}
    answer = await client.post(f"/r/{session['slug']}", data=data)
    assert answer.status_code == 422
    assert 'value="1391234567"' in answer.text and "最多 50 个字符" in answer.text
    assert 'aria-describedby="phone-error"' in answer.text
    assert await Registration.count() == 0


async def test_forged_form_key_is_refused_with_a_new_form(client, world):
    tree, _ = world
    session = await _session(world)
    form = await _public_form(client, session["slug"])
    data = {**_farmer(tree), **form, "submission_key": "made-up.key"}
    answer = await client.post(f"/r/{session['slug']}", data=data)
    assert answer.status_code == 422 and 'value="赵六"' in answer.text
    fresh = re.search(r'name="submission_key" value="([^"]+)"', answer.text).group(1)
    assert fresh != "made-up.key" and await Registration.count() == 0


async def test_honeypot_filled_by_a_bot_is_refused(client, world):
    tree, _ = world
    session = await _session(world)
    data = {**_farmer(tree), **await _public_form(client, session["slug"]), "homepage": "x"}
    answer = await client.post(f"/r/{session['slug']}", data=data)
    assert (answer.status_code, await Registration.count()) == (422, 0)


async def test_closed_session_page_says_so_and_has_no_form(client, world):
    session = await _session(world, status="closed")
    page = await client.get(f"/r/{session['slug']}")
    assert "报名已截止" in page.text and 'name="submission_key"' not in page.text


async def test_cancel_with_a_phone_that_does_not_match_reveals_nothing(client, world):
    tree, _ = world
    session = await _session(world)
    phone = mobile()
    done = await trainings.register(session, registrant(tree, phone=phone))
    page = await client.get(f"/r/{session['slug']}/registration/{done.code}")
    token = csrf_token(page)
    wrong = await client.post(
        f"/r/{session['slug']}/cancel",
        data={"code": done.code, "phone": mobile(), "_csrf_token": token},
    )
    assert wrong.status_code == 422 and "没有与此报名码和手机号相符的报名" in wrong.text
    right = await client.post(
        f"/r/{session['slug']}/cancel",
        data={"code": done.code, "phone": phone, "_csrf_token": token},
        follow_redirects=False,
    )
    assert right.status_code == 303
    row = await Registration.select(Registration.status).first()
    assert row["status"] == "cancelled"


async def test_public_pages_are_rate_limited_per_address(settings, world):
    session = await _session(world)
    limited = create_app(
        type(settings)(**{**vars(settings), "public_rate_limit": 3, "public_rate_window": 600})
    )
    async with AsyncTestClient(app=limited) as client:
        statuses = [(await client.get(f"/r/{session['slug']}")).status_code for _ in range(4)]
        refused = await client.get(f"/r/{session['slug']}")
        # A forwarded address from a peer that is not a trusted proxy changes nothing.
        spoofed = await client.get(
            f"/r/{session['slug']}", headers={"x-forwarded-for": "203.0.113.9"}
        )
    assert statuses == [200, 200, 200, 429]
    assert int(refused.headers["retry-after"]) > 0 and "秒后再试" in refused.text
    assert spoofed.status_code == 429


async def test_organizer_checks_in_with_one_tap_and_the_figures_follow(client, world):
    tree, _ = world
    session = await _session(world)
    done = await trainings.register(session, registrant(tree, "张三"))
    await sign_in(client, "village")
    page = await client.get(f"/trainings/sessions/{session['id']}/check-in")
    answer = await client.post(
        f"/trainings/registrations/{done.registration_id}/check-in",
        headers={"hx-request": "true", "x-csrftoken": csrf_token(page)},
    )
    assert answer.status_code == 200
    assert f'<li id="registration-{done.registration_id}">' in answer.text
    assert "已签到" in answer.text
    figures = re.search(
        r'<div class="stats" id="figures" hx-swap-oob="true"[^>]*>(.*?)</div>', answer.text, re.S
    )
    assert re.findall(r"<strong>(\d+)</strong>", figures.group(1))[:2] == ["1", "1"]


async def test_check_in_without_javascript_returns_to_the_roster(client, world):
    tree, _ = world
    session = await _session(world)
    done = await trainings.register(session, registrant(tree, "张三"))
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/registrations/{done.registration_id}/check-in",
        {},
        form_url=f"/trainings/sessions/{session['id']}/check-in",
    )
    assert answer.headers["location"] == f"/trainings/sessions/{session['id']}/check-in"


async def test_live_roster_search_returns_only_the_rows(client, world):
    tree, _ = world
    session = await _session(world)
    await trainings.register(session, registrant(tree, "张三"))
    await trainings.register(session, registrant(tree, "李四"))
    await sign_in(client, "village")
    rows = await client.get(
        f"/trainings/sessions/{session['id']}/check-in?q=zs",
        headers={"hx-request": "true", "hx-target": "div#roster"},
    )
    assert "张三" in rows.text and "李四" not in rows.text and "<html" not in rows.text


async def test_walk_in_with_a_bad_phone_keeps_the_form(client, world):
    tree, _ = world
    session = await _session(world)
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/sessions/{session['id']}/walk-in",
        {"name": "路人甲", "phone": "12345", "village_id": str(tree.village)},
        form_url=f"/trainings/sessions/{session['id']}/check-in",
    )
    assert answer.status_code == 422 and 'value="路人甲"' in answer.text


async def test_enrolling_a_lead_opens_the_enrollment_form_filled_in(client, world):
    tree, _ = world
    session = await _session(world)
    phone = mobile()
    done = await trainings.register(session, registrant(tree, "新农人", phone=phone))
    await sign_in(client, "village")
    answer = await post_form(
        client, f"/trainings/registrations/{done.registration_id}/enroll", {}, "/trainings/leads"
    )
    assert answer.headers["location"] == "/members/enroll"
    form = await client.get("/members/enroll")
    assert 'value="新农人"' in form.text and f'value="{phone}"' in form.text


async def test_opening_the_leads_page_writes_nothing(client, world):
    tree, who = world
    session = await _session(world)
    phone = mobile()
    await trainings.register(session, registrant(tree, "新农人", phone=phone))
    await trainings.register(session, registrant(tree, "还没入会"))
    await make_member(who["village"], tree, "新农人", phone=phone)
    before = await Registration.select().order_by(Registration.id)
    await sign_in(client, "village")
    page = await client.get("/trainings/leads")
    assert page.status_code == 200 and "还没入会" in page.text and "新农人" not in page.text
    assert await Registration.select().order_by(Registration.id) == before


async def test_sign_in_sheet_downloads_as_excel_with_names_as_text(client, world):
    tree, _ = world
    session = await _session(world)
    await trainings.register(session, registrant(tree, "张三", phone="13900001234"))
    await sign_in(client, "federation")
    answer = await client.get(f"/trainings/sessions/{session['id']}/sign-in-sheet.xlsx")
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert all(text in strings for text in ("序号", "张三", "139****1234", "签名"))


async def test_poster_carries_the_qr_code_of_the_public_page(client, world):
    session = await _session(world)
    await sign_in(client, "federation")
    poster = await client.get(f"/trainings/sessions/{session['id']}/poster")
    assert f'src="/r/{session["slug"]}/qr.svg"' in poster.text
    svg = await client.get(f"/r/{session['slug']}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


async def test_session_form_keeps_values_when_the_end_is_before_the_start(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        f"/trainings/programmes/{programme}/sessions/new",
        {
            "topic": "短视频创作",
            "starts_at": "2030-05-01T14:00",
            "ends_at": "2030-05-01T13:00",
            "place": "村委会",
            "capacity": "40",
            "audience": "anyone",
            "status": "open",
        },
    )
    assert answer.status_code == 422
    assert 'value="2030-05-01T13:00"' in answer.text and "结束时间必须晚于开始时间" in answer.text


def _controls(html: str) -> list[str]:
    """A form page's controls: every field and choice, without what was typed."""
    form = html[html.index("<form") : html.rindex("</form>")]
    return re.findall(
        r'<(?:input|select|textarea)[^>]*name="([^"]+)"|<option value="([^"]*)"', form
    )


async def test_refused_programme_and_session_forms_come_back_as_they_were_offered(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    session_id = await make_session(who["federation"], programme)
    await sign_in(client, "federation")
    session = {"topic": "短视频创作", "starts_at": "2030-05-01T14:00", "capacity": "40"}
    for url, bad in (
        ("/trainings/programmes/new", {"title": "", "union_id": str(tree.federation)}),
        (f"/trainings/programmes/{programme}/edit", {"title": "计" * 101}),
        (f"/trainings/programmes/{programme}/sessions/new", {**session, "ends_at": ""}),
        (f"/trainings/sessions/{session_id}/edit", {**session, "ends_at": "2030-05-01T13:00"}),
    ):
        offered = await client.get(url)
        hidden = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', offered.text))
        refused = await client.post(url, data={**hidden, **bad})
        assert (offered.status_code, refused.status_code) == (200, 422), url
        assert _controls(refused.text) == _controls(offered.text), url
        assert 'class="error"' in refused.text


async def test_session_created_from_the_form_reads_times_in_china(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        f"/trainings/programmes/{programme}/sessions/new",
        {
            "topic": "短视频创作",
            "starts_at": "2030-05-01T14:00",
            "ends_at": "2030-05-01T16:30",
            "place": "村委会",
            "capacity": "40",
            "audience": "anyone",
            "status": "open",
        },
    )
    session_id = int(answer.headers["location"].rsplit("/", 1)[1])
    session = await trainings.get_session(who["federation"], session_id)
    assert session["starts_at"].isoformat() == "2030-05-01T06:00:00+00:00"
    page = await client.get(f"/trainings/sessions/{session_id}")
    assert "2030年5月1日周三 14:00–16:30" in page.text


async def test_member_page_links_the_members_trainings(client, world):
    tree, who = world
    phone = mobile()
    member_id = await make_member(who["village"], tree, "张三", phone=phone)
    session = await _session(world)
    await trainings.register(session, registrant(tree, "张三", phone=phone))
    await sign_in(client, "village")
    page = await client.get(f"/members/{member_id}")
    assert f'hx-get="/trainings/members/{member_id}"' in page.text
    part = await client.get(f"/trainings/members/{member_id}", headers={"hx-request": "true"})
    assert "直播带货基础知识" in part.text and "<html" not in part.text


async def _auth(username: str) -> dict:
    return {"authorization": f"Bearer {await accounts.create_api_token(username, 'tests')}"}


async def test_api_creates_lists_and_registers(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    headers = await _auth("federation")
    created = await client.post(
        "/api/v1/trainings/sessions/",
        json={
            "programme_id": programme,
            "topic": "直播带货基础知识",
            "starts_at": "2030-05-01T14:00:00+08:00",
            "ends_at": "2030-05-01T16:00:00+08:00",
            "place": "村委会",
            "capacity": 1,
            "audience": "anyone",
            "status": "open",
        },
        headers=headers,
    )
    assert created.status_code == 201
    session_id = created.json()["id"]
    listed = await client.get("/api/v1/trainings/sessions/", headers=headers)
    assert [s["id"] for s in listed.json()] == [session_id]
    url = f"/api/v1/trainings/sessions/{session_id}/registrations"
    body = {"name": "赵六", "phone": mobile(), "village_id": tree.village}
    first = await client.post(url, json=body)
    again = await client.post(url, json=body)
    second = await client.post(url, json={**body, "phone": mobile(), "name": "钱七"})
    assert [(r.status_code, r.json().get("status")) for r in (first, again, second)] == [
        (201, "confirmed"),
        (422, 422),  # a problem, not the code: it is not given to whoever knows the phone
        (201, "waitlisted"),
    ]
    assert again.headers["content-type"] == "application/problem+json"
    assert second.json()["waiting_position"] == 1
    registrations = await client.get(url, headers=headers)
    assert [r["name"] for r in registrations.json()] == ["赵六", "钱七"]
    assert "phone" not in registrations.json()[0]


async def test_api_refuses_a_session_the_form_refuses_with_the_same_messages(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    too_long = {
        "place": "村" * 201,
        "trainer": "王" * 101,
        "online_link": "https://a.cn/" + "x" * 500,
    }
    answer = await client.post(
        "/api/v1/trainings/sessions/",
        json={
            "programme_id": programme,
            "topic": "直播带货基础知识",
            "starts_at": "2030-05-01T14:00:00+08:00",
            "ends_at": "2030-05-01T16:00:00+08:00",
            "capacity": 40,
            **too_long,
        },
        headers=await _auth("federation"),
    )
    await sign_in(client, "federation")
    form = await post_form(
        client,
        f"/trainings/programmes/{programme}/sessions/new",
        {
            "topic": "直播带货基础知识",
            "starts_at": "2030-05-01T14:00",
            "ends_at": "2030-05-01T16:00",
            "capacity": "40",
            "audience": "members",
            "status": "draft",
            **too_long,
        },
    )
    assert (answer.status_code, form.status_code) == (422, 422)
    errors = answer.json()["errors"]
    assert errors == {
        "trainer": "最多 100 个字符。",
        "place": "最多 200 个字符。",
        "online_link": "最多 500 个字符。",
    }
    for field, message in errors.items():
        assert f'<p class="error" id="{field}-error">{message}</p>' in form.text
    assert await trainings.sessions(who["federation"], programme) == []


async def test_api_registration_with_bad_input_names_the_field(client, world):
    tree, _ = world
    session = await _session(world)
    url = f"/api/v1/trainings/sessions/{session['id']}/registrations"
    answer = await client.post(url, json={"name": "赵六", "phone": "123", "village_id": 0})
    assert answer.status_code == 422 and set(answer.json()["errors"]) == {"phone", "village_id"}


async def test_api_refuses_a_draft_session(client, world):
    tree, _ = world
    session = await _session(world, status="draft")
    url = f"/api/v1/trainings/sessions/{session['id']}/registrations"
    answer = await client.post(url, json={"name": "赵六", "phone": mobile(), "village_id": 1})
    assert answer.status_code == 404


async def test_a_double_tapped_session_form_creates_one_session(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    await sign_in(client, "federation")
    form = await client.get(f"/trainings/programmes/{programme}/sessions/new")
    key = re.search(r'name="submission_key" value="([^"]+)"', form.text).group(1)
    data = {
        "topic": "短视频创作",
        "starts_at": "2030-05-01T14:00",
        "ends_at": "2030-05-01T16:30",
        "place": "村委会",
        "capacity": "40",
        "audience": "anyone",
        "status": "open",
        "submission_key": key,
        "_csrf_token": csrf_token(form),
    }
    url = f"/trainings/programmes/{programme}/sessions/new"
    first = await client.post(url, data=data, follow_redirects=False)
    second = await client.post(url, data=data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]
    assert len(await trainings.sessions(who["federation"], programme)) == 1


async def test_api_refuses_a_nul_byte_in_the_session_place_as_the_form_does(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    answer = await client.post(
        "/api/v1/trainings/sessions/",
        json={
            "programme_id": programme,
            "topic": "直播带货基础知识",
            "starts_at": "2030-05-01T14:00:00+08:00",
            "ends_at": "2030-05-01T16:00:00+08:00",
            "place": "村委\x00会",
            "capacity": 40,
        },
        headers=await _auth("federation"),
    )
    assert (answer.status_code, list(answer.json()["errors"])) == (422, ["place"])
    assert await trainings.sessions(who["federation"], programme) == []


async def test_api_registration_refuses_a_nul_or_overlong_idempotency_key(client, world):
    tree, _ = world
    session = await _session(world)
    url = f"/api/v1/trainings/sessions/{session['id']}/registrations"
    body = {"name": "赵六", "phone": mobile(), "village_id": tree.village}
    answers = [
        await client.post(url, json=body, headers={"Idempotency-Key": key})
        for key in ("abc\x00def", "k" * 201)
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert await Registration.count().where(Registration.session == session["id"]) == 0


async def test_contest_form_with_a_nul_submission_key_is_refused_not_a_server_error(client, world):
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        "/contests/new",
        {"title": "工会有力量 职工来带货", "submission_key": "abc\x00def"},
    )
    assert answer.status_code == 400


async def test_members_only_page_says_so_before_the_form_and_answers_every_phone_alike(
    client, world
):
    tree, who = world
    member_phone = mobile()
    await make_member(who["federation"], tree, "王五", phone=member_phone)
    session = await _session(world, audience="members")
    page = await client.get(f"/r/{session['slug']}")
    notice = page.text.index("会员请填写身份证号后4位以确认身份。")
    assert notice < page.text.index('<form method="post" class="card" novalidate>')
    answers = []
    for phone in (member_phone, mobile()):
        form = await _public_form(client, session["slug"])
        answer = await client.post(
            f"/r/{session['slug']}", data={**form, **_farmer(tree, phone=phone)}
        )
        errors = re.findall(r'<p class="error" id="[\w-]+">([^<]*)</p>', answer.text)
        answers.append((answer.status_code, errors))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422
    assert await Registration.count() == 0


async def test_organizer_roster_marks_a_disputed_registration(client, world):
    tree, who = world
    phone, number = mobile(), resident_id()
    await make_member(who["federation"], tree, "王五", phone=phone, id_number=number)
    session = await _session(world, audience="anyone")
    await trainings.register(session, registrant(tree, "冒名", phone=phone))
    await trainings.register(session, registrant(tree, "王五", phone=phone, id_tail=number[-4:]))
    await sign_in(client, "federation")
    page = await client.get(f"/trainings/sessions/{session['id']}")
    assert page.text.count("有争议：已有会员用此手机号报名") == 1


async def test_registration_confirmation_names_the_session_its_programme_place_and_time(
    client, world
):
    tree, _ = world
    session = await _session(world)
    data = {**_farmer(tree), **await _public_form(client, session["slug"])}
    answer = await client.post(f"/r/{session['slug']}", data=data)
    confirmation = answer.text[answer.text.index('id="registered-for"') :]
    assert "直播带货基础知识" in confirmation
    assert "新农人孵化培养计划" in confirmation
    assert "蔡家寺村村委会" in confirmation
    assert "<dt>时间</dt>" in confirmation


async def test_open_session_takes_someone_from_another_village_and_counts_them_apart(client, world):
    tree, who = world
    session = await _session(world)
    form = await _public_form(client, session["slug"])
    page = await client.get(f"/r/{session['slug']}")
    assert '<option value="other">其他村 / 外地</option>' in page.text
    answer = await client.post(
        f"/r/{session['slug']}",
        data={**form, **_farmer(tree, village_id="other", village_other="重庆市江北区")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    [row] = await Registration.select(Registration.village, Registration.village_other)
    assert row == {"village": None, "village_other": "重庆市江北区"}
    await sign_in(client, "federation")
    roster = await client.get(f"/trainings/sessions/{session['id']}")
    assert "重庆市江北区（其他村 / 外地）" in roster.text


async def test_open_session_takes_someone_who_gives_no_village_at_all(client, world):
    tree, _ = world
    session = await _session(world)
    form = await _public_form(client, session["slug"])
    answer = await client.post(
        f"/r/{session['slug']}",
        data={**form, **_farmer(tree, village_id="")},
        follow_redirects=False,
    )
    assert answer.status_code == 303


async def test_members_only_session_still_asks_for_a_village_of_the_list(client, world):
    tree, _ = world
    session = await _session(world, audience="members")
    form = await _public_form(client, session["slug"])
    answer = await client.post(
        f"/r/{session['slug']}", data={**form, **_farmer(tree, village_id="other")}
    )
    assert answer.status_code == 422
    assert '<p class="error" id="village_id-error">请从列表中选择村。</p>' in answer.text
    assert 'name="village_other"' not in answer.text


async def test_api_registration_for_an_open_session_needs_no_village(client, world):
    session = await _session(world)
    url = f"/api/v1/trainings/sessions/{session['id']}/registrations"
    answer = await client.post(
        url, json={"name": "赵六", "phone": mobile(), "village_other": "江北区"}
    )
    assert answer.status_code == 201
    listed = await client.get(url, headers=await _auth("federation"))
    assert [(r["village"], r["village_other"]) for r in listed.json()] == [(None, "江北区")]


async def test_api_registration_for_a_members_only_session_still_needs_a_village(client, world):
    session = await _session(world, audience="members")
    answer = await client.post(
        f"/api/v1/trainings/sessions/{session['id']}/registrations",
        json={"name": "赵六", "phone": mobile()},
    )
    assert answer.status_code == 422
