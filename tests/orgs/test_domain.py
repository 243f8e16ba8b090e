import pytest

from coop.orgs import domain as orgs
from coop.orgs.tables import Union
from coop.validation import Forbidden, Msg, NotFound, ValidationError
from tests.factories import ACTOR, EVERYTHING, make_tree


def test_split_products_accepts_chinese_and_latin_separators():
    assert orgs.split_products("黑猪、黑玉米，黑豆,黑米;黑猪") == ["黑猪", "黑玉米", "黑豆", "黑米"]


async def test_tree_nests_district_town_federation_cooperatives():
    tree = await make_tree()
    [district] = await orgs.tree(EVERYTHING)
    assert district["name"] == "巴南区总工会"
    town = district["children"][0]
    assert (town["name"], [v["name"] for v in town["villages"]]) == (
        "姜家镇总工会",
        ["文石村", "蔡家寺村"],
    )
    [federation] = town["children"]
    assert federation["id"] == tree.federation
    cooperative = next(c for c in federation["cooperatives"] if c["id"] == tree.cooperative)
    assert cooperative["products"] == ["黑猪", "黑玉米", "黑豆", "黑米"]
    assert cooperative["village_name"] == "蔡家寺村"


async def test_village_organizer_scope_sees_only_its_cooperative_and_the_path_to_it():
    tree = await make_tree()
    scope = orgs.Scope(cooperative_ids=frozenset({tree.cooperative}))
    assert [c["id"] for c in await orgs.cooperatives(scope)] == [tree.cooperative]
    assert [v["id"] for v in await orgs.villages(scope)] == [tree.village]
    assert await orgs.visible_union_ids(scope) == {tree.district, tree.town, tree.federation}
    with pytest.raises(NotFound):
        await orgs.get_cooperative(scope, tree.other_cooperative)
    with pytest.raises(NotFound):
        await orgs.get_union(scope, tree.far_federation)


async def test_federation_scope_covers_its_cooperatives_and_its_towns_villages():
    tree = await make_tree()
    scope = orgs.Scope(federation_ids=frozenset({tree.federation}), can_manage=True)
    assert {c["id"] for c in await orgs.cooperatives(scope)} == {
        tree.cooperative,
        tree.other_cooperative,
    }
    assert {v["id"] for v in await orgs.villages(scope)} == {tree.village, tree.other_village}
    with pytest.raises(NotFound):
        await orgs.get_village(scope, tree.far_village)


async def test_save_cooperative_rejects_duplicate_name_in_same_federation():
    tree = await make_tree()
    data = orgs.CooperativeInput("蔡家寺村“黑黑黑”合作社", tree.federation, tree.village)
    with pytest.raises(ValidationError) as error:
        await orgs.save_cooperative(EVERYTHING, ACTOR, data)
    assert error.value.errors == {
        "name": Msg("This federation already has a cooperative with that name.")
    }


async def test_same_cooperative_name_is_allowed_in_another_federation():
    tree = await make_tree()
    data = orgs.CooperativeInput("蔡家寺村“黑黑黑”合作社", tree.far_federation, tree.far_village)
    cooperative_id = await orgs.save_cooperative(EVERYTHING, ACTOR, data)
    assert (await orgs.get_cooperative(EVERYTHING, cooperative_id))[
        "federation"
    ] == tree.far_federation


async def test_federation_organizer_cannot_put_cooperative_in_another_federation():
    tree = await make_tree()
    scope = orgs.Scope(federation_ids=frozenset({tree.federation}), can_manage=True)
    data = orgs.CooperativeInput("新合作社", tree.far_federation, tree.far_village)
    with pytest.raises(ValidationError) as error:
        await orgs.save_cooperative(scope, ACTOR, data)
    assert error.value.errors["federation_id"] == Msg("Choose a federation from the list.")
    assert await orgs.cooperatives(EVERYTHING, tree.far_federation) != []
    assert [c["name"] for c in await orgs.cooperatives(EVERYTHING)].count("新合作社") == 0


async def test_cooperative_village_must_be_in_the_federations_town():
    tree = await make_tree()
    data = orgs.CooperativeInput("新合作社", tree.federation, tree.far_village)
    with pytest.raises(ValidationError) as error:
        await orgs.save_cooperative(EVERYTHING, ACTOR, data)
    assert error.value.errors == {
        "village_id": Msg("The village must be in the federation's town.")
    }


async def test_village_organizer_may_not_change_the_tree():
    tree = await make_tree()
    scope = orgs.Scope(cooperative_ids=frozenset({tree.cooperative}))
    with pytest.raises(Forbidden):
        await orgs.save_village(scope, ACTOR, orgs.VillageInput("新村", tree.town))


async def test_only_union_admins_create_federations():
    tree = await make_tree()
    scope = orgs.Scope(federation_ids=frozenset({tree.federation}), can_manage=True)
    with pytest.raises(Forbidden):
        await orgs.save_federation(scope, ACTOR, orgs.FederationInput("新联合会", tree.town))


async def test_federation_organizer_renames_own_federation_and_it_is_audited():
    from coop.audit.domain import recent

    tree = await make_tree()
    scope = orgs.Scope(federation_ids=frozenset({tree.federation}), can_manage=True)
    await orgs.save_federation(
        scope, ACTOR, orgs.FederationInput("姜家黑联合会", tree.town), tree.federation
    )
    assert (await orgs.get_union(scope, tree.federation))["name"] == "姜家黑联合会"
    latest = (await recent(1))[0]
    assert (latest["action"], latest["record_type"], latest["record_id"]) == (
        "update",
        "trade_union",
        str(tree.federation),
    )


async def test_duplicate_village_name_in_town_is_a_field_error():
    tree = await make_tree()
    with pytest.raises(ValidationError) as error:
        await orgs.save_village(EVERYTHING, ACTOR, orgs.VillageInput("蔡家寺村", tree.town))
    assert error.value.errors == {"name": Msg("This town already has a village with that name.")}


async def test_ancestors_lead_from_district_to_union():
    tree = await make_tree()
    assert [u["name"] for u in await orgs.ancestors(tree.federation)] == [
        "巴南区总工会",
        "姜家镇总工会",
        "“姜家黑”产业工会联合会",
    ]


async def test_create_union_is_idempotent():
    tree = await make_tree()
    again = await orgs.create_union(ACTOR, "姜家镇总工会", Union.Level.town, tree.district)
    assert again == tree.town
