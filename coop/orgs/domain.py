"""The union tree: district and town unions, federations, villages, cooperatives.

Every read takes a `Scope`, the part of the tree the user works in, so a
record outside it is `NotFound` exactly as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field

from coop import db
from coop.audit import domain as audit
from coop.orgs.tables import Cooperative, Union, Village
from coop.validation import Forbidden, Msg, NotFound, ValidationError

NAME_MAX = 100
PRODUCTS_MAX = 500
PRODUCT_SEPARATORS = "、,，;；/ "
LEVEL_NAMES = {
    Union.Level.district.value: Msg("District union"),
    Union.Level.town.value: Msg("Town union"),
    Union.Level.federation.value: Msg("Industry union federation"),
}


@dataclass(frozen=True)
class Scope:
    """What a user may see; `can_manage` says whether they may also change it."""

    everything: bool = False
    federation_ids: frozenset[int] = frozenset()
    cooperative_ids: frozenset[int] = frozenset()
    village_ids: frozenset[int] = frozenset()
    can_manage: bool = False


@dataclass
class FederationInput:
    name: str
    town_id: int
    founded_on: dt.date | None = None


@dataclass
class VillageInput:
    name: str
    town_id: int


@dataclass
class CooperativeInput:
    name: str
    federation_id: int
    village_id: int
    products: list[str] = field(default_factory=list)


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
    """The villages in scope: a federation's town's, a cooperative's, or named ones."""
    if scope.everything:
        return None
    conditions = []
    if scope.federation_ids:
        towns = Union.select(Union.parent).where(Union.id.is_in(list(scope.federation_ids)))
        conditions.append(Village.town.is_in(towns))
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


# --- writing ------------------------------------------------------------------


def require_manage(scope: Scope) -> None:
    if not scope.can_manage:
        raise Forbidden


def require_create_federation(scope: Scope) -> None:
    """Only union admins found federations; organizers edit their own."""
    if not (scope.can_manage and scope.everything):
        raise Forbidden


async def federation_for_edit(scope: Scope, federation_id: int) -> dict:
    federation = await get_union(scope, federation_id)
    if federation["level"] != Union.Level.federation.value:
        raise NotFound
    require_manage(scope)
    if not scope.everything and federation_id not in scope.federation_ids:
        raise Forbidden
    return federation


async def village_for_edit(scope: Scope, village_id: int) -> dict:
    village = await get_village(scope, village_id)  # out of scope: NotFound before Forbidden
    require_manage(scope)
    return village


async def cooperative_for_edit(scope: Scope, cooperative_id: int) -> dict:
    cooperative = await get_cooperative(scope, cooperative_id)
    require_manage(scope)
    return cooperative


async def _name_taken(table, parent_column, parent_id: int, name: str, own_id: int | None) -> bool:
    query = table.exists().where((parent_column == parent_id) & (table.name == name))
    if own_id is not None:
        query = query.where(table.id != own_id)
    return await query.run()


async def save_federation(
    scope: Scope, actor: audit.Actor, data: FederationInput, federation_id: int | None = None
):
    """Create (union admins) or edit (also the federation's own organizer) a federation."""
    if federation_id is None:
        require_create_federation(scope)
    else:
        await federation_for_edit(scope, federation_id)
    towns = {t["id"] for t in await manageable_towns(scope)}
    errors: dict[str, Msg] = {}
    if data.town_id not in towns:
        errors["town_id"] = Msg("Choose a town from the list.")
    elif await _name_taken(Union, Union.parent, data.town_id, data.name, federation_id):
        errors["name"] = Msg("This town already has a federation with that name.")
    if errors:
        raise ValidationError(errors)
    values = {Union.name: data.name, Union.parent: data.town_id, Union.founded_on: data.founded_on}
    return await _write(actor, Union, federation_id, values, level=Union.Level.federation.value)


async def save_village(
    scope: Scope, actor: audit.Actor, data: VillageInput, village_id: int | None = None
):
    if village_id is None:
        require_manage(scope)
    else:
        await village_for_edit(scope, village_id)
    towns = {t["id"] for t in await manageable_towns(scope)}
    errors: dict[str, Msg] = {}
    if data.town_id not in towns:
        errors["town_id"] = Msg("Choose a town from the list.")
    elif await _name_taken(Village, Village.town, data.town_id, data.name, village_id):
        errors["name"] = Msg("This town already has a village with that name.")
    if errors:
        raise ValidationError(errors)
    return await _write(
        actor, Village, village_id, {Village.name: data.name, Village.town: data.town_id}
    )


async def save_cooperative(
    scope: Scope, actor: audit.Actor, data: CooperativeInput, cooperative_id: int | None = None
):
    if cooperative_id is None:
        require_manage(scope)
    else:
        await cooperative_for_edit(scope, cooperative_id)
    federations = {f["id"]: f for f in await manageable_federations(scope)}
    errors: dict[str, Msg] = {}
    federation = federations.get(data.federation_id)
    if federation is None:
        errors["federation_id"] = Msg("Choose a federation from the list.")
    village = await Village.select().where(Village.id == data.village_id).first().run()
    if village is None:
        errors["village_id"] = Msg("Choose a village from the list.")
    elif federation is not None and village["town"] != federation["parent"]:
        errors["village_id"] = Msg("The village must be in the federation's town.")
    if not errors and await _name_taken(
        Cooperative, Cooperative.federation, data.federation_id, data.name, cooperative_id
    ):
        errors["name"] = Msg("This federation already has a cooperative with that name.")
    if errors:
        raise ValidationError(errors)
    values = {
        Cooperative.name: data.name,
        Cooperative.federation: data.federation_id,
        Cooperative.village: data.village_id,
        Cooperative.products: PRODUCT_SEPARATORS[0].join(data.products),
    }
    return await _write(actor, Cooperative, cooperative_id, values)


async def _write(actor: audit.Actor, table, record_id: int | None, values: dict, **extra) -> int:
    """Insert or update one row; a name taken meanwhile by someone else is a form error."""
    detail = ", ".join(f"{column._meta.name}={value}" for column, value in values.items())
    try:
        async with db.transaction():
            if record_id is None:
                row = table(
                    **{column._meta.name: value for column, value in values.items()}, **extra
                )
                await table.insert(row).run()
                await audit.record(actor, "create", table._meta.tablename, row.id, detail)
                return row.id
            await table.update(values).where(table.id == record_id).run()
            await audit.record(actor, "update", table._meta.tablename, record_id, detail)
            return record_id
    except Exception as error:
        if "unique" in str(error).lower():
            raise ValidationError({"name": Msg("That name is already taken.")}) from error
        raise


async def create_union(
    actor: audit.Actor, name: str, level: Union.Level, parent_id: int | None
) -> int:
    """For the command line and demo data: towns and districts are not edited on the web."""
    existing = (
        await Union.select(Union.id)
        .where(
            (Union.name == name)
            & (Union.parent == parent_id if parent_id else Union.parent.is_null())
        )
        .first()
        .run()
    )
    if existing:
        return existing["id"]
    return await _write(
        actor, Union, None, {Union.name: name, Union.parent: parent_id}, level=level.value
    )
