"""Pages of the union tree: browse it; create and edit federations, villages, cooperatives."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from coop.access import Viewer
from coop.guards import organizers, provide_viewer
from coop.orgs import domain, forms
from coop.orgs.tables import Union
from coop.validation import Msg, ValidationError
from coop.web import flash, flash_refusal, form_or_stash, invalid, page, redirect


async def _federation_choices(viewer: NamedDependency[Viewer]) -> dict:
    return {"towns": await domain.manageable_towns(viewer.scope)}


async def _cooperative_choices(viewer: NamedDependency[Viewer]) -> dict:
    towns = {t["id"] for t in await domain.manageable_towns(viewer.scope)}
    villages = [v for v in await domain.villages(viewer.scope) if v["town"] in towns]
    return {"federations": await domain.manageable_federations(viewer.scope), "villages": villages}


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
            and viewer.scope.can_manage
            and (viewer.scope.everything or union_id in viewer.scope.federation_ids),
            town_manageable=union_id
            in {t["id"] for t in await domain.manageable_towns(viewer.scope)},
        )

    # --- federations

    @get("/federations/new")
    async def new_federation(
        self, request: Request, viewer: NamedDependency[Viewer], town: FromQuery[int] = 0
    ) -> object:
        domain.require_create_federation(viewer.scope)
        form = await form_or_stash(request, {"town_id": town})
        return page(
            "orgs/federation_form.html",
            form=form,
            federation=None,
            **await _federation_choices(viewer),
        )

    @post("/federations/new")
    async def create_federation(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        domain.require_create_federation(viewer.scope)
        data = await request.form()
        try:
            federation_id = await domain.save_federation(
                viewer.scope, viewer.actor, forms.federation(data)
            )
        except ValidationError as error:
            return invalid(
                "orgs/federation_form.html",
                data,
                error,
                federation=None,
                **await _federation_choices(viewer),
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/unions/{federation_id}")

    @get("/federations/{federation_id:int}/edit")
    async def edit_federation(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        federation = await domain.federation_for_edit(viewer.scope, federation_id)
        initial = {
            "name": federation["name"],
            "town_id": federation["parent"],
            "founded_on": federation["founded_on"] or "",
        }
        form = await form_or_stash(request, initial)
        return page(
            "orgs/federation_form.html",
            form=form,
            federation=federation,
            **await _federation_choices(viewer),
        )

    @post("/federations/{federation_id:int}/edit")
    async def update_federation(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        federation = await domain.federation_for_edit(viewer.scope, federation_id)
        data = await request.form()
        try:
            await domain.save_federation(
                viewer.scope, viewer.actor, forms.federation(data), federation_id
            )
        except ValidationError as error:
            return invalid(
                "orgs/federation_form.html",
                data,
                error,
                federation=federation,
                **await _federation_choices(viewer),
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/unions/{federation_id}")

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
        domain.require_manage(viewer.scope)
        form = await form_or_stash(request, {"town_id": town})
        return page(
            "orgs/village_form.html", form=form, village=None, **await _federation_choices(viewer)
        )

    @post("/villages/new")
    async def create_village(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        domain.require_manage(viewer.scope)
        data = await request.form()
        try:
            village_id = await domain.save_village(viewer.scope, viewer.actor, forms.village(data))
        except ValidationError as error:
            return invalid(
                "orgs/village_form.html",
                data,
                error,
                village=None,
                **await _federation_choices(viewer),
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/villages/{village_id}")

    @get("/villages/{village_id:int}/edit")
    async def edit_village(
        self, request: Request, viewer: NamedDependency[Viewer], village_id: FromPath[int]
    ) -> object:
        village = await domain.village_for_edit(viewer.scope, village_id)
        form = await form_or_stash(request, {"name": village["name"], "town_id": village["town"]})
        return page(
            "orgs/village_form.html",
            form=form,
            village=village,
            **await _federation_choices(viewer),
        )

    @post("/villages/{village_id:int}/edit")
    async def update_village(
        self, request: Request, viewer: NamedDependency[Viewer], village_id: FromPath[int]
    ) -> object:
        village = await domain.village_for_edit(viewer.scope, village_id)
        data = await request.form()
        try:
            await domain.save_village(viewer.scope, viewer.actor, forms.village(data), village_id)
        except ValidationError as error:
            return invalid(
                "orgs/village_form.html",
                data,
                error,
                village=village,
                **await _federation_choices(viewer),
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/villages/{village_id}")

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
        domain.require_manage(viewer.scope)
        form = await form_or_stash(request, {"federation_id": federation})
        return page(
            "orgs/cooperative_form.html",
            form=form,
            cooperative=None,
            **await _cooperative_choices(viewer),
        )

    @post("/cooperatives/new")
    async def create_cooperative(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        domain.require_manage(viewer.scope)
        data = await request.form()
        try:
            cooperative_id = await domain.save_cooperative(
                viewer.scope, viewer.actor, forms.cooperative(data)
            )
        except ValidationError as error:
            return invalid(
                "orgs/cooperative_form.html",
                data,
                error,
                cooperative=None,
                **await _cooperative_choices(viewer),
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/cooperatives/{cooperative_id}")

    @get("/cooperatives/{cooperative_id:int}/edit")
    async def edit_cooperative(
        self, request: Request, viewer: NamedDependency[Viewer], cooperative_id: FromPath[int]
    ) -> object:
        cooperative = await domain.cooperative_for_edit(viewer.scope, cooperative_id)
        initial = {
            "name": cooperative["name"],
            "federation_id": cooperative["federation"],
            "village_id": cooperative["village"],
            "products": "、".join(cooperative["products"]),
        }
        form = await form_or_stash(request, initial)
        return page(
            "orgs/cooperative_form.html",
            form=form,
            cooperative=cooperative,
            **await _cooperative_choices(viewer),
        )

    @post("/cooperatives/{cooperative_id:int}/edit")
    async def update_cooperative(
        self, request: Request, viewer: NamedDependency[Viewer], cooperative_id: FromPath[int]
    ) -> object:
        cooperative = await domain.cooperative_for_edit(viewer.scope, cooperative_id)
        data = await request.form()
        try:
            await domain.save_cooperative(
                viewer.scope, viewer.actor, forms.cooperative(data), cooperative_id
            )
        except ValidationError as error:
            return invalid(
                "orgs/cooperative_form.html",
                data,
                error,
                cooperative=cooperative,
                **await _cooperative_choices(viewer),
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/orgs/cooperatives/{cooperative_id}")

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
        item = domain.StandardItemInput(
            status=data.get("status", ""),
            evidence=data.get("evidence", ""),
            dated_on=data.get("dated_on", ""),
            title=data.get("title", ""),
        )
        try:
            await domain.save_standard_item(
                viewer.scope, viewer.actor, federation_id, item_id, item
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
    checklist = await domain.standard_checklist(viewer.scope, federation_id)
    return {
        "checklist": checklist,
        "statuses": domain.STANDARD_STATUS_NAMES,
        "path": await domain.ancestors(checklist.federation["parent"]),
        "editing": editing,  # the item whose form came back with errors
    }


def _find(nodes: list[dict], union_id: int) -> dict | None:
    for node in nodes:
        if node["id"] == union_id:
            return node
        if found := _find(node["children"], union_id):
            return found
    return None
