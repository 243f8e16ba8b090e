"""Typed form input for federations, villages, cooperatives and the 六有 checklist items."""

from __future__ import annotations

from litestar.datastructures import FormMultiDict

from coop.forms import choice_id, optional_date, raise_all
from coop.orgs.domain.standards import StandardItemInput
from coop.orgs.domain.union_tree import (
    NAME_MAX,
    PRODUCTS_MAX,
    CooperativeInput,
    FederationInput,
    VillageInput,
)
from coop.orgs.queries import split_products
from coop.validation import Msg, clean_text


def federation(data: FormMultiDict) -> FederationInput:
    errors: dict[str, Msg] = {}
    result = FederationInput(
        name=clean_text(errors, "name", data.get("name"), max_length=NAME_MAX),
        town_id=choice_id(
            errors, "town_id", data.get("town_id"), Msg("Choose a town from the list.")
        ),
        founded_on=optional_date(errors, "founded_on", data.get("founded_on")),
    )
    return raise_all(errors, result)


def village(data: FormMultiDict) -> VillageInput:
    errors: dict[str, Msg] = {}
    result = VillageInput(
        name=clean_text(errors, "name", data.get("name"), max_length=NAME_MAX),
        town_id=choice_id(
            errors, "town_id", data.get("town_id"), Msg("Choose a town from the list.")
        ),
    )
    return raise_all(errors, result)


def cooperative(data: FormMultiDict) -> CooperativeInput:
    errors: dict[str, Msg] = {}
    result = CooperativeInput(
        name=clean_text(errors, "name", data.get("name"), max_length=NAME_MAX),
        federation_id=choice_id(
            errors,
            "federation_id",
            data.get("federation_id"),
            Msg("Choose a federation from the list."),
        ),
        village_id=choice_id(
            errors, "village_id", data.get("village_id"), Msg("Choose a village from the list.")
        ),
        products=split_products(
            clean_text(
                errors, "products", data.get("products"), max_length=PRODUCTS_MAX, required=False
            )
        ),
    )
    return raise_all(errors, result)


def standard_item(data: FormMultiDict) -> StandardItemInput:
    """One checklist item's form, as typed: `save_standard_item` checks it."""
    return StandardItemInput(
        status=data.get("status", ""),
        evidence=data.get("evidence", ""),
        dated_on=data.get("dated_on", ""),
        title=data.get("title", ""),
    )
