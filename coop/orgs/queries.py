"""Every read of the union tree, each limited to a `Scope`: the part of the tree a user
works in, so a record outside it is `NotFound` exactly as if it did not exist.

Also what a scope covers as query conditions (the other contexts filter by them), the
unions an event (training, contest) serves, and the stored checklist items of the 六有.
"""

from __future__ import annotations

import functools
import operator

from piccolo.query.functions.aggregate import Count

from coop.access import Scope
from coop.orgs.tables import Cooperative, StandardItem, Union, Village
from coop.validation import NotFound

# A cooperative's products are stored as one text, the names joined by the first separator.
PRODUCT_SEPARATORS = "、,，;；/ "


def split_products(text: str) -> list[str]:
    for sep in PRODUCT_SEPARATORS[1:]:
        text = text.replace(sep, PRODUCT_SEPARATORS[0])
    seen: list[str] = []
    for name in text.split(PRODUCT_SEPARATORS[0]):
        if name and name not in seen:
            seen.append(name)
    return seen


def _any_of(conditions: list):
    return functools.reduce(operator.or_, conditions)


# --- what a scope covers -------------------------------------------------------


async def _towns_of(federation_ids) -> set[int]:
    if not federation_ids:
        return set()
    rows = await Union.select(Union.parent).where(Union.id.is_in(list(federation_ids))).run()
    return {row["parent"] for row in rows}


def cooperative_where(scope: Scope):
    """The condition selecting the cooperatives in scope (None: all of them)."""
    if scope.everything:
        return None
    conditions = []
    if scope.federation_ids:
        conditions.append(Cooperative.federation.is_in(list(scope.federation_ids)))
    if scope.cooperative_ids:
        conditions.append(Cooperative.id.is_in(list(scope.cooperative_ids)))
    if scope.village_ids:
        conditions.append(Cooperative.village.is_in(list(scope.village_ids)))
    return _any_of(conditions) if conditions else Cooperative.id == -1


def village_where(scope: Scope):
    """The villages in scope: a federation's town's (or a town union's own), a cooperative's,
    or named ones."""
    if scope.everything:
        return None
    conditions = []
    if scope.federation_ids:
        towns = Union.select(Union.parent).where(Union.id.is_in(list(scope.federation_ids)))
        conditions.append(Village.town.is_in(towns))
        # A township union's staff (scoped to the town union itself): its own villages.
        conditions.append(Village.town.is_in(list(scope.federation_ids)))
    if scope.cooperative_ids:
        homes = Cooperative.select(Cooperative.village).where(
            Cooperative.id.is_in(list(scope.cooperative_ids))
        )
        conditions.append(Village.id.is_in(homes))
    if scope.village_ids:
        conditions.append(Village.id.is_in(list(scope.village_ids)))
    return _any_of(conditions) if conditions else Village.id == -1


async def visible_union_ids(scope: Scope) -> set[int] | None:
    """Unions in scope with all their ancestors (None: all of them)."""
    if scope.everything:
        return None
    rows = await Cooperative.select(Cooperative.federation).where(cooperative_where(scope)).run()
    federations = set(scope.federation_ids) | {row["federation"] for row in rows}
    village_rows = await Village.select(Village.town).where(village_where(scope)).run()
    found = federations | {row["town"] for row in village_rows}
    frontier = set(found)
    while frontier:
        parents = await Union.select(Union.parent).where(Union.id.is_in(list(frontier))).run()
        frontier = {row["parent"] for row in parents if row["parent"]} - found
        found |= frontier
    return found


# --- events (trainings, contests) run by a union ---------------------------------------


async def federations_under(union_id: int) -> list[int]:
    """The federations an event run by this union serves: itself, or those beneath it."""
    found, frontier = {union_id}, {union_id}
    while frontier:
        rows = await Union.select(Union.id).where(Union.parent.is_in(list(frontier))).run()
        frontier = {row["id"] for row in rows} - found
        found |= frontier
    rows = (
        await Union.select(Union.id)
        .where(Union.id.is_in(list(found)) & (Union.level == Union.Level.federation.value))
        .run()
    )
    return [row["id"] for row in rows]


