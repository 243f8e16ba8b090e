"""One phone, several organizers: what one typed or queued never reaches the next.

Every test signs two people in and out of the same browser context, so they share
the phone's IndexedDB the way two organizers share a handset in a village office.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .test_field import _count, _fill, _person, _submit
from .test_sign_in import sign_in

# Everything the phone keeps for this site, as text: IndexedDB (ArrayBuffers as their bytes
# read as Latin-1, so an ID number stored in one still shows) and localStorage.
DUMP_STORAGE = """async () => {
  const open = () => new Promise((ok, fail) => {
    const r = indexedDB.open("coop-field");
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
  const db = await open();
  const out = [JSON.stringify(localStorage)];
  for (const name of db.objectStoreNames) {
    const rows = await new Promise((ok) => {
      const r = db.transaction(name).objectStore(name).getAll();
      r.onsuccess = () => ok(r.result);
    });
    out.push(JSON.stringify(rows, (k, v) =>
      v instanceof ArrayBuffer || ArrayBuffer.isView(v)
        ? String.fromCharCode(...new Uint8Array(v.buffer || v)) : v));
  }
  db.close();
  return out.join("\\n");
}"""


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出", exact=True).click()


def _audit_actors(page: Page, name: str) -> list[str]:
    """Who the audit log says enrolled the member called `name` (admin's view)."""
    page.goto(f"/members/?q={name}")
    href = page.locator("ul.members li a").first.get_attribute("href")
    member_id = href.rstrip("/").rsplit("/", 1)[-1]
    page.goto("/audit")
    rows = page.locator("tbody tr").filter(has_text=f"member {member_id}")
    return [rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())]


def test_next_user_on_the_phone_finds_the_enrollment_form_empty(page: Page):
    person = _person()
    sign_in(page, "demo-admin", "demo-pass")
    _fill(page, person)
    page.wait_for_timeout(600)  # drafts are saved 300 ms after the last keystroke
    _sign_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, "demo-village", "demo-pass")
    page.goto("/members/enroll")
    expect(page.locator("#name")).to_be_visible()
    page.wait_for_timeout(300)  # a draft is restored just after the page loads
    values = [page.locator(f"#{field}").input_value() for field in ("name", "resident_id", "phone")]
    assert (values, page.locator(".draft-note").count()) == (["", "", ""], 0)


def test_queued_enrollment_is_sent_only_under_its_own_organizer(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.context.set_offline(True)
    _submit(page)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    _sign_out(page)  # signing out needs the network
    warning = page.locator(".signout-warning")
    expect(warning).to_contain_text("现在没有网络，无法退出。")
    warning.get_by_role("button", name="返回").click()
    expect(warning).to_have_count(0)
    expect(page.locator("#outbox")).to_contain_text(person["name"])
    # The signal is back but too weak for the upload.
    page.route(re.compile(r"/members/enroll$"), lambda route: route.abort("timedout"))
    page.context.set_offline(False)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    _sign_out(page)
    expect(warning).to_contain_text("还有 1 条未发送")
    warning.get_by_role("button", name="返回").click()  # changed their mind: still signed in
    expect(warning).to_have_count(0)
    _sign_out(page)
    warning.get_by_role("button", name="仍然退出").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    page.unroute(re.compile(r"/members/enroll$"))
    sign_in(page, "demo-admin", "demo-pass")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/members/enroll")
    page.wait_for_timeout(1000)  # time for any outbox to flush
    expect(page.locator("#outbox")).to_be_hidden()  # not theirs: neither shown nor sent
    assert _count(page, person["name"]) == 0
    _sign_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))

    sign_in(page, "demo-village", "demo-pass")
    expect(page.locator("#outbox")).to_contain_text(f"已发送 入会登记 · {person['name']}")
    assert _count(page, person["name"]) == 1
    _sign_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, "demo-admin", "demo-pass")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _audit_actors(page, person["name"]) == ["demo-village"]


def test_phone_storage_holds_no_full_id_number_typed_or_queued(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    page.wait_for_timeout(600)
    typed = page.evaluate(DUMP_STORAGE)
    page.context.set_offline(True)
    _submit(page)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    queued = page.evaluate(DUMP_STORAGE)
    page.context.set_offline(False)
    number = person["resident_id"]
    # the dumps did read the stores: the name typed and the name queued are there
    assert (person["name"] in typed, person["name"] in queued) == (True, True)
    assert (number in typed, number in queued) == (False, False)


def test_page_left_open_from_before_another_sign_in_does_not_send_its_outbox(page: Page):
    person = _person()
    sign_in(page, "demo-village", "demo-pass")
    _fill(page, person)
    # The live ID check must have answered: one still waiting would reach the server after
    # the sign-out below and take this page to the sign-in page instead.
    expect(page.locator("#id-feedback")).not_to_be_empty()
    page.context.set_offline(True)
    _submit(page)
    expect(page.locator("#outbox")).to_contain_text("还有 1 条没有发送")
    page.context.route(re.compile(r"/members/enroll$"), lambda route: route.abort("timedout"))
    page.context.set_offline(False)
    # Another tab on the same phone: the organizer signs out, the admin signs in.
    other = page.context.new_page()
    other.goto("/")
    _sign_out(other)
    other.locator(".signout-warning").get_by_role("button", name="仍然退出").click()
    expect(other).to_have_url(re.compile(r"/login$"))
    sign_in(other, "demo-admin", "demo-pass")
    expect(other.get_by_role("heading", level=1)).to_be_visible()
    page.context.unroute(re.compile(r"/members/enroll$"))
    page.get_by_role("button", name="立即发送").click()  # the old tab, now with the admin's cookie
    page.wait_for_timeout(1000)
    assert _count(other, person["name"]) == 0


def test_sign_out_without_a_network_says_so_and_leaves_nobody_signed_in_unknowingly(page: Page):
    sign_in(page, "demo-village", "demo-pass")
    page.goto("/members/enroll")
    page.context.set_offline(True)
    _sign_out(page)
    warning = page.locator(".signout-warning")
    expect(warning).to_contain_text("现在没有网络，无法退出。")
    expect(warning.get_by_role("button", name="仍然退出")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/members/enroll$"))  # still the page, not an error
    page.context.set_offline(False)
    _sign_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/members/enroll")
    expect(page).to_have_url(re.compile(r"/login"))  # the session ended on the server
