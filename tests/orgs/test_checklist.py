"""The federation's establishment standard (六有) as a checklist: domain rules and pages."""

import asyncio
import datetime as dt

import pytest

from coop.audit.domain import recent
from coop.i18n import local_today
from coop.orgs import domain as orgs
from coop.orgs.tables import StandardItem
from coop.validation import Forbidden, NotFound, ValidationError
from tests.factories import (
    ACTOR,
    EVERYTHING,
    make_role_users,
    make_tree,
    post_form,
    sign_in,
    viewer,
)


@pytest.fixture
async def world():
    tree = await make_tree()
    users = await make_role_users(tree)
    return tree, {role: (await viewer(user_id)).scope for role, user_id in users.items()}


def _done(evidence: str = "", day: str = "") -> orgs.StandardItemInput:
    return orgs.StandardItemInput("done", evidence, day)


async def test_a_federation_checklist_starts_with_the_six_default_items(world):
    tree, _ = world
    checklist = await orgs.standard_checklist(EVERYTHING, tree.federation)
    assert [item["key"] for item in checklist.items] == list(orgs.STANDARD_DEFAULTS)
    assert [item["status"] for item in checklist.items] == ["not_started"] * 6
    assert checklist.done == 0


async def _stored(federation: int) -> list[dict]:
    return (
        await StandardItem.select(StandardItem.key, StandardItem.status)
        .where(StandardItem.federation == federation)
        .order_by(StandardItem.position)
        .run()
    )


async def test_reading_a_checklist_writes_nothing(world):
    tree, scopes = world
    before = await recent(1, 0)
    for scope in (EVERYTHING, scopes["federation"], scopes["village"]):
        checklist = await orgs.standard_checklist(scope, tree.federation)
        assert len(checklist.items) == 6
    assert (await _stored(tree.federation), await recent(1, 0)) == ([], before)


async def test_the_first_save_stores_the_six_defaults_once(world):
    tree, scopes = world
    items = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    await asyncio.gather(  # two first saves at once
        orgs.save_standard_item(
            scopes["federation"], ACTOR, tree.federation, items[1]["id"], _done()
        ),
        orgs.save_standard_item(
            scopes["federation"], ACTOR, tree.federation, items[2]["id"], _done()
        ),
    )
    assert await _stored(tree.federation) == [
        {"key": key, "status": "done" if key in ("rules", "premises") else "not_started"}
        for key in orgs.STANDARD_DEFAULTS
    ]


async def test_a_refused_first_save_writes_nothing(world):
    tree, _ = world
    [item, *_] = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    with pytest.raises(ValidationError):
        await orgs.save_standard_item(
            EVERYTHING, ACTOR, tree.federation, item["id"], _done("", "2099-01-01")
        )
    assert await _stored(tree.federation) == []


async def test_a_form_read_before_the_first_save_saves_its_own_item_after_it(world):
    tree, _ = world
    unsaved = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    await orgs.save_standard_item(EVERYTHING, ACTOR, tree.federation, unsaved[0]["id"], _done())
    await orgs.save_standard_item(EVERYTHING, ACTOR, tree.federation, unsaved[5]["id"], _done())
    assert [row["status"] for row in await _stored(tree.federation)] == [
        "done",
        *["not_started"] * 4,
        "done",
    ]


async def test_checklist_item_done_shows_in_completion(world):
    tree, scopes = world
    items = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    for item in items[:4]:
        await orgs.save_standard_item(
            scopes["federation"], ACTOR, tree.federation, item["id"], _done("有", "2022-06-18")
        )
    completion = await orgs.standard_completion(EVERYTHING)
    assert [(row["id"], row["done"], row["total"]) for row in completion] == [
        (tree.federation, 4, 6),
        (tree.far_federation, 0, 6),  # never saved: the six defaults, none done
    ]


async def test_completion_shows_only_federations_in_scope(world):
    tree, scopes = world
    completion = await orgs.standard_completion(scopes["village"])
    assert [row["id"] for row in completion] == [tree.federation]


