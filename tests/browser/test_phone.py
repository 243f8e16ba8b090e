"""On the phone as people really use it: 360×740, Chinese, and WeChat's in-app browser."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .conftest import VIEWPORT
from .test_field import _fill, _person, _submit
from .test_sign_in import sign_in

WECHAT = (
    "Mozilla/5.0 (Linux; Android 12; V2118A Build/SP1A.210812.003; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 "
    "MMWEBSDK/20230405 MMWEBID/2585 MicroMessenger/8.0.35.2360(0x2800235B) WeChat/arm64 "
    "Weixin NetType/4G Language/zh_CN ABI/arm64"
)
WECHAT_HINT = "点右上角 ··· 选择在浏览器打开"


def _wechat(browser: Browser, live_server: str) -> Page:
    context = browser.new_context(
        viewport=VIEWPORT, base_url=live_server, locale="zh-CN", user_agent=WECHAT
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _first_session(page: Page) -> str:
    page.goto("/trainings/")
    page.locator("main a[href*='/trainings/sessions/']").first.click()
    expect(page).to_have_url(re.compile(r"/trainings/sessions/\d+$"))
    return re.search(r"/trainings/sessions/\d+$", page.url).group(0)


def test_collapsible_sections_show_a_disclosure_marker(page: Page):
    sign_in(page, "demo-federation", "demo-pass")
    page.goto("/members/")
    summary = page.locator("main summary").first
    expect(summary).to_be_visible()
    assert summary.evaluate("s => getComputedStyle(s).display") == "list-item"


def test_masked_id_number_stays_on_one_line_on_the_member_page(page: Page):
    sign_in(page, "demo-federation", "demo-pass")
    page.goto("/members/")
    page.locator("ul.members li a").first.click()
    number = page.locator("dl.facts dd .num").first
    expect(number).to_have_text(re.compile(r"^\d{6}\*{8}[\dX]{4}$"))
    assert number.evaluate("n => n.getClientRects().length") == 1


def test_menu_is_one_row_with_the_rest_behind_more(page: Page):
    sign_in(page, "demo-admin", "demo-pass")
    menu = page.locator("nav.main")
    assert menu.bounding_box()["height"] <= 62
    contests = menu.get_by_role("link", name="技能竞赛")
    expect(contests).to_be_hidden()
    menu.get_by_text("更多", exact=True).click()
    contests.click()
    expect(page).to_have_url(re.compile(r"/contests/$"))


def test_unknown_address_keeps_the_menu_and_favicon_is_served(page: Page):
    sign_in(page, "demo-village", "demo-pass")
    answer = page.goto("/no/such/page")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("没有找到该页面，或您无权查看。")
    expect(page.locator("nav.main").get_by_role("link", name="会员")).to_be_visible()
    icon = page.request.get("/favicon.ico")
    assert (icon.status, icon.headers["content-type"]) == (200, "image/vnd.microsoft.icon")


def test_poster_says_how_to_save_it_on_a_phone(page: Page):
    sign_in(page, "demo-federation", "demo-pass")
    page.goto(_first_session(page) + "/poster")
    expect(page.locator(".save-hint")).to_contain_text("长按图片保存")


def test_preparing_the_roster_note_goes_once_the_download_started(page: Page):
    sign_in(page, "demo-federation", "demo-pass")
    page.goto("/members/export")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载", exact=True).click()
    assert download.value.suggested_filename.startswith("会员花名册")
    expect(page.locator(".busy-note")).to_have_count(0)


def test_in_wechat_download_links_say_how_to_open_the_browser(browser: Browser, live_server: str):
    page = _wechat(browser, live_server)
    sign_in(page, "demo-federation", "demo-pass")
    page.goto("/members/export")
    expect(page.locator("main .wechat-hint")).to_contain_text(WECHAT_HINT)
    expect(page.get_by_role("button", name="下载", exact=True)).to_have_count(0)
    session = _first_session(page)
    expect(page.locator("main .wechat-hint")).to_contain_text(WECHAT_HINT)
    expect(page.locator("main a[href$='sign-in-sheet.xlsx']")).to_have_count(0)
    page.goto(session + "/sign-in-sheet")
    expect(page.locator("main a[href$='.xlsx']")).to_have_count(0)
    page.context.close()


def test_outside_wechat_the_download_links_stay(page: Page):
    sign_in(page, "demo-federation", "demo-pass")
    _first_session(page)
    expect(page.locator("main a[href$='sign-in-sheet.xlsx']")).to_have_count(1)
    expect(page.locator(".wechat-hint")).to_have_count(0)


def test_in_wechat_public_pages_open_without_a_redirect(browser: Browser, live_server: str):
    page = _wechat(browser, live_server)
    sign_in(page, "demo-federation", "demo-pass")
    _first_session(page)
    public = page.locator("main a[href*='/r/']").first.get_attribute("href")
    slug = re.search(r"/r/([^/?#]+)", public).group(1)
    page.context.clear_cookies()
    for path in (f"/r/{slug}", f"/r/{slug}/find", "/login"):
        answer = page.goto(path)
        assert (answer.status, answer.request.redirected_from) == (200, None), path
    page.context.close()


def test_in_wechat_unsent_work_is_announced_and_sent_when_the_page_shows_again(
    browser: Browser, live_server: str
):
    page = _wechat(browser, live_server)
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.context.set_offline(True)
    _submit(page)
    alert = page.locator("#outbox [role=alert]")
    expect(alert).to_have_text(re.compile(r"^还有 1 条没有发送"))
    page.context.set_offline(False)
    # WeChat comes back to the foreground: no "online" event, only the page showing again
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#outbox")).to_contain_text(f"已发送 入会登记 · {person['name']}")
    page.context.close()
