"""Field-ready forms in a real browser: drafts, the outbox, exactly once, and no JavaScript.

The network is cut with `context.set_offline` and, for an answer lost after the server
committed, by letting the request through and dropping its response. Each test enrolls
a person with a name of its own and counts them in the member list afterwards.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from coop.members.identity import make_resident_id

from .conftest import VIEWPORT
from .test_sign_in import sign_in

SYLLABLES = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥"
# Each test's person differs from every other's (one server serves the whole module).
people = itertools.count(random.randrange(len(SYLLABLES) ** 2 - 50))


def _person() -> dict:
    n = next(people)
    # Sequence 500-999 and an unusual birth year: no clash with demo members.
    birth = dt.date(1971, 1, 1) + dt.timedelta(days=n)
    return {
        "name": "田" + SYLLABLES[n // len(SYLLABLES)] + SYLLABLES[n % len(SYLLABLES)],
        "resident_id": make_resident_id("500113", birth, 500 + n % 500),
        "phone": f"1990{n:07d}",
    }


def _fill(page: Page, person: dict) -> None:
    page.goto("/members/enroll")
    page.locator("#name").fill(person["name"])
    page.locator("#resident_id").fill(person["resident_id"])
    page.locator("#phone").fill(person["phone"])
    page.locator("#village_id").select_option(label="蔡家寺村")


def _submit(page: Page) -> None:
    page.locator("form[data-field] button[type=submit]").click()


def _count(page: Page, name: str) -> int:
    page.goto(f"/members/?q={name}")
    expect(page.get_by_role("heading", level=1)).to_have_text("会员")
    return page.locator("ul.members li strong").filter(has_text=re.compile(f"^{name}$")).count()


def test_offline_enrollment_is_queued_and_sent_once_when_back(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.context.set_offline(True)
    _submit(page)
    outbox = page.locator("#outbox")
    expect(outbox).to_contain_text("还有 1 条没有发送")
    expect(outbox).to_contain_text(f"待发送 入会登记 · {person['name']}")
    expect(page.locator(".draft-note")).to_contain_text("没有网络")
    with pytest.raises(PlaywrightError):  # no network, no page: the browser's offline notice
        page.reload()
    page.context.set_offline(False)
    page.goto("/members/enroll")  # retried on the next page load
    outbox = page.locator("#outbox")
    expect(outbox).to_contain_text(f"已发送 入会登记 · {person['name']}")
    page.goto("/members/enroll")
    expect(page.locator(".draft-note")).to_have_count(0)  # the draft went with the upload
    expect(page.locator("#name")).to_have_value("")
    assert _count(page, person["name"]) == 1


def test_answer_lost_after_the_server_saved_is_sent_again_and_yields_one_member(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    lost = []

    def drop_answer(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server enrolls the person...
            lost.append(True)
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route(re.compile(r"/members/enroll$"), drop_answer)
    _submit(page)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox")).to_contain_text(f"已发送 入会登记 · {person['name']}")
    assert lost == [True]
    assert _count(page, person["name"]) == 1


def test_answer_too_slow_is_queued_and_the_resend_yields_one_member(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.evaluate("document.getElementById('outbox').dataset.timeout = '1000'")
    slow = []

    def delay_answer(route: Route) -> None:
        if route.request.method == "POST" and not slow:
            slow.append(True)
            answer = route.fetch()  # saved at once, answered after the phone gave up
            page.wait_for_timeout(2000)
            route.fulfill(response=answer)
        else:
            route.continue_()

    page.route(re.compile(r"/members/enroll$"), delay_answer)
    _submit(page)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    page.get_by_role("button", name="立即发送").click()
    expect(page.locator("#outbox")).to_contain_text(f"已发送 入会登记 · {person['name']}")
    assert _count(page, person["name"]) == 1


def test_draft_restored_after_reload_without_the_id_number_and_discarded_on_request(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.wait_for_timeout(600)  # drafts are saved 300 ms after the last keystroke
    old_key = page.locator("input[name=submission_key]").input_value()
    page.reload()
    expect(page.locator(".draft-note")).to_contain_text("已恢复草稿")
    expect(page.locator("#name")).to_have_value(person["name"])
    expect(page.locator("#phone")).to_have_value(person["phone"])
    expect(page.locator("#resident_id")).to_have_value("")  # ID numbers are never kept in drafts
    # the new page's own form key stays: an old one would make this a resend of another form
    new_key = page.locator("input[name=submission_key]").input_value()
    assert (new_key != old_key, bool(new_key)) == (True, True)
    page.locator(".draft-note").get_by_role("button", name="放弃").click()
    expect(page.locator(".draft-note")).to_have_count(0)
    expect(page.locator("#name")).to_have_value("")


def test_queued_enrollment_refused_meanwhile_says_why_and_opens_to_fix(
    page: Page, browser: Browser, live_server: str
):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.context.set_offline(True)
    _submit(page)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    # Meanwhile another organizer's phone enrolls the same ID number, under another name.
    elsewhere = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    other = elsewhere.new_page()
    sign_in(other, "demo-village", "demo-pass")
    _fill(other, {**person, "name": person["name"] + "乙"})
    _submit(other)
    expect(other.locator(".flash")).to_contain_text("已保存为申请人")
    elsewhere.close()
    page.context.set_offline(False)
    page.reload()
    outbox = page.locator("#outbox")
    expect(outbox).to_contain_text(f"未被接受 入会登记 · {person['name']}")
    expect(outbox.locator(".error")).to_contain_text("该身份证号已经登记。")
    outbox.get_by_role("button", name="打开修改").click()
    expect(page).to_have_url(re.compile(r"/members/enroll$"))
    expect(page.locator("#name")).to_have_value(person["name"])
    expect(page.locator(".draft-note")).to_contain_text("已恢复草稿")
    expect(outbox).to_be_hidden()


def test_broken_local_store_says_so_and_the_form_still_enrolls(page: Page):
    person = _person()
    page.add_init_script("indexedDB.open = () => { throw new Error('corrupted'); };")
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    expect(page.locator("#outbox")).to_contain_text("手机上保存的草稿无法读取")
    _submit(page)
    expect(page.locator(".flash")).to_contain_text("已保存为申请人")
    assert _count(page, person["name"]) == 1


def test_enrollment_works_without_javascript(browser: Browser, live_server: str):
    context = browser.new_context(
        viewport=VIEWPORT, base_url=live_server, locale="zh-CN", java_script_enabled=False
    )
    page = context.new_page()
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    _submit(page)
    expect(page.locator(".flash")).to_contain_text("已保存为申请人")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{person['name']} 申请人")
    assert _count(page, person["name"]) == 1
    context.close()
