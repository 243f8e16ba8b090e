"""A refused form on a phone: every error at once, in one request, where the eyes are."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .test_field import _count, _fill, _person, _submit
from .test_sign_in import sign_in


def _posts_to(page: Page, path: str) -> list[str]:
    sent: list[str] = []
    page.on(
        "request",
        lambda request: (
            sent.append(request.url)
            if request.method == "POST" and request.url.endswith(path)
            else None
        ),
    )
    return sent


def test_empty_enrollment_shows_every_error_focused_after_one_request(page: Page):
    sign_in(page, "demo-village", "demo-pass")
    page.goto("/members/enroll")
    posts = _posts_to(page, "/members/enroll")
    _submit(page)
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("有 3 处需要修改")
    links = summary.locator("a")
    expect(links).to_have_text(["此项必填。", "此项必填。", "此项必填。"])
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [
        "#name",
        "#resident_id",
        "#phone",
    ]
    expect(page).to_have_title(re.compile("^错误："))
    expect(page.locator("#name")).to_have_attribute("aria-describedby", "name-error")
    page.wait_for_timeout(500)  # a second, plain post would have left by now
    assert len(posts) == 1


def test_summary_link_takes_the_user_to_the_field(page: Page):
    sign_in(page, "demo-village", "demo-pass")
    page.goto("/members/enroll")
    _submit(page)
    page.locator("#error-summary a[href='#phone']").click()
    expect(page).to_have_url(re.compile("#phone$"))


def test_refused_duplicate_enrollment_leaves_no_draft(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    _submit(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(person["name"])
    _fill(page, person)
    page.wait_for_timeout(600)  # drafts are saved 300 ms after the last keystroke
    _submit(page)
    expect(page.locator(".alert")).to_contain_text("该身份证号已经登记。")
    page.goto("/members/enroll")
    expect(page.locator("#name")).to_be_visible()
    page.wait_for_timeout(300)  # a draft is restored just after the page loads
    assert (page.locator("#name").input_value(), page.locator(".draft-note").count()) == ("", 0)
    assert _count(page, person["name"]) == 1


def test_session_expired_is_a_warning_not_a_success(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.context.clear_cookies(name="coop_session")
    _submit(page)
    expect(page).to_have_url(re.compile(r"/login\?next=/members/enroll$"))
    notice = page.locator(".flash")
    expect(notice).to_have_text("登录已过期。请重新登录，您填写的内容已保留。")
    expect(notice).to_have_class("flash warning")
    expect(notice).to_have_attribute("role", "alert")


def test_live_id_check_waits_for_the_whole_number(page: Page):
    number = _person()["resident_id"]
    sign_in(page, "demo-village", "demo-pass")
    page.goto("/members/enroll")
    field = page.locator("#resident_id")
    field.press_sequentially(number[:17], delay=20)
    page.wait_for_timeout(800)  # what the old check waited before it spoke
    expect(page.locator("#id-feedback")).to_have_text("")
    field.press_sequentially(number[17:])
    expect(page.locator("#id-feedback .ok")).to_be_visible()


def test_live_id_check_speaks_when_the_field_is_left(page: Page):
    sign_in(page, "demo-village", "demo-pass")
    page.goto("/members/enroll")
    page.locator("#resident_id").press_sequentially("5001131971", delay=20)
    page.wait_for_timeout(800)
    expect(page.locator("#id-feedback")).to_have_text("")
    page.locator("#phone").click()
    expect(page.locator("#id-feedback .error")).to_be_visible()
