"""Contest pages and API over HTTP: scoring on a phone, results, the public page."""

import io
import re
import zipfile
from decimal import Decimal

from coop.accounts import domain as accounts
from coop.contests import domain as contests
from coop.members import domain as members
from tests.factories import csrf_token, make_contest, make_member, post_form, sign_in


async def _judging(world) -> tuple[int, list[int], list[int]]:
    """A contest in judging: two entries, the `judge` user on the panel."""
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.add_judge(who["federation"], contest_id, who["judge"].id)
    await contests.advance(who["federation"], contest_id)
    entries = []
    for name in ("张三", "李四"):
        member_id = await make_member(who["village"], tree, name, backbone=True)
        await members.approve(who["federation"], [member_id])
        entries.append(
            await contests.enter(who["village"], contest_id, contests.EntryInput([member_id], name))
        )
    await contests.advance(who["federation"], contest_id)
    criteria = [c["id"] for c in await contests.criteria(contest_id)]
    return contest_id, entries, criteria


async def test_bad_score_comes_back_next_to_its_field_with_what_was_typed(client, world):
    contest_id, [first, _], [knowledge, show] = await _judging(world)
    await sign_in(client, "judge")
    answer = await post_form(
        client,
        f"/judging/{contest_id}/entries/{first}",
        {f"score_{knowledge}": "41", f"score_{show}": "55.5"},
    )
    assert answer.status_code == 422
    assert (
        f'id="score_{knowledge}-error"' in answer.text
        and "请输入 0 到 40 之间的分数" in answer.text
    )
    assert 'value="41"' in answer.text and 'value="55.5"' in answer.text


async def test_saved_scores_go_on_to_the_next_entry(client, world):
    contest_id, [first, second], [knowledge, show] = await _judging(world)
    await sign_in(client, "judge")
    answer = await post_form(
        client,
        f"/judging/{contest_id}/entries/{first}",
        {f"score_{knowledge}": "30", f"score_{show}": "50,5"},
    )
    assert answer.headers["location"] == f"/judging/{contest_id}/entries/{second}"
    sheet = await client.get(f"/judging/{contest_id}")
    assert "已评 1 / 2" in sheet.text


async def test_an_empty_score_keeps_the_judge_on_the_entry(client, world):
    contest_id, [first, _], [knowledge, _show] = await _judging(world)
    await sign_in(client, "judge")
    answer = await post_form(
        client, f"/judging/{contest_id}/entries/{first}", {f"score_{knowledge}": "30"}
    )
    assert answer.headers["location"] == f"/judging/{contest_id}/entries/{first}"