async def scope_federations(scope: Scope) -> set[int]:
    federations = set(scope.federation_ids)
    if scope.cooperative_ids:
        rows = (
            await Cooperative.select(Cooperative.federation)
            .where(Cooperative.id.is_in(list(scope.cooperative_ids)))
            .run()
        )
        federations |= {row["federation"] for row in rows}
    if scope.village_ids:
        towns = Village.select(Village.town).where(Village.id.is_in(list(scope.village_ids)))
        rows = (
            await Union.select(Union.id)
            .where(Union.parent.is_in(towns) & (Union.level == Union.Level.federation.value))
            .run()
        )
        federations |= {row["id"] for row in rows}
    return federations


async def event_unions(scope: Scope) -> set[int] | None:
    """Unions whose events a user sees: their federations and the unions above (None: all)."""
    if scope.everything:
        return None
    visible: set[int] = set()
    for federation_id in await scope_federations(scope):
        visible |= {row["id"] for row in await ancestors(federation_id)}
        visible.add(federation_id)
    return visible


# The rule "may run an event for this union", twice: as the unions to choose from (a query)
# and as a test of one union (in Python). Change the two together.
async def running_unions(scope: Scope) -> list[dict]:
    """Unions a user may run an event for: any with everything in scope, else their federations."""
    query = Union.select(Union.id, Union.name, Union.level).order_by(Union.level).order_by(Union.id)
    if not scope.everything:
        query = query.where(Union.id.is_in(list(scope.federation_ids) or [-1]))
    return await query.run()


def runs(scope: Scope, union_id: int) -> bool:
    return scope.everything or union_id in scope.federation_ids


def _scoped(query, where):
    return query.where(where) if where is not None else query


# --- reading ------------------------------------------------------------------


async def tree(scope: Scope) -> list[dict]:
    """The union tree as nested dicts, roots first, limited to the scope."""
    union_ids = await visible_union_ids(scope)
    unions_query = Union.select().order_by(Union.id)
    if union_ids is not None:
        unions_query = unions_query.where(Union.id.is_in(list(union_ids) or [-1]))
    unions = await unions_query.run()
    cooperatives = await _scoped(
        Cooperative.select(
            Cooperative.all_columns(), Cooperative.village.name.as_alias("village_name")
        ).order_by(Cooperative.name),
        cooperative_where(scope),
    ).run()
    villages = await _scoped(Village.select().order_by(Village.name), village_where(scope)).run()

    by_id = {u["id"]: {**u, "children": [], "cooperatives": [], "villages": []} for u in unions}
    roots = []
    for union in by_id.values():
        parent = by_id.get(union["parent"])
        (parent["children"] if parent else roots).append(union)
    for cooperative in cooperatives:
        if cooperative["federation"] in by_id:
            cooperative["products"] = split_products(cooperative["products"])
            by_id[cooperative["federation"]]["cooperatives"].append(cooperative)
    for village in villages:
        if village["town"] in by_id:
            by_id[village["town"]]["villages"].append(village)
    return roots


async def get_union(scope: Scope, union_id: int) -> dict:
    union_ids = await visible_union_ids(scope)
    if union_ids is not None and union_id not in union_ids:
        raise NotFound
    union = await Union.select().where(Union.id == union_id).first().run()
    if union is None:
        raise NotFound
    return union


async def get_cooperative(scope: Scope, cooperative_id: int) -> dict:
    query = Cooperative.select(
        Cooperative.all_columns(),
        Cooperative.village.name.as_alias("village_name"),
        Cooperative.federation.name.as_alias("federation_name"),
    ).where(Cooperative.id == cooperative_id)
    where = cooperative_where(scope)
    if where is not None:
        query = query.where(where)
    cooperative = await query.first().run()
    if cooperative is None:
        raise NotFound
    cooperative["products"] = split_products(cooperative["products"])
    return cooperative


async def get_village(scope: Scope, village_id: int) -> dict:
    query = Village.select(Village.all_columns(), Village.town.name.as_alias("town_name"))
    where = village_where(scope)
    if where is not None:
        query = query.where(where)
    village = await query.where(Village.id == village_id).first().run()
    if village is None:
        raise NotFound
    return village


