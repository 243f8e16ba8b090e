"""Enrollment: a person becomes an applicant, from the enrollment form, the JSON API or a
roster import; their ID and phone checked, their place and recruiter too.

ID and phone numbers are handled only here and in coop.privacy: stored encrypted,
matched by keyed hash, shown masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from coop import db, privacy
from coop.access import ORGANIZERS, Viewer, actor_id, is_unique_violation, now, require
from coop.accounts import idempotency
from coop.audit import domain as audit
from coop.forms import merge_errors, raise_all
from coop.i18n import local_today
from coop.members.domain.records import (
    NewMember,
    search_key_texts,
    write_new_members,
    write_records,
)
from coop.members.identity import ResidentId, check_mobile, check_resident_id
from coop.members.queries import ACTIVE, Status, _holder, get_member
from coop.members.tables import Member, MemberSearchKey, WorkerPost
from coop.orgs import domain as orgs
from coop.orgs.tables import Union, Village
from coop.validation import Msg, NotFound

NAME_MAX = 50
NUMBER_TYPED_MAX = 40  # an ID or mobile number as typed, spaces and dashes included


@dataclass
class EnrollmentInput:
    """A person to enroll as an applicant: the enrollment form, the JSON API's body."""

    name: str
    resident_id: str
    phone: str
    cooperative_id: int
    village_id: int
    is_backbone: bool = False
    recruited_by_id: int | None = None
    ethnicity: str = ""
    education: str = ""
    worker_post: str = ""
    political_status: str = ""
    employment_status: str = ""
    skill_level: str = ""
    migrant_worker: bool = False
    hukou_region: str = ""  # empty: the ID's area code
    residence_region: str = ""
    residence_address: str = ""
    employer: str = ""
    poverty_status: str = ""  # federation staff only; others' is ignored


# The real-name record's fields beyond identity and place, as the forms and API carry them.
RECORD_FIELDS = (
    "ethnicity",
    "education",
    "political_status",
    "employment_status",
    "skill_level",
    "migrant_worker",
    "hukou_region",
    "residence_region",
    "residence_address",
    "employer",
    "poverty_status",
)
RESIDENCE_ADDRESS_MAX = 100
EMPLOYER_MAX = 100


def record_values(data, id_number: str) -> dict:
    """The record fields to store; 户籍所在地 defaults to the ID's area code."""
    values = {name: getattr(data, name) for name in RECORD_FIELDS}
    values["hukou_region"] = values["hukou_region"] or id_number[:6]
    return values


def as_allowed(viewer: Viewer, data: EnrollmentInput) -> EnrollmentInput:
    """The input as the viewer may give it: poverty status (特定身份) only from federation
    staff."""
    return data if viewer.can_approve else replace(data, poverty_status="")


class AlreadyRegistered(Exception):
    """The ID number belongs to a person who is already an applicant or member."""

    def __init__(self, member_id: int, in_scope: bool, holder: str):
        super().__init__("already registered")
        self.member_id = member_id
        self.in_scope = in_scope
        self.holder = holder  # the union holding the membership: all an outsider may learn


def applicant_values(
    data: EnrollmentInput, checked: ResidentId, phone: str, federation_id: int
) -> dict:
    """The stored columns of a new applicant (the enrollment form and the roster import)."""
    return dict(
        name=data.name,
        sex=checked.sex,
        birth_date=checked.birth_date,
        birth_place=checked.birth_place,
        id_hash=privacy.keyed_hash("resident_id", checked.number),
        id_encrypted=privacy.encrypt(checked.number),
        id_masked=privacy.mask_id(checked.number),
        phone_hash=privacy.keyed_hash("phone", phone),
        phone_encrypted=privacy.encrypt(phone),
        phone_masked=privacy.mask_phone(phone),
        **record_values(data, checked.number),
        federation=federation_id,
        cooperative=data.cooperative_id,
        village=data.village_id,
        status=Status.applicant.value,
        is_backbone=data.is_backbone,
        first_batch=False,
        first_batch_on=None,
        recruited_by=data.recruited_by_id,
        applied_on=local_today(),
        join_date=None,
        card_number=None,
        worker_post=data.worker_post,
        welcome_pack_at=None,
        welcome_pack_by=None,
        left_on=None,
        leave_reason="",
        transferred_to="",
    )


def applicant(
    data: EnrollmentInput,
    number: str,
    phone: str,
    values: dict,
    *,
    at: dt.datetime,
    action: str = "applied",
    detail: str = "",
) -> NewMember:
    """A new applicant as written (the enrollment form's or an imported row): the row's
    `values` (applicant_values), the search keys, the event, and the post named, from today."""
    return NewMember(
        values,
        search_key_texts(data.name, number, phone),
        events=[(at, action, detail)],
        posts=[(data.worker_post, values["applied_on"], None)] if data.worker_post else [],
    )


# --- checks ----------------------------------------------------------------------


