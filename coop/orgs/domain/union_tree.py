"""Changing the union tree: found and edit federations, villages and cooperatives, who may,
and the district and town unions the command line and the demo set up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from coop import db, generation
from coop.access import Scope, is_unique_violation
from coop.audit import domain as audit
from coop.forms import merge_errors, raise_all
from coop.orgs.queries import (
    PRODUCT_SEPARATORS,
    get_cooperative,
    get_union,
    get_village,
    manageable_federations,
    manageable_towns,
    name_taken,
)
from coop.orgs.tables import Cooperative, Union, Village
from coop.validation import Forbidden, Msg, NotFound, ValidationError

NAME_MAX = 100
PRODUCTS_MAX = 500
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


async def save_federation(
    scope: Scope,
    actor: audit.Actor,
    data: FederationInput,
    federation_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
):
    """Create (union admins) or edit (also the federation's own organizer) a federation.
    `form_errors` (what the form already refused) are raised with the checks here, all at once.
    """
    if federation_id is None:
        require_create_federation(scope)
    else:
        await federation_for_edit(scope, federation_id)
    towns = {t["id"] for t in await manageable_towns(scope)}
    errors: dict[str, Msg] = {}
    if data.town_id not in towns:
        errors["town_id"] = Msg("Choose a town from the list.")
    elif await name_taken(Union, Union.parent, data.town_id, data.name, federation_id):
        errors["name"] = Msg("This town already has a federation with that name.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
    values = {Union.name: data.name, Union.parent: data.town_id, Union.founded_on: data.founded_on}
    return await _write(actor, Union, federation_id, values, level=Union.Level.federation.value)


async def save_village(
    scope: Scope,
    actor: audit.Actor,
    data: VillageInput,
    village_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
):
    if village_id is None:
        require_manage(scope)
    else:
        await village_for_edit(scope, village_id)
    towns = {t["id"] for t in await manageable_towns(scope)}
    errors: dict[str, Msg] = {}
    if data.town_id not in towns:
        errors["town_id"] = Msg("Choose a town from the list.")
    elif await name_taken(Village, Village.town, data.town_id, data.name, village_id):
        errors["name"] = Msg("This town already has a village with that name.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
    return await _write(
        actor, Village, village_id, {Village.name: data.name, Village.town: data.town_id}
    )


async def save_cooperative(
    scope: Scope,
    actor: audit.Actor,
    data: CooperativeInput,
    cooperative_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
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
    if not errors and await name_taken(
        Cooperative, Cooperative.federation, data.federation_id, data.name, cooperative_id
    ):
        errors["name"] = Msg("This federation already has a cooperative with that name.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
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
