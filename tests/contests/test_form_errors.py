"""Contest forms refuse with every error at once, the database's rules among them."""

import re

from tests.factories import csrf_token, make_contest, post_form, sign_in


def _summary(html: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'<li><a href="#([a-z_]+)">', block)


async def test_contest_form_lists_a_missing_title_and_a_union_not_ones_own(client, world):
    tree, _ = world
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        "/contests/new",
        {"title": "", "union_id": str(tree.far_federation), "award_tiers": "一等奖 1"},
    )
    assert answer.status_code == 422
    assert _summary(answer.text) == ["title", "union_id"]


async def test_criterion_form_lists_a_missing_name_and_a_weight_out_of_range(client, world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await sign_in(client, "federation")
    page = await client.get(f"/contests/{contest_id}/scheme")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.text).group(1)
    answer = await client.post(
        f"/contests/{contest_id}/criteria",
        data={
            "name": "",
            "max_score": "20",
            "weight": "500",
            "kind": "judged",
            "submission_key": key,
            "_csrf_token": csrf_token(page),
        },
    )
    assert answer.status_code == 422
    assert _summary(answer.text) == ["name", "weight"]