async def _check_place(
    viewer: Viewer, errors: dict[str, Msg], cooperative_id: int, village_id: int
) -> dict | None:
    """The cooperative (in scope) the member joins; the village must be one the user may see."""
    try:
        cooperative = await orgs.get_cooperative(viewer.scope, cooperative_id)
    except NotFound:
        errors["cooperative_id"] = Msg("Choose a cooperative from the list.")
        return None
    village = await Village.select(Village.town).where(Village.id == village_id).first().run()
    federation = (
        await Union.select(Union.parent).where(Union.id == cooperative["federation"]).first().run()
    )
    if village is None or village["town"] != federation["parent"]:
        errors["village_id"] = Msg("Choose a village in the cooperative's town.")
    return cooperative


async def _check_recruiter(errors: dict[str, Msg], recruiter_id: int | None, cooperative_id: int):
    if recruiter_id is None:
        return
    recruiter = (
        await Member.select(Member.cooperative, Member.is_backbone, Member.status)
        .where(Member.id == recruiter_id)
        .first()
        .run()
    )
    if (
        recruiter is None
        or not recruiter["is_backbone"]
        or recruiter["status"] not in ACTIVE
        or recruiter["cooperative"] != cooperative_id
    ):
        errors["recruited_by_id"] = Msg(
            "The recruiter must be a backbone member of the same cooperative."
        )


# --- enrolling -------------------------------------------------------------------


async def enroll(
    viewer: Viewer,
    data: EnrollmentInput,
    submission_key: str | None = None,
    form_errors: dict[str, Msg] | None = None,
) -> int:
    """Save a person as an applicant; the member ID. Retrying the same key returns the same ID.

    Raises ValidationError (field messages: `form_errors`, what the form already refused in
    `data`, with every check here added, so all show at once), AlreadyRegistered (the ID
    number is an active applicant or member), or idempotency.KeyReused.
    """
    require(viewer, ORGANIZERS)
    payload = {k: v for k, v in vars(data).items()}
    key = f"enroll:{submission_key}" if submission_key and not form_errors else None
    if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
        return done["member_id"]
    errors: dict[str, Msg] = dict(form_errors or {})
    found: dict[str, Msg] = {}
    checked = check_resident_id(data.resident_id)
    if checked.error:
        found["resident_id"] = checked.error
    phone, phone_error = check_mobile(data.phone)
    if phone_error:
        found["phone"] = phone_error
    cooperative = await _check_place(viewer, found, data.cooperative_id, data.village_id)
    await _check_recruiter(found, data.recruited_by_id, data.cooperative_id)
    raise_all(merge_errors(errors, found))
    data = as_allowed(viewer, data)
    values = applicant_values(data, checked, phone, cooperative["federation"])
    id_hash = values["id_hash"]
    try:
        async with db.transaction():
            if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
                return done["member_id"]  # the same form landed while this one waited
            existing = (
                await Member.select(Member.id, Member.status, Member.version)
                .where(Member.id_hash == id_hash)
                .first()
                .run()
            )
            if existing and existing["status"] in ACTIVE:
                raise AlreadyRegistered(existing["id"], False, "")
            action = "re_enrolled" if existing else "applied"
            person = applicant(data, checked.number, phone, values, at=now(), action=action)
            if existing:  # left or transferred out earlier: the same person joins again
                member_id = existing["id"]
                await (
                    Member.update(
                        {
                            **{getattr(Member, k): v for k, v in values.items()},
                            Member.version: existing["version"] + 1,
                        }
                    )
                    .where(Member.id == member_id)
                    .run()
                )
                await MemberSearchKey.delete().where(MemberSearchKey.member == member_id).run()
                await (
                    WorkerPost.update({WorkerPost.ended_on: local_today()})
                    .where((WorkerPost.member == member_id) & WorkerPost.ended_on.is_null())
                    .run()
                )
                await write_records([(member_id, person)], actor_id(viewer))
            else:
                [member_id] = await write_new_members([person], actor_id(viewer))
            await audit.record(viewer.actor, "create", "member", member_id, action)
            if key:
                await idempotency.store_result(
                    key, actor_id(viewer), payload, {"member_id": member_id}
                )
    except AlreadyRegistered as taken:
        # The same form may have landed meanwhile in a transaction this one could not see.
        if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
            return done["member_id"]
        raise await _already_registered(viewer, taken.member_id) from None
    except Exception as error:
        if not is_unique_violation(error):
            raise
        # Lost a race: the same form landed meanwhile, or another organizer enrolled this ID.
        if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
            return done["member_id"]
        existing = await Member.select(Member.id).where(Member.id_hash == id_hash).first().run()
        if existing:
            raise await _already_registered(viewer, existing["id"]) from None
        raise
    return member_id


async def _already_registered(viewer: Viewer, member_id: int) -> AlreadyRegistered:
    try:
        await get_member(viewer, member_id)
        in_scope = True
    except NotFound:
        in_scope = False
    return AlreadyRegistered(member_id, in_scope, await _holder(member_id))
