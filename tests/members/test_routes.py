import re
from urllib.parse import quote

from coop.audit.domain import recent
from coop.members import domain as members
from coop.members.tables import Member, RosterTemplate
from tests.factories import (
    csrf_token,
    make_member,
    mobile,
    post_form,
    resident_id,
    sign_in,
)


def _enrollment(tree, **changes):
    return {
        "name": "李四",
        "resident_id": resident_id(),
        "phone": mobile(),
        "cooperative_id": tree.cooperative,
        "village_id": tree.village,
        **changes,
    }


async def _enroll(client, data):
    page = await client.get("/members/enroll")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    payload = {**data, "_csrf_token": csrf_token(page), "submission_key": key}
    return await client.post("/members/enroll", data=payload, follow_redirects=False), payload


async def test_enroll_form_preselects_the_village_organizers_cooperative(client, world):
    tree, _ = world
    await sign_in(client, "village")
    page = await client.get("/members/enroll")
    assert f'<option value="{tree.cooperative}" selected>' in page.text


async def test_live_id_check_shows_what_the_number_says(client, world):
    await sign_in(client, "village")
    page = await client.get("/members/enroll")
    answer = await client.post(
        "/members/id-check",
        data={"resident_id": "360426199101010071"},
        headers={"hx-request": "true", "x-csrftoken": csrf_token(page)},
    )
    assert "男 · 1991年1月1日" in answer.text and "江西省德安县" in answer.text
    bad = await client.post(
        "/members/id-check",
        data={"resident_id": "36042619910102009X"},
        headers={"hx-request": "true", "x-csrftoken": csrf_token(page)},
    )
    assert "校验码不符" in bad.text


async def test_enroll_then_the_member_page_shows_masked_numbers_only(client, world):
    tree, _ = world
    await sign_in(client, "village")
    data = _enrollment(tree)
    response, _ = await _enroll(client, data)
    assert response.status_code == 303
    assert data["resident_id"] not in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "已保存为申请人。" in page.text
    assert data["resident_id"] not in page.text and data["phone"] not in page.text
    assert data["resident_id"][:6] + "********" + data["resident_id"][-4:] in page.text


async def test_bad_check_digit_comes_back_with_everything_typed(client, world):
    tree, _ = world
    await sign_in(client, "village")
    number = resident_id()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    response, _ = await _enroll(client, _enrollment(tree, resident_id=bad, name="王小二"))
    assert response.status_code == 422
    assert "校验码不符" in response.text
    assert f'value="{bad}"' in response.text and 'value="王小二"' in response.text
    assert await Member.count().run() == 0


async def test_resending_the_same_form_creates_one_member(client, world):
    tree, _ = world
    await sign_in(client, "village")
    first, payload = await _enroll(client, _enrollment(tree))
    again = await client.post("/members/enroll", data=payload, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, first.headers["location"])
    assert await Member.count().run() == 1


async def test_duplicate_in_scope_links_to_the_record(client, world):
    tree, who = world
    number = resident_id()
    member_id = await make_member(who["village"], tree, id_number=number)
    await sign_in(client, "village")
    response, _ = await _enroll(client, _enrollment(tree, resident_id=number))
    assert response.status_code == 409
    assert (
        "该身份证号已经登记。" in response.text and f'href="/members/{member_id}"' in response.text
    )


async def test_duplicate_outside_scope_names_only_the_union(client, world):
    tree, who = world
    number = resident_id()
    await make_member(
        who["admin"],
        tree,
        "外人",
        cooperative=tree.far_cooperative,
        village=tree.far_village,
        id_number=number,
    )
    await sign_in(client, "village")
    response, _ = await _enroll(client, _enrollment(tree, resident_id=number))
    assert response.status_code == 409
    assert "“界石果蔬”产业工会联合会" in response.text
    assert "外人" not in response.text and "/members/" + '1"' not in response.text


async def test_live_search_by_initials_returns_the_rows(client, world):
    tree, who = world
    await make_member(who["village"], tree, "张三")
    await make_member(who["village"], tree, "李四")
    await sign_in(client, "village")
    rows = await client.get(
        "/members/?q=zs", headers={"hx-request": "true", "hx-target": "div#results"}
    )
    assert "张三" in rows.text and "李四" not in rows.text and "<html" not in rows.text


async def test_welcome_pack_tap_swaps_in_place_and_can_be_undone(client, world):
    tree, who = world
    member_id = await make_member(who["village"], tree, backbone=True)
    await members.approve(who["federation"], [member_id])
    await sign_in(client, "village")
    page = await client.get("/members/welcome-packs")
    headers = {"hx-request": "true", "x-csrftoken": csrf_token(page)}
    issued = await client.post(f"/members/{member_id}/welcome-pack", headers=headers)
    assert "已发放入会大礼包" in issued.text and "撤销" in issued.text
    undone = await client.post(f"/members/{member_id}/welcome-pack/undo", headers=headers)
    assert "确认发放" in undone.text


