"""Training forms refuse with every error at once, the database's rules among them."""

import re

from tests.factories import make_programme, post_form, sign_in
from tests.trainings.test_routes import _farmer, _public_form, _session


def _summary(html: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'<li><a href="#([a-z_]+)">', block)


async def test_public_registration_names_a_missing_name_and_an_unlisted_village(client, world):
    tree, _ = world
    session = await _session(world)
    form = await _public_form(client, session["slug"])
    data = {**_farmer(tree, name="", village_id="999999"), **form}
    answer = await client.post(f"/r/{session['slug']}", data=data)
    assert answer.status_code == 422
    assert _summary(answer.text) == ["name", "village_id"]
    assert "有 2 处需要修改" in answer.text


async def test_session_form_lists_form_and_schedule_errors_together(client, world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        f"/trainings/programmes/{programme}/sessions/new",
        {
            "topic": "",
            "starts_at": "2030-05-01T14:00",
            "ends_at": "2030-05-01T13:00",
            "place": "村委会",
            "capacity": "40",
            "audience": "everyone",
            "status": "open",
        },
    )
    assert answer.status_code == 422
    assert _summary(answer.text) == ["topic", "ends_at", "audience"]


async def test_programme_form_lists_a_missing_title_and_a_union_not_ones_own(client, world):
    tree, _ = world
    await sign_in(client, "federation")
    answer = await post_form(
        client, "/trainings/programmes/new", {"title": "", "union_id": str(tree.far_federation)}
    )
    assert answer.status_code == 422
    assert _summary(answer.text) == ["title", "union_id"]