async def test_results_download_and_public_page_without_personal_numbers(client, world):
    tree, who = world
    contest_id, entries, criteria = await _judging(world)
    for entry in entries:
        await contests.save_scores(
            who["judge"], contest_id, entry, dict.fromkeys(criteria, Decimal(30)), {}
        )
    await contests.submit_sheet(who["judge"], contest_id)
    await contests.advance(who["federation"], contest_id)
    await sign_in(client, "federation")
    download = await client.get(f"/contests/{contest_id}/results.xlsx")
    with zipfile.ZipFile(io.BytesIO(download.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
    assert all(text in strings for text in ("名次", "张三", "总分", "一等奖"))
    await contests.advance(who["federation"], contest_id)
    slug = (await contests.get_contest(who["federation"], contest_id)).slug
    public = await client.get(f"/results/{slug}")
    assert public.status_code == 200 and "张三" in public.text and "蔡家寺村" in public.text
    # Lookarounds: a random CSRF token may hold a run of digits inside it.
    number = r"(?<![\w-])(1[3-9]\d{9}|\d{17}[\dX])(?![\w-])"
    assert not re.search(number, public.text) and "****" not in public.text


async def test_member_page_offers_the_open_contest(client, world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.advance(who["federation"], contest_id)
    member_id = await make_member(who["village"], tree, "王五", backbone=True)
    await members.approve(who["federation"], [member_id])
    await sign_in(client, "village")
    part = await client.get(f"/contests/members/{member_id}", headers={"hx-request": "true"})
    assert f"/contests/{contest_id}/entries/new?member_id={member_id}" in part.text
    form = await client.get(f"/contests/{contest_id}/entries/new?member_id={member_id}")
    assert f'value="{member_id}" checked' in form.text


async def test_entering_the_same_member_twice_keeps_the_form(client, world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.advance(who["federation"], contest_id)
    member_id = await make_member(who["village"], tree, "王五", backbone=True)
    await members.approve(who["federation"], [member_id])
    await contests.enter(who["village"], contest_id, contests.EntryInput([member_id], "第一次"))
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/contests/{contest_id}/entries/new",
        {"member_ids": str(member_id), "title": "第二次"},
    )
    assert answer.status_code == 422 and "王五 已经报名参加本竞赛" in answer.text
    assert 'value="第二次"' in answer.text


async def _token(username: str) -> dict:
    return {"authorization": f"Bearer {await accounts.create_api_token(username, 'tests')}"}


async def test_api_judge_puts_own_scores_and_sees_own_contests(client, world):
    contest_id, [first, _], [knowledge, show] = await _judging(world)
    headers = await _token("judge")
    listed = await client.get("/api/v1/contests/", headers=headers)
    assert [c["id"] for c in listed.json()] == [contest_id]
    url = f"/api/v1/contests/{contest_id}/entries/{first}/scores"
    saved = await client.put(url, json={"scores": {str(knowledge): "35.5"}}, headers=headers)
    assert saved.json() == [{"criterion_id": knowledge, "score": "35.50", "version": 1}]
    retry = await client.put(url, json={"scores": {str(knowledge): "35.5"}}, headers=headers)
    assert retry.json() == saved.json()
    stale = await client.put(
        url, json={"scores": {str(knowledge): "20"}, "versions": {}}, headers=headers
    )
    assert stale.status_code == 422
    too_high = await client.put(url, json={"scores": {str(show): "61"}}, headers=headers)
    assert (too_high.status_code, list(too_high.json()["errors"])) == (422, [f"score_{show}"])


async def test_api_scores_of_a_contest_not_on_your_panel_are_404(client, world):
    contest_id, [first, _], [knowledge, _show] = await _judging(world)
    url = f"/api/v1/contests/{contest_id}/entries/{first}/scores"
    answer = await client.put(
        url, json={"scores": {str(knowledge): "1"}}, headers=await _token("federation")
    )
    assert answer.status_code == 404


async def test_api_results_are_public_once_published_only(client, world):
    tree, who = world
    contest_id, entries, criteria = await _judging(world)
    for entry in entries:
        await contests.save_scores(
            who["judge"], contest_id, entry, dict.fromkeys(criteria, Decimal(20)), {}
        )
    await contests.submit_sheet(who["judge"], contest_id)
    await contests.advance(who["federation"], contest_id)
    assert (await client.get(f"/api/v1/contests/{contest_id}/results")).status_code == 404
    await contests.advance(who["federation"], contest_id)
    body = (await client.get(f"/api/v1/contests/{contest_id}/results")).json()
    assert [(r["rank"], r["total"], r["award"]) for r in body["results"]] == [
        (1, "40.00", "一等奖"),
        (1, "40.00", "一等奖"),
    ]


async def test_a_double_tapped_criterion_is_added_once(client, world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await sign_in(client, "federation")
    page = await client.get(f"/contests/{contest_id}/scheme")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    data = {
        "name": "互动",
        "max_score": "20",
        "weight": "20",
        "kind": "judged",
        "submission_key": key,
        "_csrf_token": csrf_token(page),
    }
    for _ in range(2):
        answer = await client.post(f"/contests/{contest_id}/criteria", data=data)
        assert answer.status_code == 200
    names = [c["name"] for c in await contests.criteria(contest_id)]
    assert names == ["产品知识", "直播表现", "互动"]


async def test_village_organizer_gets_404_for_another_cooperatives_entry(client, world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.advance(who["federation"], contest_id)
    own = await make_member(who["village"], tree, "张自家", backbone=True)
    other = await make_member(
        who["federation"],
        tree,
        "王别家",
        backbone=True,
        cooperative=tree.other_cooperative,
        village=tree.other_village,
    )
    await members.approve(who["federation"], [own, other])
    own_entry = await contests.enter(
        who["village"], contest_id, contests.EntryInput([own], "自家黑猪")
    )
    other_entry = await contests.enter(
        who["federation"], contest_id, contests.EntryInput([other], "别家辣椒")
    )
    await sign_in(client, "village")
    pages = [
        await client.get(f"/contests/{contest_id}/entries/{own_entry}"),
        await client.get(f"/contests/{contest_id}/entries/{other_entry}"),
    ]
    detail = await client.get(f"/contests/{contest_id}")
    assert [p.status_code for p in pages] == [200, 404]
    assert ("张自家" in detail.text, "王别家" in detail.text, "文石村" in detail.text) == (
        True,
        False,
        False,
    )


async def _entries_open(world) -> int:
    """A contest open for entries, one entry in, the `judge` user on the panel."""
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.add_judge(who["federation"], contest_id, who["judge"].id)
    await contests.advance(who["federation"], contest_id)
    member_id = await make_member(who["village"], tree, "张三", backbone=True)
    await members.approve(who["federation"], [member_id])
    await contests.enter(who["village"], contest_id, contests.EntryInput([member_id], "张三"))
    return contest_id


async def test_starting_judging_asks_first_and_says_what_it_will_freeze(client, world):
    contest_id = await _entries_open(world)
    await sign_in(client, "federation")
    detail = await client.get(f"/contests/{contest_id}")
    assert f'<form method="post" action="/contests/{contest_id}/advance"' not in detail.text
    assert f'href="/contests/{contest_id}/advance"' in detail.text
    confirm = await client.get(f"/contests/{contest_id}/advance")
    assert confirm.status_code == 200
    assert "评分标准和评委名单将被锁定，不能再修改" in confirm.text
    assert '<input type="hidden" name="expected" value="entries_open">' in confirm.text
    assert (await contests.get_contest(world[1]["federation"], contest_id)).status == "entries_open"


async def test_confirmed_start_of_judging_says_what_was_done(client, world):
    contest_id = await _entries_open(world)
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        f"/contests/{contest_id}/advance",
        {"expected": "entries_open"},
        form_url=f"/contests/{contest_id}/advance",
    )
    assert answer.status_code == 303
    page = await client.get(answer.headers["location"])
    assert '<p class="flash" role="status">评审已开始：评分标准和评委名单已锁定。</p>' in page.text


async def test_a_double_tapped_step_moves_the_contest_on_once(client, world):
    contest_id = await _entries_open(world)
    await sign_in(client, "federation")
    url = f"/contests/{contest_id}/advance"
    first = await client.get(url)
    for _ in range(2):
        await client.post(
            url,
            data={"expected": "entries_open", "_csrf_token": csrf_token(first)},
            follow_redirects=False,
        )
    page = await client.get(f"/contests/{contest_id}")
    assert (await contests.get_contest(world[1]["federation"], contest_id)).status == "judging"
    assert "这一步已经完成，没有再做任何更改。" in page.text


async def test_results_sheet_ranks_first_and_keeps_each_judges_scores_behind_a_tap(client, world):
    _, who = world
    contest_id, [first, second], [knowledge, show] = await _judging(world)
    scores = {first: (Decimal(30), Decimal(50)), second: (Decimal(20), Decimal(40))}
    for entry, (k, s) in scores.items():
        await contests.save_scores(who["judge"], contest_id, entry, {knowledge: k, show: s}, {})
    await sign_in(client, "federation")
    page = await client.get(f"/contests/{contest_id}/results")
    ranking = page.text[page.text.index('id="ranking"') : page.text.index("</table>")]
    rows = re.findall(r"<tr><td>(\d+)</td><th scope=\"row\"><a [^>]*>([^<]*)</a>", ranking)
    assert rows == [("1", "张三"), ("2", "李四")]
    assert page.text.index('id="ranking"') < page.text.index('<details class="card entry-scores"')
