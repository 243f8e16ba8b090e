"""JSON API for higher union systems: the same input checks (members.forms) and domain
functions as the pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, HeaderParameter, JSONBody

from coop.access import Viewer
from coop.accounts.guards import api_token
from coop.accounts.idempotency import KeyReused
from coop.api import RowId, RowIdParameter, problem
from coop.codes.gb_t_2261_1_2003 import CODE_OF_LETTER
from coop.guards import provide_viewer
from coop.i18n import gettext
from coop.members import domain, forms, queries
from coop.members.choices import CODED
from coop.members.domain.membership import Change, Reason
from coop.members.tables import Member, MemberTransfer
from coop.validation import Msg

# Each coded field as an enum in the OpenAPI schema: its codes, or "" for none.
Education = Literal[("",) + CODED["education"].codes]
PoliticalStatus = Literal[("",) + CODED["political_status"].codes]
EmploymentStatus = Literal[("",) + CODED["employment_status"].codes]
SkillLevel = Literal[("",) + CODED["skill_level"].codes]
PovertyStatus = Literal[("",) + CODED["poverty_status"].codes]


@dataclass
class EnrollmentBody:
    """A person to enroll; coded fields as their codes (GB/T 4658, GB/T 4762, ACFTU lists),
    regions as six-digit GB/T 2260 codes (户籍所在地 defaults to the ID's area code)."""

    name: str
    resident_id: str
    phone: str
    cooperative_id: int
    village_id: int
    is_backbone: bool = False
    recruited_by_id: int | None = None
    ethnicity: str = ""
    education: Education = ""
    worker_post: str = ""
    political_status: PoliticalStatus = ""
    employment_status: EmploymentStatus = ""
    skill_level: SkillLevel = ""
    migrant_worker: bool = False
    hukou_region: str = ""
    residence_region: str = ""
    residence_address: str = ""
    employer: str = ""
    poverty_status: PovertyStatus = ""


class MemberOut(msgspec.Struct):
    id: int
    name: str
    sex: str
    sex_code: str  # GB/T 2261.1: 1 男, 2 女
    birth_date: dt.date
    status: str
    id_masked: str
    phone_masked: str
    federation_id: int
    cooperative_id: int | None  # None: no cooperative (an industrial worker)
    village_id: int
    is_backbone: bool
    first_batch: bool
    first_batch_on: dt.date | None
    applied_on: dt.date
    join_date: dt.date | None
    card_number: str | None
    worker_post: str
    welcome_pack_at: dt.datetime | None
    education: str
    education_label: str
    political_status: str
    political_status_label: str
    employment_status: str
    employment_status_label: str
    skill_level: str
    skill_level_label: str
    migrant_worker: bool
    hukou_region: str
    residence_region: str
    residence_address: str
    employer: str
    poverty_status: str | None = None  # federation staff only (特定身份)
    poverty_status_label: str | None = None


class MemberListItem(msgspec.Struct):
    id: int
    name: str
    status: str
    id_masked: str
    phone_masked: str
    cooperative_id: int | None
    cooperative: str | None
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


Text = Annotated[str, msgspec.Meta(max_length=1000)]  # the domain says how long each may be


class ChangeIn(msgspec.Struct, forbid_unknown_fields=True):
    """One membership change (会籍变化). `transfer_out` with `to_union_id` (a union in the
    system) starts a transfer that waits for the receiving union; with `to_union_name` it
    ends the membership here (a union outside the system)."""

    kind: Change
    on_date: dt.date
    reason: Reason | None = None
    to_union_id: RowId | None = None
    to_union_name: Text = ""
    from_union_name: Text = ""
    card_note: Text = ""
    join_date: dt.date | None = None
    note: Text = ""


class ChangeOut(msgspec.Struct):
    id: int
    kind: Change
    on_date: dt.date
    reason: Reason | None
    federation_id: int  # the union whose roll changed
    from_union_id: int | None
    from_union_name: str
    to_union_id: int | None
    to_union_name: str
    card_note: str  # the card number held before
    note: str
    recorded_at: dt.datetime


class ChangesOut(msgspec.Struct):
    status: Member.Status
    changes: list[ChangeOut]
    transfer_id: int | None = None  # a transfer started and waiting


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    member_id: RowId
    to_union_id: RowId
    on_date: dt.date
    reason: Reason


class AcceptIn(msgspec.Struct, forbid_unknown_fields=True):
    """Where the receiving union places the member: cooperative_id None is "no
    cooperative" (an industrial worker); village_id None is the cooperative's village."""

    cooperative_id: RowId | None = None
    village_id: RowId | None = None


class RefuseIn(msgspec.Struct, forbid_unknown_fields=True):
    refusal: Text


class TransferOut(msgspec.Struct):
    id: int
    member_id: int
    member_name: str
    from_union_id: int
    to_union_id: int
    status: MemberTransfer.Status
    on_date: dt.date
    reason: Reason
    refusal: str


def _change_out(c: dict) -> ChangeOut:
    return ChangeOut(
        id=c["id"],
        kind=Change(c["kind"]),
        on_date=c["on_date"],
        reason=Reason(c["reason"]) if c["reason"] else None,
        federation_id=c["federation"],
        from_union_id=c["from_union"],
        from_union_name=c["from_union_in_system"] or c["from_union_name"],
        to_union_id=c["to_union"],
        to_union_name=c["to_union_in_system"] or c["to_union_name"],
        card_note=c["card_note"],
        note=c["note"],
        recorded_at=c["recorded_at"],
    )


def _transfer_out(t: dict) -> TransferOut:
    return TransferOut(
        id=t["id"],
        member_id=t["member"],
        member_name=t["member_name"],
        from_union_id=t["from_union"],
        to_union_id=t["to_union"],
        status=MemberTransfer.Status(t["status"]),
        on_date=t["on_date"],
        reason=Reason(t["reason"]),
        refusal=t["refusal"],
    )


async def _changes_out(viewer: Viewer, member_id: int, transfer_id=None) -> ChangesOut:
    member = await queries.get_member(viewer, member_id)
    changes = await queries.membership_changes(viewer, member_id)
    return ChangesOut(
        status=Member.Status(member["status"]),
        changes=[_change_out(c) for c in changes],
        transfer_id=transfer_id,
    )


def _coded_out(m: dict, name: str) -> dict:
    """A coded field as its code and, alongside, the standard's name for it."""
    return {name: m[name], f"{name}_label": CODED[name].names.get(m[name], "")}


def _member_out(m: dict, viewer: Viewer) -> MemberOut:
    poverty = _coded_out(m, "poverty_status") if viewer.can_approve else {}
    return MemberOut(
        id=m["id"],
        name=m["name"],
        sex=m["sex"],
        sex_code=CODE_OF_LETTER.get(m["sex"], ""),
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
        **_coded_out(m, "education"),
        **_coded_out(m, "political_status"),
        **_coded_out(m, "employment_status"),
        **_coded_out(m, "skill_level"),
        migrant_worker=m["migrant_worker"],
        hukou_region=m["hukou_region"],
        residence_region=m["residence_region"],
        residence_address=m["residence_address"],
        employer=m["employer"],
        **poverty,
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
        return _member_out(await queries.get_member(viewer, member_id), viewer)

    @post("/", summary="Enroll a person as an applicant", status_code=201)
    async def enroll(
        self,
        viewer: NamedDependency[Viewer],
        data: JSONBody[EnrollmentBody],
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
            _member_out(member, viewer),
            status_code=201,
            headers={"Location": f"/api/v1/members/{member_id}"},
        )

    @get("/{member_id:int}/changes", summary="A member's membership changes, oldest first")
    async def list_changes(
        self, viewer: NamedDependency[Viewer], member_id: RowIdParameter
    ) -> ChangesOut:
        return await _changes_out(viewer, member_id)

    @post("/{member_id:int}/changes", summary="Record a membership change", status_code=201)
    async def record_change(
        self, viewer: NamedDependency[Viewer], member_id: RowIdParameter, data: JSONBody[ChangeIn]
    ) -> ChangesOut:
        """Allowed only from the statuses the union's rules allow it from (422 otherwise,
        naming the member's status). A transfer to a union in the system answers with the
        transfer's id: it waits for that union to accept it (POST /api/v1/transfers/{id}/accept)."""
        change = forms.change_of(
            kind=data.kind.value,
            on_date=data.on_date,
            reason=data.reason.value if data.reason is not None else None,
            to_union_id=data.to_union_id,
            to_union_name=data.to_union_name,
            from_union_name=data.from_union_name,
            card_note=data.card_note,
            join_date=data.join_date,
            note=data.note,
        )
        transfer_id = None
        if change.kind == Change.transfer_out and change.to_union_id:
            transfer_id = await domain.start_transfer(
                viewer, member_id, change.to_union_id, change.on_date, change.reason
            )
        else:
            await domain.record_change(viewer, member_id, change)
        return await _changes_out(viewer, member_id, transfer_id)


class TransferApiController(Controller):
    path = "/api/v1/transfers"
    tags = ["members"]
    guards = [api_token]
    dependencies = {"viewer": Provide(provide_viewer)}

    @post("/", summary="Start a transfer to another union in the system", status_code=201)
    async def start(
        self, viewer: NamedDependency[Viewer], data: JSONBody[TransferIn]
    ) -> TransferOut:
        """To another federation, or to a township union when the new employer has no union.
        The member stays on the sender's roll until the receiving union accepts."""
        transfer_id = await domain.start_transfer(
            viewer, data.member_id, data.to_union_id, data.on_date, data.reason.value
        )
        return _transfer_out(await domain.get_transfer(viewer, transfer_id))

    @get("/{transfer_id:int}", summary="One transfer, for the sending or the receiving union")
    async def get_transfer(
        self, viewer: NamedDependency[Viewer], transfer_id: RowIdParameter
    ) -> TransferOut:
        return _transfer_out(await domain.get_transfer(viewer, transfer_id))

    @post("/{transfer_id:int}/accept", summary="Accept a waiting transfer", status_code=200)
    async def accept(
        self, viewer: NamedDependency[Viewer], transfer_id: RowIdParameter, data: JSONBody[AcceptIn]
    ) -> TransferOut:
        """Once: a second accept, or an accept after a cancel, is refused (422)."""
        await domain.accept_transfer(viewer, transfer_id, data.cooperative_id, data.village_id)
        return _transfer_out(await domain.get_transfer(viewer, transfer_id))

    @post(
        "/{transfer_id:int}/refuse",
        summary="Refuse a waiting transfer, saying why",
        status_code=200,
    )
    async def refuse(
        self, viewer: NamedDependency[Viewer], transfer_id: RowIdParameter, data: JSONBody[RefuseIn]
    ) -> TransferOut:
        await domain.refuse_transfer(viewer, transfer_id, data.refusal)
        return _transfer_out(await domain.get_transfer(viewer, transfer_id))
