"""JSON API for higher union systems: the same input checks (members.forms) and domain
functions as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, HeaderParameter, JSONBody

from coop.access import Viewer
from coop.accounts.guards import api_token
from coop.accounts.idempotency import KeyReused
from coop.api import RowIdParameter, problem
from coop.guards import provide_viewer
from coop.i18n import gettext
from coop.members import domain, forms, queries
from coop.validation import Msg


class MemberOut(msgspec.Struct):
    id: int
    name: str
    sex: str
    birth_date: dt.date
    status: str
    id_masked: str
    phone_masked: str
    federation_id: int
    cooperative_id: int
    village_id: int
    is_backbone: bool
    first_batch: bool
    first_batch_on: dt.date | None
    applied_on: dt.date
    join_date: dt.date | None
    card_number: str | None
    worker_post: str
    welcome_pack_at: dt.datetime | None


class MemberListItem(msgspec.Struct):
    id: int
    name: str
    status: str
    id_masked: str
    phone_masked: str
    cooperative_id: int
    cooperative: str
    village_id: int
    village: str
    is_backbone: bool
    first_batch: bool
    card_number: str | None
    worker_post: str


class MemberPageOut(msgspec.Struct):
    items: list[MemberListItem]
    page: int
    has_next: bool


def _member_out(m: dict) -> MemberOut:
    return MemberOut(
        id=m["id"],
        name=m["name"],
        sex=m["sex"],
        birth_date=m["birth_date"],
        status=m["status"],
        id_masked=m["id_masked"],
        phone_masked=m["phone_masked"],
        federation_id=m["federation"],
        cooperative_id=m["cooperative"],
        village_id=m["village"],
        is_backbone=m["is_backbone"],
        first_batch=m["first_batch"],
        first_batch_on=m["first_batch_on"],
        applied_on=m["applied_on"],
        join_date=m["join_date"],
        card_number=m["card_number"],
        worker_post=m["worker_post"],
        welcome_pack_at=m["welcome_pack_at"],
    )


class MemberApiController(Controller):
    path = "/api/v1/members"
    tags = ["members"]
    guards = [api_token]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", summary="Members in the token owner's scope, newest first, 50 a page")
    async def list_members(
        self,
        viewer: NamedDependency[Viewer],
        q: FromQuery[str] = "",
        cooperative_id: FromQuery[int | None] = None,
        village_id: FromQuery[int | None] = None,
        status: FromQuery[str] = "",
        backbone: FromQuery[bool] = False,
        first_batch: FromQuery[bool] = False,
        worker_post: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> MemberPageOut:
        where = forms.filter_of(
            q=q,
            cooperative_id=cooperative_id,
            village_id=village_id,
            status=status,
            backbone=backbone,
            first_batch=first_batch,
            worker_post=worker_post,
            page=page,
        )
        found = await queries.search(viewer, where)
        items = [
            MemberListItem(
                id=m["id"],
                name=m["name"],
                status=m["status"],
                id_masked=m["id_masked"],
                phone_masked=m["phone_masked"],
                cooperative_id=m["cooperative"],
                cooperative=m["cooperative_name"],
                village_id=m["village"],
                village=m["village_name"],
                is_backbone=m["is_backbone"],
                first_batch=m["first_batch"],
                card_number=m["card_number"],
                worker_post=m["worker_post"],
            )
            for m in found.rows
        ]
        return MemberPageOut(items=items, page=found.page, has_next=found.has_next)

    @get("/{member_id:int}", summary="One member")
    async def get_member(
        self, viewer: NamedDependency[Viewer], member_id: RowIdParameter
    ) -> MemberOut:
        return _member_out(await queries.get_member(viewer, member_id))

    @post("/", summary="Enroll a person as an applicant", status_code=201)
    async def enroll(
        self,
        viewer: NamedDependency[Viewer],
        data: JSONBody[domain.EnrollmentInput],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", max_length=200)
        ] = None,
    ) -> Response[MemberOut]:
        """Same validation and scope as the enrollment form. With an Idempotency-Key,
        a retry returns the first result and creates nothing new."""
        key = f"api:{idempotency_key}" if idempotency_key else None
        try:
            member_id = await domain.enroll(viewer, forms.enrollment_of(**vars(data)), key)
        except domain.AlreadyRegistered as taken:
            if taken.in_scope:
                detail = Msg("This ID number is already registered.")
                return problem(409, detail, member_id=taken.member_id)
            detail = gettext("This ID number is already registered with %(union)s.")
            return problem(409, detail % {"union": taken.holder}, union=taken.holder)
        except KeyReused:
            detail = Msg("This Idempotency-Key was already used with different content.")
            return problem(422, detail)
        member = await queries.get_member(viewer, member_id)
        return Response(
            _member_out(member),
            status_code=201,
            headers={"Location": f"/api/v1/members/{member_id}"},
        )
