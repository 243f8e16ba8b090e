"""A transfer between two federations on phones: the sending organizer records the change
(转出 to a union in the system), the receiving organizer accepts it, choosing a
cooperative, and the member is on the second roll with a card from its sequence."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .conftest import VIEWPORT
from .test_sign_in import assert_no_horizontal_scroll, sign_in

RECEIVING = "“界石果蔬”产业工会联合会"
RECEIVING_COOPERATIVE = "桂花村果蔬合作社"


def test_transfer_sent_by_one_organizer_and_accepted_by_the_other(
    page: Page, browser: Browser, live_server: str
):
    # 1. The sending organizer opens a member and records the transfer out.
    sign_in(page, "demo-federation", "demo-pass")
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/members/?status=member")
    first = page.locator("ul.members li a").first
    name = first.inner_text()
    first.click()
    member_url = page.url
    page.get_by_role("link", name="会籍变化", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("会籍变化")
    assert_no_horizontal_scroll(page)
    page.get_by_label("变化类型").select_option(label="转出")
    page.get_by_label("原因").select_option(value="1")
    page.get_by_label("转往系统内工会").select_option(label=RECEIVING)
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".flash")).to_have_text("转接已发出，等待接收工会确认。")
    page.goto("/members/transfers")
    expect(page.locator("main")).to_contain_text(name)
    assert_no_horizontal_scroll(page)

    # 2. The receiving organizer, on another phone, accepts it into a cooperative.
    other = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    phone = other.new_page()
    phone.set_default_timeout(10_000)
    sign_in(phone, "demo-federation2", "demo-pass")
    expect(phone).to_have_url(re.compile(r"/$"))
    phone.goto("/members/transfers")
    waiting = phone.locator("ul").filter(has_text=name).first
    waiting.get_by_role("link", name=name, exact=True).click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text(name)
    assert_no_horizontal_scroll(phone)
    phone.get_by_label("合作社").select_option(label=RECEIVING_COOPERATIVE)
    phone.get_by_role("button", name="接收转入", exact=True).click()
    expect(phone.locator(".flash")).to_have_text("已接收：会员已进入本会名册，并发放了新会员证号。")
    phone.goto("/members/?q=" + name)
    phone.locator("ul.members li a", has_text=name).first.click()
    expect(phone.locator("main")).to_contain_text(RECEIVING)
    expect(phone.locator("main")).to_contain_text("JSGS")
    other.close()

    # 3. The sender no longer sees the member.
    response = page.goto(member_url)
    assert response is not None and response.status == 404
