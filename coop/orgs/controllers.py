"""Pages of the union tree: browse it; create and edit federations, villages, cooperatives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from litestar import Controller, Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from coop.access import Scope, Viewer
from coop.forms import read_all
from coop.guards import organizers, provide_viewer
from coop.orgs import domain, forms
from coop.orgs.tables import Union
from coop.validation import Msg, ValidationError
from coop.web import flash, flash_refusal, form_or_stash, invalid, page, redirect

# The longest input each form takes, for the fields' maxlength (the domain's limits).
LIMITS = {
    "name_max": domain.NAME_MAX,
    "products_max": domain.PRODUCTS_MAX,
    "evidence_max": domain.EVIDENCE_MAX,
    "item_title_max": domain.ITEM_TITLE_MAX,
}


@dataclass(frozen=True)
class FormPage:
    """One create-and-edit form page, declared once: who may create, the record to edit
    (NotFound outside the scope, Forbidden to whoever may not change it), its values as
    the form shows them, the choices the form offers, how the form is read and saved.

    Its GET and its 422 answer share one context; `record` is what the template calls
    the record edited (None while creating); `save` is the domain's
    save_<record>(scope, actor, data, record_id) and returns the record's id.
    """

    template: str
    record: str
    may_create: Callable[[Scope], None]
    for_edit: Callable[[Scope, int], Awaitable[dict]]
    initial: Callable[[dict], dict]
    choices: Callable[[Viewer], Awaitable[dict]]
    parse: Callable[[FormMultiDict], object]
    save: Callable[..., Awaitable[int]]
    shown_at: str  # where a saved record is shown, with {} for its id

    async def context(self, viewer: Viewer, record: dict | None) -> dict:
        return {self.record: record, **await self.choices(viewer), **LIMITS}

    async def new(self, request: Request, viewer: Viewer, initial: dict) -> object:
        self.may_create(viewer.scope)
        return await self._show(request, viewer, initial, None)

    async def create(self, request: Request, viewer: Viewer) -> object:
        self.may_create(viewer.scope)
        return await self._submit(request, viewer, None)

    async def edit(self, request: Request, viewer: Viewer, record_id: int) -> object:
        record = await self.for_edit(viewer.scope, record_id)
        return await self._show(request, viewer, self.initial(record), record)

    async def update(self, request: Request, viewer: Viewer, record_id: int) -> object:
        return await self._submit(request, viewer, await self.for_edit(viewer.scope, record_id))

    async def _show(
        self, request: Request, viewer: Viewer, initial: dict, record: dict | None
    ) -> object:
        form = await form_or_stash(request, initial)
        return page(self.template, form=form, **await self.context(viewer, record))

    async def _submit(self, request: Request, viewer: Viewer, record: dict | None) -> object:
        data = await request.form()
        record_id = record["id"] if record else None
        try:
            refused: dict = {}
            typed = read_all(refused, self.parse, data)
            saved = await self.save(viewer.scope, viewer.actor, typed, record_id, refused)
        except ValidationError as error:
            return invalid(self.template, data, error, **await self.context(viewer, record))
        flash(request, Msg("Saved."))
        return redirect(request, self.shown_at.format(saved))


async def _town_choices(viewer: Viewer) -> dict:
    return {"towns": await domain.manageable_towns(viewer.scope)}


async def _cooperative_choices(viewer: Viewer) -> dict:
    towns = {t["id"] for t in await domain.manageable_towns(viewer.scope)}
    villages = [v for v in await domain.villages(viewer.scope) if v["town"] in towns]
    return {"federations": await domain.manageable_federations(viewer.scope), "villages": villages}


FEDERATION = FormPage(
    template="orgs/federation_form.html",
    record="federation",
    may_create=domain.require_create_federation,
    for_edit=domain.federation_for_edit,
    initial=lambda federation: {
        "name": federation["name"],
        "town_id": federation["parent"],
        "founded_on": federation["founded_on"] or "",
    },
    choices=_town_choices,
    parse=forms.federation,
    save=domain.save_federation,
    shown_at="/orgs/unions/{}",
)
VILLAGE = FormPage(
    template="orgs/village_form.html",
    record="village",
    may_create=domain.require_manage,
    for_edit=domain.village_for_edit,
    initial=lambda village: {"name": village["name"], "town_id": village["town"]},
    choices=_town_choices,
    parse=forms.village,
    save=domain.save_village,
    shown_at="/orgs/villages/{}",
)
COOPERATIVE = FormPage(
    template="orgs/cooperative_form.html",
    record="cooperative",
    may_create=domain.require_manage,
    for_edit=domain.cooperative_for_edit,
    initial=lambda cooperative: {
        "name": cooperative["name"],
        "federation_id": cooperative["federation"],
        "village_id": cooperative["village"],
        "products": domain.PRODUCT_SEPARATORS[0].join(cooperative["products"]),
    },
    choices=_cooperative_choices,
    parse=forms.cooperative,
    save=domain.save_cooperative,
    shown_at="/orgs/cooperatives/{}",
)


class OrgController(Controller):
    include_in_schema = False
    path = "/orgs"
    guards = [organizers]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="orgs")
    async def tree(self, viewer: NamedDependency[Viewer]) -> object:
        return page("orgs/tree.html", roots=await domain.tree(viewer.scope))

    @get("/unions/{union_id:int}")
    async def union(self, viewer: NamedDependency[Viewer], union_id: FromPath[int]) -> object:
        union = await domain.get_union(viewer.scope, union_id)
        node = _find(await domain.tree(viewer.scope), union_id)
        return page(
            "orgs/union.html",
            union=union,
            node=node,
            path=await domain.ancestors(union["parent"]),
            can_edit=union["level"] == Union.Level.federation.value
            and domain.can_edit_standard(viewer.scope, union_id),
            town_manageable=union_id
            in {t["id"] for t in await domain.manageable_towns(viewer.scope)},
        )

    # --- federations

    @get("/federations/new")
    async def new_federation(
        self, request: Request, viewer: NamedDependency[Viewer], town: FromQuery[int] = 0
    ) -> object:
        return await FEDERATION.new(request, viewer, {"town_id": town})

    @post("/federations/new")
    async def create_federation(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        return await FEDERATION.create(request, viewer)

    @get("/federations/{federation_id:int}/edit")
    async def edit_federation(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        return await FEDERATION.edit(request, viewer, federation_id)

    @post("/federations/{federation_id:int}/edit")
    async def update_federation(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        return await FEDERATION.update(request, viewer, federation_id)

    # --- villages

    @get("/villages/{village_id:int}")
    async def village(self, viewer: NamedDependency[Viewer], village_id: FromPath[int]) -> object:
        village = await domain.get_village(viewer.scope, village_id)
        cooperatives = [
            c for c in await domain.cooperatives(viewer.scope) if c["village"] == village_id
        ]
        towns = {t["id"] for t in await domain.manageable_towns(viewer.scope)}
        return page(
            "orgs/village.html",
            village=village,
            cooperatives=cooperatives,
            path=await domain.ancestors(village["town"]),
            can_edit=village["town"] in towns,
        )

    @get("/villages/new")
    async def new_village(
        self, request: Request, viewer: NamedDependency[Viewer], town: FromQuery[int] = 0
    ) -> object:
        return await VILLAGE.new(request, viewer, {"town_id": town})

    @post("/villages/new")
    async def create_village(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        return await VILLAGE.create(request, viewer)

    @get("/villages/{village_id:int}/edit")
    async def edit_village(
        self, request: Request, viewer: NamedDependency[Viewer], village_id: FromPath[int]
    ) -> object:
        return await VILLAGE.edit(request, viewer, village_id)

    @post("/villages/{village_id:int}/edit")
    async def update_village(
        self, request: Request, viewer: NamedDependency[Viewer], village_id: FromPath[int]
    ) -> object:
        return await VILLAGE.update(request, viewer, village_id)

    # --- cooperatives

    @get("/cooperatives/{cooperative_id:int}")
    async def cooperative(
        self, viewer: NamedDependency[Viewer], cooperative_id: FromPath[int]
    ) -> object:
        cooperative = await domain.get_cooperative(viewer.scope, cooperative_id)
        federations = {f["id"] for f in await domain.manageable_federations(viewer.scope)}
        return page(
            "orgs/cooperative.html",
            cooperative=cooperative,
            path=await domain.ancestors(cooperative["federation"]),
            can_edit=cooperative["federation"] in federations,
        )

    @get("/cooperatives/new")
    async def new_cooperative(
        self, request: Request, viewer: NamedDependency[Viewer], federation: FromQuery[int] = 0
    ) -> object:
        return await COOPERATIVE.new(request, viewer, {"federation_id": federation})

    @post("/cooperatives/new")
    async def create_cooperative(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        return await COOPERATIVE.create(request, viewer)

    @get("/cooperatives/{cooperative_id:int}/edit")
    async def edit_cooperative(
        self, request: Request, viewer: NamedDependency[Viewer], cooperative_id: FromPath[int]
    ) -> object:
        return await COOPERATIVE.edit(request, viewer, cooperative_id)

    @post("/cooperatives/{cooperative_id:int}/edit")
    async def update_cooperative(
        self, request: Request, viewer: NamedDependency[Viewer], cooperative_id: FromPath[int]
    ) -> object:
        return await COOPERATIVE.update(request, viewer, cooperative_id)

    # --- the federation's establishment standard (六有)

    @get("/federations/{federation_id:int}/standards")
    async def standards(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        context = await _standards_page(viewer, federation_id)
        return page("orgs/standards.html", form=await form_or_stash(request, {}), **context)

    @post("/federations/{federation_id:int}/standards/{item_id:int}")
    async def save_standard_item(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        federation_id: FromPath[int],
        item_id: FromPath[int],
    ) -> object:
        data = await request.form()
        try:
            item_id = await domain.save_standard_item(
                viewer.scope, viewer.actor, federation_id, item_id, forms.standard_item(data)
            )
        except ValidationError as error:
            context = await _standards_page(viewer, federation_id, editing=item_id)
            return invalid("orgs/standards.html", data, error, **context)
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/federations/{federation_id}/standards#item-{item_id}")

    @post("/federations/{federation_id:int}/standards/new")
    async def add_standard_item(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        data = await request.form()
        try:
            item_id = await domain.add_standard_item(
                viewer.scope, viewer.actor, federation_id, data.get("title", "")
            )
        except ValidationError as error:
            context = await _standards_page(viewer, federation_id, editing="new")
            return invalid("orgs/standards.html", data, error, **context)
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/federations/{federation_id}/standards#item-{item_id}")

    @post("/federations/{federation_id:int}/standards/{item_id:int}/delete")
    async def remove_standard_item(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        federation_id: FromPath[int],
        item_id: FromPath[int],
    ) -> object:
        try:
            await domain.remove_standard_item(viewer.scope, viewer.actor, federation_id, item_id)
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("Removed."))
        return redirect(request, f"/orgs/federations/{federation_id}/standards")


async def _standards_page(
    viewer: Viewer, federation_id: int, editing: int | str | None = None
) -> dict:
    """The checklist page's context, for its GET and for a form sent back with errors."""
    checklist = await domain.standard_checklist(viewer.scope, federation_id)
    return {
        "checklist": checklist,
        "statuses": domain.STANDARD_STATUS_NAMES,
        "path": await domain.ancestors(checklist.federation["parent"]),
        "editing": editing,  # the item whose form came back with errors
        **LIMITS,
    }


def _find(nodes: list[dict], union_id: int) -> dict | None:
    for node in nodes:
        if node["id"] == union_id:
            return node
        if found := _find(node["children"], union_id):
            return found
    return None
