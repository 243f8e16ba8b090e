"""The federation's establishment standard (六有), as a checklist: the six default items,
items of a federation's own, each with a status, an evidence note and a date."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from coop import db
from coop.access import Scope, is_unique_violation, today
from coop.audit import domain as audit
from coop.forms import optional_date
from coop.orgs.domain.union_tree import federation_for_edit
from coop.orgs.queries import (
    get_federation,
    standard_counts,
    standard_item,
    standard_item_by_key,
    standard_items,
    unions_at_level,
)
from coop.orgs.tables import StandardItem, Union
from coop.validation import Msg, NotFound, ValidationError, clean_text

StandardStatus = StandardItem.Status
# The default "六有": what an established federation union has. Each federation may add
# its own items and remove these; they are shown until its checklist is first saved, and
# stored by that save.
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


async def _ensure_standard(federation_id: int) -> None:
    """The default items, stored by the first save to a federation's checklist.

    A checklist always keeps one item at least, so no items means never saved.
    Two first saves at once: the unique index lets one of them in.
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


def _unsaved_defaults(federation_id: int) -> list[dict]:
    """The default items of a checklist never saved, as they will be stored; until then
    each is addressed by minus its position (a GET writes nothing)."""
    return [
        {
            "id": -position,
            "federation": federation_id,
            "key": key,
            "title": "",
            "position": position,
            "status": StandardStatus.not_started.value,
            "evidence": "",
            "dated_on": None,
        }
        for position, key in enumerate(STANDARD_DEFAULTS, 1)
    ]


async def standard_checklist(scope: Scope, federation_id: int) -> Checklist:
    federation = await get_federation(scope, federation_id)
    items = await standard_items(federation_id) or _unsaved_defaults(federation_id)
    for item in items:
        item["label"] = standard_label(item)
    return Checklist(federation, items, can_edit_standard(scope, federation_id))


async def _item_for_edit(scope: Scope, federation_id: int, item_id: int) -> dict | None:
    await federation_for_edit(scope, federation_id)  # out of scope: NotFound; else Forbidden
    if item_id < 0:  # a default item shown before the checklist was first saved
        return next((i for i in _unsaved_defaults(federation_id) if i["id"] == item_id), None)
    return await standard_item(federation_id, item_id)


async def _stored(item: dict) -> dict | None:
    """The item as stored. An unsaved default stores the defaults first (once, whoever
    saves first), then is found by its key (None: removed meanwhile)."""
    if item["id"] > 0:
        return item
    await _ensure_standard(item["federation"])
    return await standard_item_by_key(item["federation"], item["key"])


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
    if dated_on and dated_on > today():
        errors["dated_on"] = Msg("This date is still to come.")
    values = {StandardItem.status: data.status, StandardItem.evidence: evidence}
    if added:
        values[StandardItem.title] = clean_text(
            errors, "title", data.title, max_length=ITEM_TITLE_MAX
        )
    if errors:
        raise ValidationError(errors)
    if dated_on is None and data.status == StandardStatus.done.value:
        dated_on = today()
    values[StandardItem.dated_on] = dated_on
    return values


async def save_standard_item(
    scope: Scope, actor: audit.Actor, federation_id: int, item_id: int, data: StandardItemInput
) -> int:
    """Set an item's status, evidence note and date (a done item without a date: today).
    The item's id as stored is returned: the first save stores the default items."""
    item = await _item_for_edit(scope, federation_id, item_id)
    if item is None:
        raise NotFound
    values = _checked_item(data, added=not item["key"])
    item = await _stored(item)
    if item is None:
        raise NotFound
    item_id = item["id"]
    detail = f"{values[StandardItem.status]} {values[StandardItem.dated_on] or ''}".strip()
    try:
        async with db.transaction():
            await StandardItem.update(values).where(StandardItem.id == item_id).run()
            await audit.record(actor, "update", "federation_standard_item", item_id, detail)
    except Exception as error:
        if is_unique_violation(error):
            raise ValidationError({"title": Msg("That name is already taken.")}) from error
        raise
    return item_id


async def add_standard_item(
    scope: Scope, actor: audit.Actor, federation_id: int, title: str
) -> int:
    """An item of the federation's own, at the end of its checklist. A title already
    there is that item: a resent form adds it once."""
    await federation_for_edit(scope, federation_id)
    errors: dict[str, Msg] = {}
    title = clean_text(errors, "title", title, max_length=ITEM_TITLE_MAX)
    if errors:
        raise ValidationError(errors)
    await _ensure_standard(federation_id)
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
    if item is None or (item := await _stored(item)) is None:
        return
    item_id = item["id"]
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
    rows = await standard_counts([f["id"] for f in federations])
    result = []
    for federation in federations:
        mine = [row for row in rows if row["federation"] == federation["id"]]
        result.append(
            {
                "id": federation["id"],
                "name": federation["name"],
                "done": sum(r["n"] for r in mine if r["status"] == StandardStatus.done.value),
                # never saved: the defaults, none done yet
                "total": sum(r["n"] for r in mine) or len(STANDARD_DEFAULTS),
            }
        )
    return result
