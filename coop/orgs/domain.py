"""The union tree: district and town unions, federations, villages, cooperatives.

Every read takes a `Scope`, the part of the tree the user works in, so a
record outside it is `NotFound` exactly as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import unicodedata
from dataclasses import dataclass, field

from piccolo.query.functions.aggregate import Count

from coop import db, generation
from coop.access import Scope, is_unique_violation
from coop.audit import domain as audit
from coop.forms import optional_date
from coop.i18n import local_today
from coop.orgs.tables import Cooperative, StandardItem, Union, Village
from coop.validation import Forbidden, Msg, NotFound, ValidationError, clean_text

NAME_MAX = 100
PRODUCTS_MAX = 500
PRODUCT_SEPARATORS = "、,，;；/ "
LEVEL_NAMES = {
    Union.Level.district.value: Msg("District union"),
    Union.Level.town.value: Msg("Town union"),
    Union.Level.federation.value: Msg("Industry union federation"),
}


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


_places = generation.Cache()


async def places(scope: Scope, seen: bytes | None = None) -> dict[str, list[dict]]:
    """The cooperatives and villages in scope, for filters and forms. Reused while the
    access generation `seen` (coop.generation) is unchanged: the tree changes rarely."""
    found = _places.get(scope, seen)
    if found is None:
        found = {"cooperatives": await cooperatives(scope), "villages": await villages(scope)}
        _places.put(scope, seen, found)
    return found


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
                await generation.bump()  # scopes and filter choices depend on the tree
                await audit.record(actor, "create", table._meta.tablename, row.id, detail)
                return row.id
            await table.update(values).where(table.id == record_id).run()
            await generation.bump()
            await audit.record(actor, "update", table._meta.tablename, record_id, detail)
            return record_id
    except Exception as error:
        if is_unique_violation(error):
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


# --- the federation's establishment standard (六有), as a checklist ------------------------

StandardStatus = StandardItem.Status
# The default "六有": what an established federation union has. Each federation may add
# its own items and remove these; they are created the first time its checklist is read.
STANDARD_DEFAULTS = {
    "organization": Msg("Has an organizational structure"),
    "rules": Msg("Has working rules"),
    "premises": Msg("Has a place for activities"),
    "funds": Msg("Has working funds"),
    "services": Msg("Has service projects"),
    "results": Msg("Has working results"),
}
STANDARD_STATUS_NAMES = {
    StandardStatus.not_started.value: Msg("Not started"),
    StandardStatus.in_progress.value: Msg("In progress"),
    StandardStatus.done.value: Msg("Done"),
}
EVIDENCE_MAX = 500
ITEM_TITLE_MAX = 100


@dataclass
class StandardItemInput:
    """What was typed for one checklist item; checked by `save_standard_item`."""

    status: str
    evidence: str = ""
    dated_on: str = ""
    title: str = ""  # only an added item's title can change


@dataclass
class Checklist:
    federation: dict
    items: list[dict]
    can_edit: bool

    @property
    def done(self) -> int:
        return sum(item["status"] == StandardStatus.done.value for item in self.items)


def standard_label(item: dict) -> Msg | str:
    """A default item's name in the reader's language; an added item's own title."""
    return item["title"] or STANDARD_DEFAULTS.get(item["key"], item["key"])


def can_edit_standard(scope: Scope, federation_id: int) -> bool:
    """Union admins, and the organizers of this federation."""
    return scope.can_manage and (scope.everything or federation_id in scope.federation_ids)


async def _federation(scope: Scope, federation_id: int) -> dict:
    union = await get_union(scope, federation_id)
    if union["level"] != Union.Level.federation.value:
        raise NotFound
    return union


async def _ensure_standard(federation_id: int) -> None:
    """The default items, the first time a federation's checklist is read.

    A checklist always keeps one item at least, so no items means never set up.
    Two first readers at once: the unique index lets one of them in.
    """
    has_items = StandardItem.exists().where(StandardItem.federation == federation_id)
    if await has_items.run():
        return
    rows = [
        StandardItem(federation=federation_id, key=key, position=position)
        for position, key in enumerate(STANDARD_DEFAULTS, 1)
    ]
    try:
        async with db.transaction():
            if not await has_items.run():
                await StandardItem.insert(*rows).run()
    except Exception as error:
        if not is_unique_violation(error):
            raise


async def standard_checklist(scope: Scope, federation_id: int) -> Checklist:
    federation = await _federation(scope, federation_id)
    await _ensure_standard(federation_id)
    items = (
        await StandardItem.select()
        .where(StandardItem.federation == federation_id)
        .order_by(StandardItem.position)
        .order_by(StandardItem.id)
        .run()
    )
    for item in items:
        item["label"] = standard_label(item)
    return Checklist(federation, items, can_edit_standard(scope, federation_id))


async def _item_for_edit(scope: Scope, federation_id: int, item_id: int) -> dict | None:
    await federation_for_edit(scope, federation_id)  # out of scope: NotFound; else Forbidden
    return (
        await StandardItem.select()
        .where((StandardItem.id == item_id) & (StandardItem.federation == federation_id))
        .first()
        .run()
    )


