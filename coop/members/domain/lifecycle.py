"""A member's life after enrollment: details edited, numbers revealed, the welcome pack,
and worker posts (leaving and transfers: membership.py, transfers.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from coop import db, privacy
from coop.access import MANAGERS, Viewer, actor_id, require
from coop.audit import domain as audit
from coop.forms import merge_errors, raise_all
from coop.i18n import local_day, local_today
from coop.members.domain.enrollment import (
    _check_place,
    _check_recruiter,
    record_values,
)
from coop.members.domain.records import _event, _search_keys
from coop.members.domain.transfers import receiving_places
from coop.members.identity import check_mobile
from coop.members.queries import ACTIVE, Status, get_member
from coop.members.tables import Member, MemberSearchKey, WorkerPost
from coop.validation import Msg, ValidationError

Post = Member.Post
STALE = Msg(
    "Someone else changed this member while you were editing. Your changes are below; "
    "check them against the current details and save again."
)


@dataclass
class MemberChanges:
    """What the edit form may change; identity (name, ID) stays as enrolled."""

    phone: str  # empty keeps the stored number, which the form shows masked
    village_id: int
    is_backbone: bool
    recruited_by_id: int | None
    ethnicity: str
    education: str
    version: int
    political_status: str = ""
    employment_status: str = ""
    skill_level: str = ""
    migrant_worker: bool = False
    hukou_region: str = ""
    residence_region: str = ""
    residence_address: str = ""
    employer: str = ""
    poverty_status: str = ""  # kept as stored unless federation staff change it


# --- editing and revealing -----------------------------------------------------------


async def update_member(
    viewer: Viewer,
    member_id: int,
    changes: MemberChanges,
    form_errors: dict[str, Msg] | None = None,
) -> None:
    """Change contact and profile details; refused if someone else changed the record first.
    `form_errors` (what the form already refused) are raised with every check here."""
    member = await get_member(viewer, member_id)
    errors: dict[str, Msg] = {}
    phone = ""
    if changes.phone.strip():
        phone, phone_error = check_mobile(changes.phone)
        if phone_error:
            errors["phone"] = phone_error
    if member["cooperative"] is not None:
        await _check_place(viewer, errors, member["cooperative"], changes.village_id)
    elif changes.village_id not in {
        v["id"] for v in (await receiving_places(member["federation"]))["villages"]
    }:  # no cooperative: a village of the member's union's town
        errors["village_id"] = Msg("Choose a village from the list.")
    await _check_recruiter(errors, changes.recruited_by_id, member["cooperative"])
    if changes.recruited_by_id == member_id:
        errors["recruited_by_id"] = Msg("A member cannot have recruited themselves.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
    stored = (
        await Member.select(Member.id_encrypted, Member.phone_encrypted)
        .where(Member.id == member_id)
        .first()
        .run()
    )
    id_number = privacy.decrypt(stored["id_encrypted"])
    new_phone = {}
    if phone:
        new_phone = {
            Member.phone_hash: privacy.keyed_hash("phone", phone),
            Member.phone_encrypted: privacy.encrypt(phone),
            Member.phone_masked: privacy.mask_phone(phone),
        }
    else:
        phone = privacy.decrypt(stored["phone_encrypted"])
    async with db.transaction():
        updated = (
            await Member.update(
                {
                    **new_phone,
                    Member.village: changes.village_id,
                    Member.is_backbone: changes.is_backbone,
                    Member.recruited_by: changes.recruited_by_id,
                    **{
                        getattr(Member, name): value
                        for name, value in record_values(changes, id_number).items()
                        if name != "poverty_status" or viewer.can_approve
                    },
                    Member.version: changes.version + 1,
                }
            )
            .where((Member.id == member_id) & (Member.version == changes.version))
            .returning(Member.id)
            .run()
        )
        if not updated:
            raise ValidationError({"version": STALE})
        await MemberSearchKey.delete().where(MemberSearchKey.member == member_id).run()
        await MemberSearchKey.insert(
            *_search_keys(member_id, member["name"], id_number, phone)
        ).run()
        await _event(viewer, member_id, "updated")
        await audit.record(viewer.actor, "update", "member", member_id)


async def reveal_resident_id(viewer: Viewer, member_id: int) -> str:
    """The full ID number, for roles that need it; every reveal is audited."""
    await get_member(viewer, member_id)
    require(viewer, MANAGERS)
    row = await Member.select(Member.id_encrypted).where(Member.id == member_id).first().run()
    async with db.transaction():
        await _event(viewer, member_id, "id_revealed")
        await audit.record(viewer.actor, "reveal_id", "member", member_id)
    return privacy.decrypt(row["id_encrypted"])


async def reveal_phone(viewer: Viewer, member_id: int) -> str:
    """The full mobile number, so an organizer in scope can call the member. Anyone who
    may see the member may see it (a village organizer phones their own members), and,
    as with the ID number, every reveal is audited."""
    await get_member(viewer, member_id)
    row = await Member.select(Member.phone_encrypted).where(Member.id == member_id).first().run()
    async with db.transaction():
        await _event(viewer, member_id, "phone_revealed")
        await audit.record(viewer.actor, "reveal_phone", "member", member_id)
    return privacy.decrypt(row["phone_encrypted"])


# --- welcome packs and posts ---------------------------------------------------


async def issue_welcome_pack(viewer: Viewer, member_id: int) -> dict:
    member = await get_member(viewer, member_id)
    if member["status"] != Status.member.value:
        raise ValidationError(
            {"welcome_pack": Msg("Only approved members receive a welcome pack.")}
        )
    async with db.transaction():
        changed = (
            await Member.update(
                {
                    Member.welcome_pack_at: dt.datetime.now(dt.UTC),
                    Member.welcome_pack_by: actor_id(viewer),
                    Member.version: Member.version + 1,
                }
            )
            .where((Member.id == member_id) & Member.welcome_pack_at.is_null())
            .returning(Member.id)
            .run()
        )
        if changed:  # a second tap changes nothing
            await _event(viewer, member_id, "welcome_pack")
            await audit.record(viewer.actor, "welcome_pack", "member", member_id)
    return await get_member(viewer, member_id)


async def undo_welcome_pack(viewer: Viewer, member_id: int) -> dict:
    """Undo a mistaken tap, on the day it was made."""
    member = await get_member(viewer, member_id)
    issued = member["welcome_pack_at"]
    if issued is None:
        return member
    if local_day(issued) != local_today():
        raise ValidationError(
            {"welcome_pack": Msg("A welcome pack can only be undone on the day it was issued.")}
        )
    async with db.transaction():
        await (
            Member.update(
                {
                    Member.welcome_pack_at: None,
                    Member.welcome_pack_by: None,
                    Member.version: Member.version + 1,
                }
            )
            .where(Member.id == member_id)
            .run()
        )
        await _event(viewer, member_id, "welcome_pack_undone")
        await audit.record(viewer.actor, "welcome_pack_undone", "member", member_id)
    return await get_member(viewer, member_id)


async def record_post(viewer: Viewer, member_id: int, post: str, started_on: dt.date) -> None:
    """A new post in the chain; the previous one ends the day the new one starts."""
    member = await get_member(viewer, member_id)
    errors: dict[str, Msg] = {}
    if post not in {p.value for p in Post}:
        errors["post"] = Msg("Choose a post from the list.")
    if member["status"] not in ACTIVE:
        errors["post"] = Msg("Only applicants and members hold posts.")
    if started_on > local_today():
        errors["started_on"] = Msg("The start date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await (
            WorkerPost.update({WorkerPost.ended_on: started_on})
            .where((WorkerPost.member == member_id) & WorkerPost.ended_on.is_null())
            .run()
        )
        await WorkerPost.insert(
            WorkerPost(
                member=member_id, post=post, started_on=started_on, recorded_by=actor_id(viewer)
            )
        ).run()
        await (
            Member.update({Member.worker_post: post, Member.version: Member.version + 1})
            .where(Member.id == member_id)
            .run()
        )
        await _event(viewer, member_id, "worker_post", post)
        await audit.record(viewer.actor, "worker_post", "member", member_id, post)