async def ancestors(union_id: int | None) -> list[dict]:
    """The path from the root down to `union_id`, for breadcrumbs."""
    path: list[dict] = []
    while union_id:
        union = (
            await Union.select(Union.id, Union.name, Union.parent)
            .where(Union.id == union_id)
            .first()
            .run()
        )
        if union is None:
            break
        path.insert(0, union)
        union_id = union["parent"]
    return path


async def cooperatives(scope: Scope, federation_id: int | None = None) -> list[dict]:
    query = _scoped(
        Cooperative.select(
            Cooperative.all_columns(), Cooperative.village.name.as_alias("village_name")
        ).order_by(Cooperative.name),
        cooperative_where(scope),
    )
    if federation_id is not None:
        query = query.where(Cooperative.federation == federation_id)
    return await query.run()


async def villages(scope: Scope, town_id: int | None = None) -> list[dict]:
    query = _scoped(
        Village.select(Village.all_columns(), Village.town.name.as_alias("town_name")).order_by(
            Village.name
        ),
        village_where(scope),
    )
    if town_id is not None:
        query = query.where(Village.town == town_id)
    return await query.run()


async def unions_at_level(scope: Scope, level: Union.Level) -> list[dict]:
    query = Union.select().where(Union.level == level.value).order_by(Union.id)
    union_ids = await visible_union_ids(scope)
    if union_ids is not None:
        query = query.where(Union.id.is_in(list(union_ids) or [-1]))
    return await query.run()


async def manageable_federations(scope: Scope) -> list[dict]:
    if not scope.can_manage:
        return []
    if scope.everything:
        return await unions_at_level(scope, Union.Level.federation)
    if not scope.federation_ids:
        return []
    return (
        await Union.select()
        .where(Union.id.is_in(list(scope.federation_ids)))
        .order_by(Union.id)
        .run()
    )


async def manageable_towns(scope: Scope) -> list[dict]:
    """Towns whose villages the user may create or edit."""
    if not scope.can_manage:
        return []
    query = Union.select().where(Union.level == Union.Level.town.value).order_by(Union.id)
    if not scope.everything:
        query = query.where(Union.id.is_in(list(await _towns_of(scope.federation_ids)) or [-1]))
    return await query.run()


async def name_taken(table, parent_column, parent_id: int, name: str, own_id: int | None) -> bool:
    query = table.exists().where((parent_column == parent_id) & (table.name == name))
    if own_id is not None:
        query = query.where(table.id != own_id)
    return await query.run()


# --- the federation's establishment standard (六有) -----------------------------------------


async def get_federation(scope: Scope, federation_id: int) -> dict:
    union = await get_union(scope, federation_id)
    if union["level"] != Union.Level.federation.value:
        raise NotFound
    return union


async def standard_items(federation_id: int) -> list[dict]:
    """A federation's stored checklist items, in their order (none: never saved)."""
    return (
        await StandardItem.select()
        .where(StandardItem.federation == federation_id)
        .order_by(StandardItem.position)
        .order_by(StandardItem.id)
        .run()
    )


async def standard_item(federation_id: int, item_id: int) -> dict | None:
    return (
        await StandardItem.select()
        .where((StandardItem.id == item_id) & (StandardItem.federation == federation_id))
        .first()
        .run()
    )


async def standard_item_by_key(federation_id: int, key: str) -> dict | None:
    """A stored default item, by its key."""
    return (
        await StandardItem.select()
        .where((StandardItem.key == key) & (StandardItem.federation == federation_id))
        .first()
        .run()
    )


async def standard_counts(federation_ids: list[int]) -> list[dict]:
    """Stored items per federation and status: federation, status, n."""
    return (
        await StandardItem.select(StandardItem.federation, StandardItem.status, Count(alias="n"))
        .where(StandardItem.federation.is_in(federation_ids or [-1]))
        .group_by(StandardItem.federation, StandardItem.status)
        .run()
    )