def _note(errors: dict[str, Msg], name: str, value: str, max_length: int) -> str:
    """A note as typed, lines and full-width punctuation (，；) kept."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").strip()
    if any(unicodedata.category(ch).startswith("C") and ch != "\n" for ch in text):
        errors[name] = Msg("Remove the invisible control characters.")
    elif len(text) > max_length:
        errors[name] = Msg("At most {max} characters.", max=max_length)
    return text


def _checked_item(data: StandardItemInput, added: bool) -> dict:
    errors: dict[str, Msg] = {}
    if data.status not in STANDARD_STATUS_NAMES:
        errors["status"] = Msg("Choose a status from the list.")
    evidence = _note(errors, "evidence", data.evidence, EVIDENCE_MAX)
    dated_on = optional_date(errors, "dated_on", data.dated_on)
    if dated_on and dated_on > local_today():
        errors["dated_on"] = Msg("This date is still to come.")
    values = {StandardItem.status: data.status, StandardItem.evidence: evidence}
    if added:
        values[StandardItem.title] = clean_text(
            errors, "title", data.title, max_length=ITEM_TITLE_MAX
        )
    if errors:
        raise ValidationError(errors)
    if dated_on is None and data.status == StandardStatus.done.value:
        dated_on = local_today()
    values[StandardItem.dated_on] = dated_on
    return values


async def save_standard_item(
    scope: Scope, actor: audit.Actor, federation_id: int, item_id: int, data: StandardItemInput
) -> None:
    """Set an item's status, evidence note and date (a done item without a date: today)."""
    item = await _item_for_edit(scope, federation_id, item_id)
    if item is None:
        raise NotFound
    values = _checked_item(data, added=not item["key"])
    detail = f"{values[StandardItem.status]} {values[StandardItem.dated_on] or ''}".strip()
    try:
        async with db.transaction():
            await StandardItem.update(values).where(StandardItem.id == item_id).run()
            await audit.record(actor, "update", "federation_standard_item", item_id, detail)
    except Exception as error:
        if is_unique_violation(error):
            raise ValidationError({"title": Msg("That name is already taken.")}) from error
        raise


async def add_standard_item(
    scope: Scope, actor: audit.Actor, federation_id: int, title: str
) -> int:
    """An item of the federation's own, at the end of its checklist. A title already
    there is that item: a resent form adds it once."""
    await federation_for_edit(scope, federation_id)
    await _ensure_standard(federation_id)
    errors: dict[str, Msg] = {}
    title = clean_text(errors, "title", title, max_length=ITEM_TITLE_MAX)
    if errors:
        raise ValidationError(errors)
    same = StandardItem.select(StandardItem.id).where(
        (StandardItem.federation == federation_id) & (StandardItem.title == title)
    )
    if existing := await same.first().run():
        return existing["id"]
    try:
        async with db.transaction():
            last = (
                await StandardItem.select(StandardItem.position)
                .where(StandardItem.federation == federation_id)
                .order_by(StandardItem.position, ascending=False)
                .first()
                .run()
            )
            position = last["position"] + 1 if last else 1
            row = StandardItem(federation=federation_id, title=title, position=position)
            await StandardItem.insert(row).run()
            await audit.record(actor, "create", "federation_standard_item", row.id, title)
            return row.id
    except Exception as error:
        if is_unique_violation(error) and (existing := await same.first().run()):
            return existing["id"]  # the same form, resent at the same moment
        raise


async def remove_standard_item(
    scope: Scope, actor: audit.Actor, federation_id: int, item_id: int
) -> None:
    """Take an item off the checklist; the last one stays. Removing it twice is once."""
    item = await _item_for_edit(scope, federation_id, item_id)
    if item is None:
        return
    async with db.transaction():
        count = await StandardItem.count().where(StandardItem.federation == federation_id).run()
        if count <= 1:
            raise ValidationError({"item": Msg("A checklist keeps one item at least.")})
        await StandardItem.delete().where(StandardItem.id == item_id).run()
        await audit.record(
            actor, "delete", "federation_standard_item", item_id, item["title"] or item["key"]
        )


async def standard_completion(scope: Scope) -> list[dict]:
    """Each federation in scope with its items done and its items in all (e.g. 4 of 6)."""
    federations = await unions_at_level(scope, Union.Level.federation)
    rows = (
        await StandardItem.select(StandardItem.federation, StandardItem.status, Count(alias="n"))
        .where(StandardItem.federation.is_in([f["id"] for f in federations] or [-1]))
        .group_by(StandardItem.federation, StandardItem.status)
        .run()
    )
    result = []
    for federation in federations:
        mine = [row for row in rows if row["federation"] == federation["id"]]
        result.append(
            {
                "id": federation["id"],
                "name": federation["name"],
                "done": sum(r["n"] for r in mine if r["status"] == StandardStatus.done.value),
                # never opened: the defaults, none done yet
                "total": sum(r["n"] for r in mine) or len(STANDARD_DEFAULTS),
            }
        )
    return result
