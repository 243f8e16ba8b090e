"""Enrolling a member on a phone, from the village to the welcome pack, in a real browser.

A village organizer types a name and an ID number (live feedback under the field),
gets a bad phone number back with everything kept, saves a backbone applicant and
finds them again by pinyin initials; the federation organizer approves them and marks
the welcome pack issued. Nothing depends on demo members: the test creates its own.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from coop.members.identity import make_resident_id

from .conftest import VIEWPORT
from .test_sign_in import assert_no_horizontal_scroll, sign_in

OWN_COOPERATIVE = "蔡家寺村“黑黑黑”合作社"
VILLAGE = "蔡家寺村"
NAME = "单小梅"  # 单: shan, dan or chan; the search must find all of them
BIRTH_DATE = dt.date(1990, 5, 6)
SCREENSHOT = "/tmp/coop-enroll.png"

# Set on `window` before an htmx interaction; a full page load would drop it.
MARK = "window.__coopNoReload = true"
STILL_MARKED = "window.__coopNoReload === true"


def _age_today(birth: dt.date) -> int:
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _wrong_check_digit(resident_id: str) -> str:
    wrong = next(c for c in "1234567890X" if c != resident_id[-1])
    return resident_id[:-1] + wrong


def test_village_enrolls_federation_approves_and_hands_out_welcome_pack(
    page: Page, browser: Browser, live_server: str
):
    rng = random.Random()
    # Sequence 500-999: `coop demo` only uses 000-499, so no clash with a demo member.
    resident_id = make_resident_id("500113", BIRTH_DATE, rng.randrange(500, 1000))
    sex = "男" if int(resident_id[16]) % 2 else "女"
    masked_id = resident_id[:6] + "********" + resident_id[-4:]
    phone = "139" + "".join(rng.choice("0123456789") for _ in range(8))

    # 1. The enrollment form, with the organizer's own cooperative pre-selected.
    sign_in(page, "demo-village", "demo-pass")
    expect(page).to_have_url(re.compile(r"/$"))
    page.locator("nav.main").get_by_role("link", name="入会登记", exact=True).click()
    expect(page).to_have_url(re.compile(r"/members/enroll$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("入会登记")
    expect(page.locator("#cooperative_id option:checked")).to_have_text(OWN_COOPERATIVE)
    assert_no_horizontal_scroll(page)

    # 2. Live feedback while the ID number is typed: wrong check digit, then right.
    page.get_by_label("姓名", exact=True).fill(NAME)
    id_field = page.get_by_label("身份证号")
    feedback = page.locator("#id-feedback")
    page.evaluate(MARK)
    id_field.press_sequentially(_wrong_check_digit(resident_id), delay=20)
    expect(feedback).to_contain_text("校验码不符")
    expect(feedback.locator(".error")).to_be_visible()
    id_field.press("Backspace")
    id_field.press_sequentially(resident_id[-1], delay=20)
    expect(feedback.locator(".ok")).to_be_visible()
    expect(feedback).not_to_contain_text("校验码不符")
    expect(feedback).to_contain_text(sex)
    expect(feedback).to_contain_text("1990年5月6日")
    expect(feedback).to_contain_text(f"{_age_today(BIRTH_DATE)} 岁")
    expect(feedback).to_contain_text("重庆市巴南区")
    assert page.evaluate(STILL_MARKED), "the live ID check reloaded the page"
    assert_no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # 3. A 10-digit mobile number comes back with the error and every typed value kept.
    page.get_by_label("手机号").fill("1381234567")
    save = page.get_by_role("button", name="保存为申请人", exact=True)
    with page.expect_response(
        lambda r: r.request.method == "POST" and "/enroll" in r.url
    ) as refused:
        save.click()  # one request: the answer's page takes the place of this one's
    assert refused.value.status == 422
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#phone-error")).to_have_text("请填写以 1 开头的 11 位手机号。")
    expect(page.get_by_label("手机号")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("姓名", exact=True)).to_have_value(NAME)
    expect(page.get_by_label("身份证号")).to_have_value(resident_id)
    expect(page.get_by_label("手机号")).to_have_value("1381234567")
    expect(page.locator("#cooperative_id option:checked")).to_have_text(OWN_COOPERATIVE)
    expect(feedback).to_contain_text("重庆市巴南区")  # the feedback is back too
    assert_no_horizontal_scroll(page)

    page.get_by_label("手机号").fill(phone)
    page.get_by_label("骨干成员", exact=True).check()
    save.click()
    expect(page).to_have_url(re.compile(r"/members/\d+$"))
    member_path = re.search(r"/members/\d+$", page.url).group(0)
    main = page.locator("main")
    expect(main.locator(".flash")).to_have_text("已保存为申请人。")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    expect(main).to_contain_text(masked_id)
    expect(main.locator(".tag").filter(has_text=re.compile(r"^骨干$"))).to_be_visible()
    assert resident_id not in page.content(), "the full ID number is on the member page"
    assert_no_horizontal_scroll(page)

    # 4. Live search by pinyin initials, for two readings of the surname.
    page.locator("nav.main").get_by_role("link", name="会员", exact=True).click()
    expect(page).to_have_url(re.compile(r"/members/$"))
    assert_no_horizontal_scroll(page)
    results = page.locator("#results")
    search = page.get_by_label("搜索", exact=True)
    heading = page.get_by_role("heading", level=1).element_handle()
    page.evaluate(MARK)
    for initials in ("sxm", "dxm"):
        search.fill("")
        with page.expect_response(
            lambda r, q=initials: (
                f"q={q}" in r.url and r.request.headers.get("hx-request") == "true"
            )
        ) as answer:
            search.press_sequentially(initials, delay=50)
        rows = answer.value.text()
        assert NAME in rows, f"searching {initials!r} does not find {NAME}"
        assert "<html" not in rows, "the live search got a whole page, not the rows"
        expect(page).to_have_url(re.compile(rf"[?&]q={initials}(&|$)"))  # hx-push-url
        expect(results.get_by_role("link", name=NAME, exact=True)).to_be_visible()
        expect(results).to_contain_text(masked_id)
        assert page.evaluate(STILL_MARKED), f"searching {initials!r} reloaded the page"
        assert heading.evaluate("h => h.isConnected"), "the page outside #results was replaced"
        assert_no_horizontal_scroll(page)

    # 5. The federation organizer approves, then hands out the welcome pack.
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    try:
        federation = context.new_page()
        federation.set_default_timeout(10_000)
        sign_in(federation, "demo-federation", "demo-pass")
        expect(federation).to_have_url(re.compile(r"/$"))
        federation.goto(member_path)
        expect(federation.get_by_role("heading", level=1)).to_contain_text(NAME)
        assert_no_horizontal_scroll(federation)
        federation.get_by_role("button", name="批准入会", exact=True).click()
        expect(federation.locator("main .flash")).to_have_text("已批准。")
        card = federation.locator("dt", has_text="会员卡号").locator(
            "xpath=following-sibling::dd[1]"
        )
        expect(card).to_have_text(re.compile(r"\S+"))
        card_number = card.inner_text().strip()
        expect(federation.get_by_role("button", name="批准入会", exact=True)).to_have_count(0)
        assert_no_horizontal_scroll(federation)

        federation.locator("nav.main").get_by_role("link", name="会员", exact=True).click()
        expect(federation).to_have_url(re.compile(r"/members/$"))
        assert_no_horizontal_scroll(federation)
        federation.get_by_role("link", name="入会大礼包", exact=True).click()
        expect(federation).to_have_url(re.compile(r"/members/welcome-packs$"))
        expect(federation.get_by_role("heading", level=1)).to_have_text("待发放的入会大礼包")
        assert_no_horizontal_scroll(federation)
        federation.get_by_label("村", exact=True).select_option(label=VILLAGE)
        federation.get_by_role("button", name="显示", exact=True).click()
        expect(federation).to_have_url(re.compile(r"/members/welcome-packs\?village_id=\d+$"))
        assert_no_horizontal_scroll(federation)
        row = (
            federation.locator("li")
            .filter(has=federation.locator("strong", has_text=re.compile(rf"^{NAME}$")))
            .filter(has_text=card_number)
        )
        expect(row).to_have_count(1)
        expect(row).to_contain_text(VILLAGE)
        federation.evaluate(MARK)
        row.get_by_role("button", name="确认发放", exact=True).click()
        expect(row).to_contain_text("已发放入会大礼包")
        expect(row.get_by_role("button", name="确认发放")).to_have_count(0)
        expect(row.get_by_role("button", name="撤销", exact=True)).to_be_visible()
        assert federation.evaluate(STILL_MARKED), "marking the welcome pack reloaded the page"
        assert_no_horizontal_scroll(federation)
    finally:
        context.close()
