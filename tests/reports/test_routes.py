"""The dashboard page: figures in a table and as SVG, light enough for a phone."""

import gzip
import re

from coop.members import domain as members
from coop.orgs import domain as orgs
from tests.factories import ACTOR, EVERYTHING, make_member, sign_in


async def _members_in_many_villages(who, tree, count: int) -> None:
    """`count` villages, each with a cooperative and an approved member."""
    for n in range(count):
        village = await orgs.save_village(
            EVERYTHING, ACTOR, orgs.VillageInput(f"第{n}村", tree.town)
        )
        cooperative = await orgs.save_cooperative(
            EVERYTHING,
            ACTOR,
            orgs.CooperativeInput(f"第{n}村“黑黑黑”专业合作社", tree.federation, village, []),
        )
        member_id = await make_member(
            who["admin"], tree, f"成员{n}", backbone=True, cooperative=cooperative, village=village
        )
        await members.approve(who["admin"], [member_id])


async def test_dashboard_shows_the_figures_in_tables_and_svg_charts(client, world):
    tree, who = world
    await _members_in_many_villages(who, tree, 2)
    await sign_in(client, "federation")
    page = await client.get("/reports/")
    assert page.status_code == 200
    assert page.text.count("<svg") == 4  # months, villages, cooperatives, standards
    assert re.findall(r"<td>(第\d村)</td>|>(第\d村)</a></td>", page.text) != []
    assert "“姜家黑”产业工会联合会" in page.text
    assert "0/6" in page.text


async def test_dashboard_has_no_inline_script_or_style(client, world):
    await sign_in(client, "admin")
    page = await client.get("/reports/")
    assert (page.status_code, "<script>" in page.text, "style=" in page.text) == (200, False, False)


async def test_dashboard_is_under_14_kb_gzipped_with_many_places(client, world):
    tree, who = world
    await _members_in_many_villages(who, tree, 30)
    await sign_in(client, "admin")
    sizes = {}
    for path in ["/reports/", f"/reports/?union={tree.federation}"]:
        page = await client.get(path)
        assert page.status_code == 200, path
        sizes[path] = len(gzip.compress(page.content))
    assert {p: s for p, s in sizes.items() if s > 14 * 1024} == {}


async def test_dashboard_of_another_federation_is_not_found(client, world):
    tree, _ = world
    await sign_in(client, "federation")
    page = await client.get(f"/reports/?union={tree.far_federation}")
    assert page.status_code == 404