async def test_full_id_shown_to_federation_organizer_after_a_post_and_audited(client, world):
    tree, who = world
    number = resident_id()
    member_id = await make_member(who["village"], tree, id_number=number)
    await sign_in(client, "federation")
    response = await post_form(
        client, f"/members/{member_id}/reveal", {}, form_url=f"/members/{member_id}"
    )
    assert number in response.text
    assert response.headers["cache-control"] == "no-store"
    assert (await recent(1))[0]["action"] == "reveal_id"


async def test_bulk_approval_reports_refusals(client, world):
    tree, who = world
    backbone = await make_member(who["village"], tree, "骨干", backbone=True)
    ordinary = await make_member(who["village"], tree, "社员")
    await sign_in(client, "federation")
    response = await post_form(
        client,
        "/members/approve",
        {"member_ids": [str(backbone), str(ordinary)]},
        form_url="/members/?status=applicant",
    )
    page = await client.get(response.headers["location"])
    assert "1 人已批准。" in page.text and "1 人未批准" in page.text


async def test_stale_edit_keeps_what_was_typed_and_says_why(client, world):
    tree, who = world
    member_id = await make_member(who["village"], tree)
    await sign_in(client, "village")
    form = await client.get(f"/members/{member_id}/edit")
    token = csrf_token(form)
    await members.record_post(who["federation"], member_id, "sales", members.local_today())
    new_phone = mobile()
    response = await client.post(
        f"/members/{member_id}/edit",
        data={
            "_csrf_token": token,
            "version": "1",
            "phone": new_phone,
            "village_id": tree.village,
            "cooperative_id": tree.cooperative,
        },
    )
    assert response.status_code == 422
    assert "其他人修改了" in response.text and f'value="{new_phone}"' in response.text


async def test_member_pages_are_under_14_kb_gzipped_with_a_full_page_of_rows(client, world):
    import gzip

    tree, who = world
    ids = [await make_member(who["federation"], tree, f"成员{n}", backbone=True) for n in range(51)]
    await members.approve(who["federation"], ids[:10])
    await sign_in(client, "federation")
    sizes = {}
    for path in [
        "/members/",
        "/members/?status=member",
        "/members/enroll",
        f"/members/{ids[0]}",
        f"/members/{ids[0]}/edit",
        "/members/welcome-packs",
        f"/members/policy/{tree.federation}",
        "/",
    ]:
        page = await client.get(path)
        assert page.status_code == 200, path
        sizes[path] = len(gzip.compress(page.content))
    assert {p: s for p, s in sizes.items() if s > 14 * 1024} == {}


async def test_outbox_resend_gets_the_first_answer_and_the_flash_waits_for_that_page(client, world):
    tree, _ = world
    await sign_in(client, "village")
    page = await client.get("/members/enroll")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    payload = {**_enrollment(tree), "_csrf_token": csrf_token(page), "submission_key": key}
    outbox = {"Coop-Outbox": "1"}
    first = await client.post("/members/enroll", data=payload, headers=outbox)
    again = await client.post("/members/enroll", data=payload, headers=outbox)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.headers["coop-location"] == again.headers["coop-location"]
    assert await Member.count() == 1
    shown = await client.get(first.headers["coop-location"])
    assert "已保存为申请人。" in shown.text
    changed = await client.post("/members/enroll", data={**payload, "name": "王五"}, headers=outbox)
    assert changed.status_code == 422 and await Member.count() == 1


async def test_outbox_hears_a_refusal_with_its_reason_and_no_flash_is_left(client, world):
    tree, who = world
    await sign_in(client, "village")
    applicant = await make_member(who["village"], tree, "张三")  # no welcome pack before approval
    page = await client.get(f"/members/{applicant}")
    outbox = {"Coop-Outbox": "1"}
    data = {"_csrf_token": csrf_token(page)}
    refused = await client.post(f"/members/{applicant}/welcome-pack", data=data, headers=outbox)
    assert (refused.status_code, refused.headers["coop-location"]) == (409, f"/members/{applicant}")
    assert refused.text == '<main><p role="alert">批准入会后才能领取入会大礼包。</p></main>'
    later = await client.get(f"/members/{applicant}")  # the outbox said it; no flash waits
    assert (later.status_code, 'class="flash"' in later.text) == (200, False)
    shown = await client.post(f"/members/{applicant}/welcome-pack", data=data)  # no outbox
    assert '<p class="flash" role="status">批准入会后才能领取入会大礼包。</p>' in shown.text


