"""A contest from the judge's phone to the public results page, in a real browser.

The federation organizer opens judging on the demo contest 短视频创作大赛 (3 entries,
entries open); the judge scores every entry on a phone, gets a score above the maximum
and a word back with the error next to each field and everything typed kept, and hands
in the sheet; the organizer checks the results sheet, locks and publishes; someone
without an account opens the public results page and sees the ranking, and no phone
or ID number.

The contests strings may not be translated yet, so the test matches on ids, URLs,
form actions, `name=` attributes and data (names are not translated), not on
interface text.
"""

from __future__ import annotations

import re
from decimal import Decimal

from playwright.sync_api import Browser, Page, expect

from .conftest import VIEWPORT
from .test_sign_in import assert_no_horizontal_scroll, sign_in

CONTEST = "/contests/2"  # demo: 短视频创作大赛, entries open, 3 entries, demo-judge on the panel
SHEET = "/judging/2"
TITLE = "短视频创作大赛"
JUDGED = {"产品知识": 20, "直播表现": 30, "互动": 20}  # name → maximum; 销售额 is measured
# Scores per entry, in entry order: distinct totals, so the ranking is 2, 3, 1. The
# weights equal the maxima and 销售额 has no figure (0 points): total = sum of scores.
SCORES = [
    {"产品知识": "10", "直播表现": "15", "互动": "10"},  # 35
    {"产品知识": "20", "直播表现": "29.5", "互动": "20"},  # 69.50
    {"产品知识": "15", "直播表现": "20", "互动": "15"},  # 50
]
TOTALS = ["35.00", "69.50", "50.00"]
RANKING = [1, 2, 0]  # entry indexes, best first
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
RESIDENT_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
SCREENSHOT = "/tmp/coop-contest.png"


def _new_page(browser: Browser, live_server: str):
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _take_next_step(page: Page) -> None:
    """The contest page's next step: a second page says what it does; confirm there."""
    page.locator(f'main a[href="{CONTEST}/advance"]').click()
    expect(page).to_have_url(re.compile(rf"{CONTEST}/advance$"))
    page.locator(f'form[action="{CONTEST}/advance"] button[type="submit"]').click()


def _progress(done: int, total: int) -> re.Pattern:
    return re.compile(rf"(^|\D){done}\s*/\s*{total}(\D|$)")


def _score_inputs(page: Page) -> dict[str, str]:
    """Judged criterion name → the id of its score input, read from the labels."""
    inputs = page.locator('form.scores input[name^="score_"]')
    expect(inputs).to_have_count(len(JUDGED))
    found = {}
    for input_id in inputs.evaluate_all("els => els.map(e => e.id)"):
        label = page.locator(f'label[for="{input_id}"]').inner_text()
        name = next((n for n in JUDGED if label.startswith(n)), None)
        assert name, f"score input {input_id} is labelled {label!r}, not a judged criterion"
        assert f"0–{JUDGED[name]}" in label, f"{label!r} does not show the range 0–max"
        found[name] = input_id
    assert set(found) == set(JUDGED), f"score inputs {found} are not the judged criteria"
    return found