async def test_item_keeps_status_evidence_and_date_and_is_audited(world):
    tree, scopes = world
    [item, *_] = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    note = "召开首次会员代表大会，选举产生委员会；\n挂牌成立"
    await orgs.save_standard_item(
        scopes["federation"],
        ACTOR,
        tree.federation,
        item["id"],
        orgs.StandardItemInput("in_progress", note, "2022-06-18"),
    )
    [saved, *_] = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    assert (saved["key"], saved["status"], saved["evidence"], saved["dated_on"]) == (
        item["key"],
        "in_progress",
        note,
        dt.date(2022, 6, 18),
    )
    [entry, *_] = await recent(1, 0)
    assert (entry["action"], entry["record_type"], entry["record_id"]) == (
        "update",
        "federation_standard_item",
        str(saved["id"]),
    )


async def test_done_item_without_a_date_is_dated_today(world):
    tree, _ = world
    [item, *_] = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    await orgs.save_standard_item(EVERYTHING, ACTOR, tree.federation, item["id"], _done())
    [saved, *_] = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    assert saved["dated_on"] == local_today()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (orgs.StandardItemInput("finished"), "status"),
        (orgs.StandardItemInput("done", "", "2022-13-01"), "dated_on"),
        (orgs.StandardItemInput("done", "", "2099-01-01"), "dated_on"),
        (orgs.StandardItemInput("done", "证" * 501), "evidence"),
        (orgs.StandardItemInput("done", "有\x00"), "evidence"),
    ],
)
async def test_bad_item_input_is_refused_next_to_its_field(world, data, field):
    tree, _ = world
    [item, *_] = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    with pytest.raises(ValidationError) as refused:
        await orgs.save_standard_item(EVERYTHING, ACTOR, tree.federation, item["id"], data)
    assert list(refused.value.errors) == [field]


async def test_village_organizer_sees_the_checklist_but_cannot_change_it(world):
    tree, scopes = world
    checklist = await orgs.standard_checklist(scopes["village"], tree.federation)
    assert checklist.can_edit is False
    with pytest.raises(Forbidden):
        await orgs.save_standard_item(
            scopes["village"], ACTOR, tree.federation, checklist.items[0]["id"], _done()
        )


async def test_another_federations_checklist_is_not_found(world):
    tree, scopes = world
    await orgs.add_standard_item(EVERYTHING, ACTOR, tree.far_federation, "有牌子")  # stored
    far = await orgs.standard_checklist(EVERYTHING, tree.far_federation)
    with pytest.raises(NotFound):
        await orgs.standard_checklist(scopes["federation"], tree.far_federation)
    with pytest.raises(NotFound):
        await orgs.save_standard_item(
            scopes["federation"], ACTOR, tree.far_federation, far.items[0]["id"], _done()
        )
    with pytest.raises(NotFound):  # its item under this federation's address
        await orgs.save_standard_item(
            scopes["federation"], ACTOR, tree.federation, far.items[0]["id"], _done()
        )


async def test_a_town_has_no_checklist(world):
    tree, _ = world
    with pytest.raises(NotFound):
        await orgs.standard_checklist(EVERYTHING, tree.town)


async def test_added_item_counts_in_completion(world):
    tree, scopes = world
    item_id = await orgs.add_standard_item(scopes["federation"], ACTOR, tree.federation, "有牌子")
    await orgs.save_standard_item(
        scopes["federation"],
        ACTOR,
        tree.federation,
        item_id,
        orgs.StandardItemInput("done", "", "", "有牌子、有印章"),
    )
    checklist = await orgs.standard_checklist(EVERYTHING, tree.federation)
    assert (checklist.items[-1]["label"], checklist.done, len(checklist.items)) == (
        "有牌子、有印章",
        1,
        7,
    )


async def test_adding_the_same_item_twice_adds_it_once(world):
    tree, _ = world
    first = await orgs.add_standard_item(EVERYTHING, ACTOR, tree.federation, "有牌子")
    again = await orgs.add_standard_item(EVERYTHING, ACTOR, tree.federation, "有牌子")
    checklist = await orgs.standard_checklist(EVERYTHING, tree.federation)
    assert (again, len(checklist.items)) == (first, 7)