def _form_html(page) -> str:
    """The page's main form, without its one-time token: what the user sees to fill in."""
    text = page.text[page.text.index("<main") :]
    html = text[text.index("<form") : text.index("</form>")]
    return re.sub(r'name="_csrf_token" value="[^"]*"', "", html)


async def test_refused_change_and_policy_come_back_on_the_form_they_were_sent_from(client, world):
    tree, who = world
    member_id = await make_member(who["federation"], tree, backbone=True)
    await members.approve(who["federation"], [member_id])
    await sign_in(client, "federation")
    for url, typed, field in (
        (
            f"/members/{member_id}/changes",
            {"on_date": "2999-01-01", "note": "外出务工", "kind": "withdraw", "reason": "5"},
            "on_date",
        ),
        (f"/members/policy/{tree.federation}", {"card_prefix": "J-J"}, "card_prefix"),
    ):
        shown = await client.get(url)
        sent = {**dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', _form_html(shown))), **typed}
        answer = await client.post(url, data={**sent, "_csrf_token": csrf_token(shown)})
        assert answer.status_code == 422, url
        assert f'id="{field}-error"' in answer.text
        refilled = _form_html(answer)
        assert all(f'value="{value}"' in refilled for value in typed.values())
        # the same form as the first answer's, besides what was typed and why it was refused
        assert re.sub(r"\s+", " ", refilled).count("<input") == _form_html(shown).count("<input")


# Digits of other scripts: NFKC keeps them, and isdigit(), int() and \d accept them.
OTHER_DIGITS = {"NKo": 0x07C0, "Devanagari": 0x0966, "Arabic-Indic": 0x0660}


def _in_digits(text: str, zero: int) -> str:
    return "".join(chr(zero + int(ch)) if ch in "0123456789" else ch for ch in text)


async def test_enrollment_refuses_the_same_id_written_in_other_scripts_digits(client, world):
    tree, _ = world
    await sign_in(client, "village")
    number = resident_id()
    first, _ = await _enroll(client, _enrollment(tree, resident_id=number))
    assert first.status_code == 303
    for script, zero in OTHER_DIGITS.items():
        again, _ = await _enroll(client, _enrollment(tree, resident_id=_in_digits(number, zero)))
        assert (script, again.status_code) == (script, 422)
        assert "只能填写数字，最后一位可以是 X。" in again.text, script
    full_width, _ = await _enroll(client, _enrollment(tree, resident_id=_in_digits(number, 0xFF10)))
    assert full_width.status_code == 409  # the same number as typed in ASCII
    assert await Member.count() == 1


async def test_enrollment_refuses_a_phone_in_nko_digits(client, world):
    tree, _ = world
    await sign_in(client, "village")
    phone = mobile()
    typed = phone[:2] + _in_digits(
        phone[2:], 0x07C0
    )  # "13" and nine NKo digits matched 1[3-9]\d{9}
    response, _ = await _enroll(client, _enrollment(tree, phone=typed))
    assert response.status_code == 422
    assert 'id="phone-error"' in response.text
    assert await Member.count() == 0


async def test_change_note_with_a_nul_byte_is_refused_next_to_the_field(client, world):
    tree, who = world
    member_id = await make_member(who["federation"], tree)
    await sign_in(client, "federation")
    response = await post_form(
        client,
        f"/members/{member_id}/changes",
        {"on_date": "2026-01-05", "kind": "withdraw", "reason": "5", "note": "外出\x00务工"},
    )
    assert response.status_code == 422
    assert 'id="note-error"' in response.text and "控制字符" in response.text
    assert (await Member.select(Member.status).first())["status"] == "applicant"


async def test_roster_template_name_with_a_nul_byte_is_refused_and_not_saved(client, world):
    await sign_in(client, "federation")
    response = await post_form(
        client,
        "/members/export",
        {"template_name": "我的\x00名单", "columns": ["name"], "format": "csv"},
    )
    assert response.status_code == 422
    assert 'id="template_name-error"' in response.text
    assert await RosterTemplate.count() == 0


async def test_phone_reveal_writes_an_audit_entry_naming_actor_and_member(client, world):
    tree, who = world
    phone = mobile()
    member_id = await make_member(who["village"], tree, phone=phone)
    await sign_in(client, "village")
    response = await post_form(
        client, f"/members/{member_id}/phone", {}, form_url=f"/members/{member_id}"
    )
    assert phone in response.text
    entry = (await recent(1))[0]
    assert (entry["action"], entry["record_type"], entry["record_id"], entry["actor_id"]) == (
        "reveal_phone",
        "member",
        str(member_id),
        who["village"].id,
    )


async def test_edit_page_shows_the_phone_masked_and_reveals_it_only_on_request(client, world):
    tree, who = world
    phone = mobile()
    member_id = await make_member(who["village"], tree, phone=phone)
    await sign_in(client, "village")
    form = await client.get(f"/members/{member_id}/edit")
    assert phone not in form.text
    assert f"{phone[:3]}****{phone[-4:]}" in form.text
    assert [e["action"] for e in await recent(5)].count("reveal_phone") == 0
    revealed = await client.post(
        f"/members/{member_id}/edit/phone",
        data={"_csrf_token": csrf_token(form), "version": "1", "education": "60"},
    )
    assert f'value="{phone}"' in revealed.text  # what was typed is kept beside it
    assert '<option value="60" selected>' in revealed.text
    assert (await recent(1))[0]["action"] == "reveal_phone"


async def test_saving_the_edit_form_without_retyping_the_phone_keeps_it(client, world):
    tree, who = world
    phone = mobile()
    member_id = await make_member(who["village"], tree, phone=phone)
    await sign_in(client, "village")
    response = await post_form(
        client,
        f"/members/{member_id}/edit",
        {"version": "1", "phone": "", "village_id": tree.village, "education": "60"},
        form_url=f"/members/{member_id}/edit",
    )
    assert response.status_code == 303
    assert await members.reveal_phone(who["village"], member_id) == phone
    saved = await Member.select(Member.village, Member.education).first()
    assert saved == {"village": tree.village, "education": "60"}


async def test_editing_the_phone_takes_a_new_full_number(client, world):
    tree, who = world
    member_id = await make_member(who["village"], tree)
    await sign_in(client, "village")
    masked = await post_form(
        client,
        f"/members/{member_id}/edit",
        {"version": "1", "phone": "139****0001", "village_id": tree.village},
        form_url=f"/members/{member_id}/edit",
    )
    assert masked.status_code == 422 and 'id="phone-error"' in masked.text
    new_phone = mobile()
    changed = await post_form(
        client,
        f"/members/{member_id}/edit",
        {"version": "1", "phone": new_phone, "village_id": tree.village},
        form_url=f"/members/{member_id}/edit",
    )
    assert changed.status_code == 303
    assert await members.reveal_phone(who["village"], member_id) == new_phone


async def test_member_addresses_in_other_scripts_digits_name_no_member(client, world):
    tree, who = world
    member_id = await make_member(who["village"], tree)
    assert member_id == 1
    await sign_in(client, "federation")
    assert (await client.get("/members/1")).status_code == 200
    for segment in ("१", "߁", "١", "+1", "0_1"):
        assert (segment, (await client.get(f"/members/{quote(segment)}")).status_code) == (
            segment,
            404,
        )
        assert (await client.get(f"/members/{quote(segment)}/edit")).status_code == 404


async def test_welcome_pack_tap_on_the_list_updates_the_count_out_of_band(client, world):
    tree, who = world
    first = await make_member(who["village"], tree, "张三", backbone=True)
    second = await make_member(who["village"], tree, "李四", backbone=True)
    await members.approve(who["federation"], [first, second])
    await sign_in(client, "village")
    page = await client.get("/members/welcome-packs")
    assert "2 名会员尚未领取入会大礼包" in page.text
    issued = await client.post(
        f"/members/{first}/welcome-pack",
        data={"next": "/members/welcome-packs"},
        headers={"hx-request": "true", "x-csrftoken": csrf_token(page)},
    )
    count = re.search(r'<p class="muted" id="pending-count"[^>]*>([^<]*)</p>', issued.text)
    assert 'hx-swap-oob="true"' in count.group(0)
    assert "1 名会员尚未领取入会大礼包" in count.group(1)


async def test_welcome_pack_without_javascript_names_the_member_and_offers_undo(client, world):
    tree, who = world
    member_id = await make_member(who["village"], tree, "张三", backbone=True)
    await members.approve(who["federation"], [member_id])
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/members/{member_id}/welcome-pack",
        {"next": "/members/welcome-packs"},
        form_url="/members/welcome-packs",
    )
    assert answer.headers["location"] == f"/members/welcome-packs?issued_id={member_id}"
    page = await client.get(answer.headers["location"])
    assert "已为张三登记发放入会大礼包。" in page.text
    assert f'action="/members/{member_id}/welcome-pack/undo"' in page.text
    assert "0 名会员尚未领取入会大礼包" in page.text
    undone = await post_form(
        client,
        f"/members/{member_id}/welcome-pack/undo",
        {"next": "/members/welcome-packs"},
        form_url=answer.headers["location"],
    )
    back = await client.get(undone.headers["location"])
    assert "已撤销张三的入会大礼包发放登记。" in back.text
    assert "1 名会员尚未领取入会大礼包" in back.text
