"""Signing in, scoped views and the language switch in a real browser at phone size."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

OWN_COOPERATIVE = "蔡家寺村“黑黑黑”合作社"
SAME_FEDERATION = "文石村蔬菜专业合作社"
OTHER_TOWN = "桂花村果蔬合作社"
SCREENSHOT = "/tmp/coop-browser.png"


def sign_in(page: Page, username: str, password: str) -> None:
    response = page.goto("/login")
    assert response is not None
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("text/html"), f"/login is served as {content_type!r}"
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()


def assert_no_horizontal_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} scrolls sideways: {width} px wide at a 360 px viewport"


def assert_sees_only_own_cooperative(page: Page) -> None:
    main = page.locator("main")
    expect(main).to_contain_text(OWN_COOPERATIVE)
    expect(main).not_to_contain_text(SAME_FEDERATION)
    expect(main).not_to_contain_text(OTHER_TOWN)


def test_village_organizer_sees_only_their_cooperative_and_switches_language(page: Page):
    sign_in(page, "demo-village", "demo-pass")

    expect(page).to_have_url(re.compile(r"/$"))
    assert_sees_only_own_cooperative(page)
    assert_no_horizontal_scroll(page)

    page.locator("nav.main").get_by_text("更多", exact=True).click()
    page.locator("nav.main").get_by_role("link", name="组织机构").click()
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    assert_sees_only_own_cooperative(page)
    assert_no_horizontal_scroll(page)

    page.get_by_role("button", name="English", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Back on the same page (Litestar normalises the path, so the slash may go).
    expect(page).to_have_url(re.compile(r"/orgs/?$"))
    expect(page.locator("nav.main")).to_contain_text("Organizations")
    expect(page.get_by_role("button", name="English", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert_sees_only_own_cooperative(page)  # names are data: not translated
    assert_no_horizontal_scroll(page)

    page.get_by_role("button", name="中文", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page).to_have_url(re.compile(r"/orgs/?$"))
    expect(page.locator("nav.main")).to_contain_text("组织机构")
    expect(page.locator("nav.main")).not_to_contain_text("Organizations")
    assert_no_horizontal_scroll(page)

    page.screenshot(path=SCREENSHOT, full_page=True)


def test_wrong_password_shows_error_and_keeps_username(page: Page):
    sign_in(page, "demo-village", "not-the-password")

    expect(page.locator("#password-error")).to_have_text("用户名或密码错误。")
    expect(page.locator("#error-summary a")).to_have_text("用户名或密码错误。")
    expect(page.get_by_label("用户名")).to_have_value("demo-village")
    expect(page.get_by_label("密码")).to_have_value("")
    assert_no_horizontal_scroll(page)