async def test_renaming_an_item_to_a_title_taken_is_refused(world):
    tree, _ = world
    await orgs.add_standard_item(EVERYTHING, ACTOR, tree.federation, "有牌子")
    other = await orgs.add_standard_item(EVERYTHING, ACTOR, tree.federation, "有印章")
    with pytest.raises(ValidationError) as refused:
        await orgs.save_standard_item(
            EVERYTHING,
            ACTOR,
            tree.federation,
            other,
            orgs.StandardItemInput("done", "", "", "有牌子"),
        )
    assert list(refused.value.errors) == ["title"]


async def test_removing_an_item_twice_removes_it_once_and_the_last_item_stays(world):
    tree, scopes = world
    items = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items
    for item in items[:5]:
        await orgs.remove_standard_item(scopes["federation"], ACTOR, tree.federation, item["id"])
    await orgs.remove_standard_item(scopes["federation"], ACTOR, tree.federation, items[0]["id"])
    with pytest.raises(ValidationError):
        await orgs.remove_standard_item(EVERYTHING, ACTOR, tree.federation, items[5]["id"])
    checklist = await orgs.standard_checklist(EVERYTHING, tree.federation)
    assert [item["key"] for item in checklist.items] == ["results"]
    [row, _] = await orgs.standard_completion(EVERYTHING)
    assert (row["done"], row["total"]) == (0, 1)


# --- pages


async def test_federation_page_links_to_its_checklist(client, world):
    tree, _ = world
    await sign_in(client, "federation")
    page = await client.get(f"/orgs/unions/{tree.federation}")
    assert f'href="/orgs/federations/{tree.federation}/standards"' in page.text


async def test_saving_an_item_on_the_page_shows_it_done(client, world):
    tree, _ = world
    await sign_in(client, "federation")
    url = f"/orgs/federations/{tree.federation}/standards"
    item = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items[1]
    response = await post_form(
        client,
        f"{url}/{item['id']}",
        {"status": "done", "evidence": "制定工作制度6项", "dated_on": "2022-07-05"},
        form_url=url,
    )
    saved = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items[1]
    assert (saved["key"], saved["id"] > 0) == (item["key"], True)  # stored by this first save
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"{url}#item-{saved['id']}",
    )
    page = await client.get(url)
    assert "制定工作制度6项" in page.text and f'id="item-{saved["id"]}"' in page.text
    assert (await orgs.standard_checklist(EVERYTHING, tree.federation)).done == 1


async def test_a_refused_item_comes_back_with_what_was_typed(client, world):
    tree, _ = world
    await sign_in(client, "admin")
    url = f"/orgs/federations/{tree.federation}/standards"
    item = (await orgs.standard_checklist(EVERYTHING, tree.federation)).items[0]
    response = await post_form(
        client,
        f"{url}/{item['id']}",
        {"status": "done", "evidence": "已挂牌", "dated_on": "2099-01-01"},
        form_url=url,
    )
    assert response.status_code == 422
    assert 'value="2099-01-01"' in response.text and "已挂牌</textarea>" in response.text
    assert f'aria-describedby="dated_on-{item["id"]}-error"' in response.text
    assert await _stored(tree.federation) == []


async def test_opening_the_checklist_page_writes_nothing(client, world):
    tree, _ = world
    await sign_in(client, "federation")
    before = await recent(1, 0)
    page = await client.get(f"/orgs/federations/{tree.federation}/standards")
    assert (page.status_code, page.text.count('<li id="item-')) == (200, 6)
    assert (await _stored(tree.federation), await recent(1, 0)) == ([], before)


async def test_default_items_are_named_in_the_readers_language(client, world):
    tree, _ = world
    await sign_in(client, "admin")
    url = f"/orgs/federations/{tree.federation}/standards"
    page = await client.get(url, headers={"accept-language": "en"})
    assert "Has an organizational structure" in page.text


async def test_checklist_page_is_under_14_kb_gzipped(client, world):
    import gzip

    tree, _ = world
    for n in range(10):
        await orgs.add_standard_item(EVERYTHING, ACTOR, tree.federation, f"有第{n}项")
    await sign_in(client, "federation")
    page = await client.get(f"/orgs/federations/{tree.federation}/standards")
    assert (page.status_code, len(gzip.compress(page.content)) <= 14 * 1024) == (200, True)
