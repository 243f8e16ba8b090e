"""A training session from the public page to the door, in a real browser at phone size.

Someone without an account opens the session's public page (the link an organizer
shares in WeChat groups), gets a bad mobile number back with everything kept, registers
and sees their code; the organizer finds them on the check-in page by name and checks
them in with one tap: the line and the "checked in" figure change without a page load.

The trainings strings may not be translated yet, so the test matches on ids, URLs,
form actions and data (names are not translated), not on interface text.
"""

from __future__ import annotations

import random
import re

from playwright.sync_api import Browser, Page, expect

from .conftest import VIEWPORT
from .test_sign_in import assert_no_horizontal_scroll, sign_in

TOPIC = "短视频拍摄实操（线上）"  # demo: 20 days ahead, open, 100 seats, anyone welcome
VILLAGE = "蔡家寺村"
NAME = "欧阳晓雨"  # 欧阳 is not a demo surname: the search finds only this registrant
CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$")
SCREENSHOT = "/tmp/coop-training.png"

# Set on `window` before an htmx interaction; a full page load would drop it.
MARK = "window.__coopNoReload = true"
STILL_MARKED = "window.__coopNoReload === true"


def _figure(page: Page, n: int) -> int:
    """The n-th attendance figure: 0 registered, 1 checked in, 2 waiting, 3 walk-ins."""
    text = page.locator("#figures a strong").nth(n).inner_text()
    assert text.strip().isdigit(), f"figure {n} is {text!r}, not a number"
    return int(text)


def test_register_on_public_page_then_check_in_with_one_tap(
    page: Page, browser: Browser, live_server: str
):
    rng = random.Random()
    phone = "139" + "".join(rng.choice("0123456789") for _ in range(8))  # demo uses 1990…

    # 1. The organizer finds the session and its public link.
    sign_in(page, "demo-federation", "demo-pass")
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/trainings/")
    assert_no_horizontal_scroll(page)
    page.locator("main").get_by_role("link", name=TOPIC, exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/trainings/sessions/\d+$"))
    session_path = re.search(r"/trainings/sessions/\d+$", page.url).group(0)
    expect(page.get_by_role("heading", level=1)).to_contain_text(TOPIC)
    registered_before = _figure(page, 0)
    public_link = page.locator('main a[href*="/r/"]')
    expect(public_link).to_have_count(1)
    public_url = public_link.get_attribute("href")
    match = re.search(r"/r/([^/?#]+)$", public_url or "")
    assert match, f"the public link {public_url!r} is not /r/<slug>"
    public_path = f"/r/{match.group(1)}"
    assert_no_horizontal_scroll(page)

    # 2. Anyone, no account, on their own phone: a fresh context without cookies.
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    try:
        public = context.new_page()
        public.set_default_timeout(10_000)
        response = public.goto(public_path)
        assert response is not None and response.status == 200
        expect(public.get_by_role("heading", level=1)).to_have_text(TOPIC)
        expect(public.locator("html")).to_have_attribute("lang", "zh-CN")
        assert_no_horizontal_scroll(public)

        # A 10-digit mobile number: the form comes back, the error next to the field.
        form = public.locator('main form:has(input[name="submission_key"])')
        public.locator("#name").fill(NAME)
        public.locator("#phone").fill(phone[:10])
        public.locator("#village_id").select_option(label=VILLAGE)
        with public.expect_navigation() as refused:
            form.locator('button[type="submit"]').click()
        assert refused.value is not None and refused.value.status == 422
        expect(public).to_have_url(re.compile(rf"{re.escape(public_path)}$"))
        expect(public.locator("#phone-error")).to_be_visible()
        expect(public.locator("#phone-error")).to_have_text(re.compile(r"\S"))
        expect(public.locator("#phone")).to_have_attribute("aria-invalid", "true")
        expect(public.locator("#phone")).to_have_attribute("aria-describedby", "phone-error")
        expect(public.locator("#name")).to_have_value(NAME)
        expect(public.locator("#phone")).to_have_value(phone[:10])
        expect(public.locator("#village_id option:checked")).to_have_text(VILLAGE)
        expect(public.locator("#name-error")).to_have_count(0)
        assert_no_horizontal_scroll(public)

        public.locator("#phone").fill(phone)
        form.locator('button[type="submit"]').click()
        expect(public).to_have_url(re.compile(rf"{re.escape(public_path)}/registration/\w+$"))
        code = public.url.rsplit("/", 1)[1]
        assert CODE.match(code), f"registration code {code!r} is not 8 unambiguous characters"
        expect(public.locator(".code")).to_have_text(code)
        expect(public.locator("main strong.ok")).to_be_visible()  # confirmed: a seat
        assert phone not in public.content(), "the full mobile number is on the public page"
        assert_no_horizontal_scroll(public)
        status_path = public.url.removeprefix(live_server)

        # 3. At the door: the organizer finds the registrant by name and taps once.
        response = page.goto(f"{session_path}/check-in")
        assert response is not None and response.status == 200
        assert_no_horizontal_scroll(page)
        assert _figure(page, 0) == registered_before + 1, "the registration is not counted"
        checked_in_before = _figure(page, 1)
        roster = page.locator("#roster")
        heading = page.get_by_role("heading", level=1).element_handle()
        page.evaluate(MARK)
        with page.expect_response(
            lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"
        ) as answer:
            page.locator("#q").fill(NAME)
        rows_html = answer.value.text()
        assert "<html" not in rows_html, "the live search got a whole page, not the roster"
        row = roster.locator('li[id^="registration-"]')
        expect(row).to_have_count(1)
        expect(row).to_contain_text(NAME)
        expect(row).to_contain_text(code)
        expect(row).to_contain_text(VILLAGE)
        expect(row.locator(".ok")).to_have_count(0)
        row_id = row.get_attribute("id")
        assert row_id and re.fullmatch(r"registration-\d+", row_id)
        assert page.evaluate(STILL_MARKED), "the live search reloaded the page"
        assert heading.evaluate("h => h.isConnected"), "the page outside #roster was replaced"

        row = page.locator(f"#{row_id}")  # the line is swapped: follow it by its id
        with page.expect_response(
            lambda r: r.url.endswith("/check-in") and r.request.method == "POST"
        ) as tapped:
            row.locator('form[action$="/check-in"] button').click()
        assert tapped.value.status == 200
        expect(row.locator(".ok")).to_be_visible()
        expect(row.locator('form[action$="/check-in"]')).to_have_count(0)
        expect(row.locator('form[action$="/undo-check-in"] button')).to_be_visible()
        expect(page.locator("#figures a strong").nth(1)).to_have_text(str(checked_in_before + 1))
        assert _figure(page, 0) == registered_before + 1
        assert page.evaluate(STILL_MARKED), "checking in reloaded the page"
        assert heading.evaluate("h => h.isConnected"), "the page outside the line was replaced"
        assert_no_horizontal_scroll(page)
        page.screenshot(path=SCREENSHOT, full_page=True)

        # The registrant's own page says so too.
        public.goto(status_path)
        expect(public.locator(".code")).to_have_text(code)
        expect(public.locator("main p.ok")).to_be_visible()
        expect(public.locator('form[action$="/cancel"]')).to_have_count(0)
        assert_no_horizontal_scroll(public)
    finally:
        context.close()