def test_judge_scores_organizer_locks_and_publishes_public_sees_ranking(
    page: Page, browser: Browser, live_server: str
):
    # 1. The organizer reads the entries, then opens judging.
    sign_in(page, "demo-federation", "demo-pass")
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto(CONTEST)
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    entry_links = page.locator(f'#entries + ul a[href^="{CONTEST}/entries/"]')
    expect(entry_links).to_have_count(3)
    entry_ids = [
        href.rsplit("/", 1)[1] for href in entry_links.evaluate_all("els => els.map(a => a.href)")
    ]
    names = [
        text.split(" · ", 1)[0]
        for text in page.locator("#entries + ul li .muted").all_inner_texts()
    ]
    assert len(names) == 3 and all(names), f"entrants' names not found: {names}"
    expect(page.locator(f'a[href="{CONTEST}/results"]')).to_have_count(0)
    assert_no_horizontal_scroll(page)

    context, judge = _new_page(browser, live_server)
    try:
        # Before judging opens the judge sees the sheet but cannot score or hand it in.
        sign_in(judge, "demo-judge", "demo-pass")
        expect(judge).to_have_url(re.compile(r"/$"))
        judge.goto(f"{SHEET}/entries/{entry_ids[0]}")
        expect(judge.locator('form.scores input[name^="score_"]').first).to_be_disabled()
        expect(judge.locator('form.scores button[type="submit"]')).to_have_count(0)

        _take_next_step(page)
        expect(page).to_have_url(re.compile(rf"{CONTEST}$"))
        expect(page.locator("main .flash")).to_have_count(1)
        expect(page.locator(f'a[href="{CONTEST}/results"]')).to_have_count(1)  # judging
        expect(page.locator(f'a[href="{CONTEST}/edit"]')).to_have_count(1)
        assert_no_horizontal_scroll(page)
        # The marking scheme and the panel are frozen now.
        page.goto(f"{CONTEST}/scheme")
        expect(page.locator("main table")).to_contain_text("销售额")
        expect(page.locator(f'form[action="{CONTEST}/criteria"]')).to_have_count(0)
        expect(page.locator(f'form[action="{CONTEST}/judges"]')).to_have_count(0)
        expect(page.locator(f'form[action*="{CONTEST}/criteria/"]')).to_have_count(0)
        expect(page.locator(f'form[action*="{CONTEST}/judges/"]')).to_have_count(0)
        assert_no_horizontal_scroll(page)

        # 2. The judge finds the contest from the judging list.
        judge.goto("/judging/")
        judge.locator(f'main a[href="{SHEET}"]').click()
        expect(judge).to_have_url(re.compile(rf"{SHEET}$"))
        expect(judge.get_by_role("heading", level=1)).to_have_text(TITLE)
        expect(judge.locator("main .progress")).to_have_text(_progress(0, 3))
        expect(judge.locator(f'form[action="{SHEET}/submit"]')).to_have_count(1)
        assert_no_horizontal_scroll(judge)
        judge.locator(f'main a[href="{SHEET}/entries/{entry_ids[0]}"]').click()
        expect(judge).to_have_url(re.compile(rf"{SHEET}/entries/{entry_ids[0]}$"))
        expect(judge.locator("main p.muted").first).to_contain_text(names[0])
        fields = _score_inputs(judge)
        field = {name: judge.locator(f"#{input_id}") for name, input_id in fields.items()}
        for name in JUDGED:
            expect(field[name]).to_be_enabled()
            expect(field[name]).to_have_value("")
        assert_no_horizontal_scroll(judge)

        # Above the maximum and not a number: back with the errors, everything kept.
        field["产品知识"].fill("25")
        field["直播表现"].fill("abc")
        field["互动"].fill("12")
        save = judge.locator('form.scores button[type="submit"]')
        with judge.expect_response(lambda r: r.request.method == "POST") as refused:
            save.click()  # one request: the answer's page takes the place of this one's
        assert refused.value.status == 422
        expect(judge.locator("#error-summary")).to_be_focused()
        expect(judge).to_have_url(re.compile(rf"{SHEET}/entries/{entry_ids[0]}$"))
        for name in ("产品知识", "直播表现"):
            input_id = fields[name]
            error = judge.locator(f"#{input_id}-error")
            expect(error).to_be_visible()
            expect(error).to_have_text(re.compile(r"\S"))
            expect(field[name]).to_have_attribute("aria-invalid", "true")
            expect(field[name]).to_have_attribute("aria-describedby", f"{input_id}-error")
            # Right after its field, not at the top of the page.
            assert error.evaluate("e => e.previousElementSibling.id") == input_id
        expect(judge.locator(f"#{fields['产品知识']}-error")).to_contain_text("20")
        expect(judge.locator(f"#{fields['互动']}-error")).to_have_count(0)
        expect(field["互动"]).not_to_have_attribute("aria-invalid", "true")
        expect(field["产品知识"]).to_have_value("25")
        expect(field["直播表现"]).to_have_value("abc")
        expect(field["互动"]).to_have_value("12")
        expect(judge.locator("main .progress")).to_have_text(_progress(0, 3))
        assert_no_horizontal_scroll(judge)
        judge.screenshot(path=SCREENSHOT, full_page=True)

        # Valid scores for every entry; saving goes on to the next one.
        for index, entry_id in enumerate(entry_ids):
            expect(judge).to_have_url(re.compile(rf"{SHEET}/entries/{entry_id}$"))
            expect(judge.get_by_role("heading", level=1)).to_contain_text(f"{index + 1}.")
            expect(judge.locator("main .progress")).to_have_text(_progress(index, 3))
            fields = _score_inputs(judge)
            for name, value in SCORES[index].items():
                judge.locator(f"#{fields[name]}").fill(value)
            judge.locator('form.scores button[type="submit"]').click()
            last = index == len(entry_ids) - 1
            target = SHEET if last else f"{SHEET}/entries/{entry_ids[index + 1]}"
            expect(judge).to_have_url(re.compile(rf"{target}$"))
            expect(judge.locator("main .flash")).to_have_count(1)

        # The sheet: 3 / 3, every entry ticked, then handed in.
        expect(judge.locator("main .progress")).to_have_text(_progress(3, 3))
        expect(judge.locator("main li .tag.ok")).to_have_count(3)
        assert_no_horizontal_scroll(judge)
        judge.goto(f"{SHEET}/entries/{entry_ids[1]}")  # the saved scores come back
        fields = _score_inputs(judge)
        for name, value in SCORES[1].items():
            shown = judge.locator(f"#{fields[name]}").input_value()
            assert Decimal(shown) == Decimal(value), f"{name}: saved {value}, shown {shown!r}"
        judge.goto(SHEET)
        judge.locator(f'form[action="{SHEET}/submit"] button[type="submit"]').click()
        expect(judge).to_have_url(re.compile(rf"{SHEET}$"))
        expect(judge.locator("main .flash")).to_have_count(1)
        expect(judge.locator("main p.ok")).to_be_visible()
        expect(judge.locator(f'form[action="{SHEET}/submit"]')).to_have_count(0)
        expect(judge.locator("main .progress")).to_have_text(_progress(3, 3))
        assert_no_horizontal_scroll(judge)
        # Handed in: the scores are shown, but nothing can be typed or saved.
        judge.goto(f"{SHEET}/entries/{entry_ids[0]}")
        inputs = judge.locator('form.scores input[name^="score_"]')
        expect(inputs).to_have_count(len(JUDGED))
        for n in range(len(JUDGED)):
            expect(inputs.nth(n)).to_be_disabled()
        expect(judge.locator('form.scores button[type="submit"]')).to_have_count(0)
        assert_no_horizontal_scroll(judge)
    finally:
        context.close()

    # 3. The organizer checks the results sheet: the judge's scores, the live ranking.
    page.goto(f"{CONTEST}/results")
    ranking = page.locator("#ranking tbody tr")
    expect(ranking).to_have_count(3)
    for position, index in enumerate(RANKING):
        expect(ranking.nth(position)).to_contain_text(names[index])
        expect(ranking.nth(position)).to_contain_text(TOTALS[index])
    details = page.locator("main details.entry-scores")
    expect(details).to_have_count(3)
    details.first.locator("summary").click()
    best = details.first.locator("dt", has_text="直播表现").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(best).to_contain_text(re.compile(r"29\.50?"))  # the judge's score
    expect(page.locator("main .tag.ok")).to_have_count(1)  # demo-judge's sheet handed in
    assert_no_horizontal_scroll(page)

    # Lock, then publish: each from the contest page's next-step button, confirmed.
    for published in (False, True):
        page.goto(CONTEST)
        _take_next_step(page)
        expect(page).to_have_url(re.compile(rf"{CONTEST}$"))
        expect(page.locator("main .flash")).to_have_count(1)
        expect(page.locator(f'a[href="{CONTEST}/edit"]')).to_have_count(0)  # locked
        expect(page.locator(f'a[href="{CONTEST}/results"]')).to_have_count(1)
        expect(page.locator(f'a[href="{CONTEST}/advance"]')).to_have_count(0 if published else 1)
        expect(page.locator('main a[href^="/results/"]')).to_have_count(1 if published else 0)
    public_link = page.locator('main a[href^="/results/"]')
    expect(public_link).to_have_count(1)
    public_path = public_link.get_attribute("href")
    assert public_path and re.fullmatch(r"/results/[\w-]+", public_path), public_path
    assert_no_horizontal_scroll(page)

    # 4. Anyone, no account: the ranking, names and places, nothing personal.
    context, public = _new_page(browser, live_server)
    try:
        response = public.goto(public_path)
        assert response is not None and response.status == 200
        expect(public.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(public.get_by_role("heading", level=1)).to_have_text(TITLE)
        rows = public.locator("ol.results li")
        expect(rows).to_have_count(3)
        for position, index in enumerate(RANKING):
            row = rows.nth(position)
            expect(row.locator("strong")).to_have_text(f"{position + 1}. {names[index]}")
            expect(row).to_contain_text(TOTALS[index])
        text = public.locator("body").inner_text()
        html = public.content()
        for pattern in (MOBILE, RESIDENT_ID):
            assert not pattern.search(text), f"{pattern.pattern} found on the public page"
            assert not pattern.search(html), f"{pattern.pattern} found in the public page's HTML"
        expect(public.locator('a[href^="/members/"], a[href^="/contests/"]')).to_have_count(0)
        assert_no_horizontal_scroll(public)
        public.screenshot(path=SCREENSHOT.replace(".png", "-public.png"), full_page=True)
    finally:
        context.close()
