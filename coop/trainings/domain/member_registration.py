"""An organizer registers members of their scope for a session, in one go: seats first,
then the waiting list."""

from __future__ import annotations

from dataclasses import dataclass

from coop import db, privacy
from coop.access import Viewer, now
from coop.audit import domain as audit
from coop.members import domain as members
from coop.members.tables import Member
from coop.orgs import domain as orgs
from coop.trainings.domain.registration import _Person, _write_registration
from coop.trainings.domain.seats import TAKES_SEATS
from coop.trainings.queries import RegistrationStatus, get_session
from coop.validation import Msg, NotFound, ValidationError


@dataclass
class BulkRegistration:
    confirmed: int = 0
    waitlisted: int = 0
    already: int = 0
    refused: int = 0


async def register_members(
    viewer: Viewer, session_id: int, member_ids: list[int]
) -> BulkRegistration:
    """An organizer registers members of their scope; seats first, then the waiting list."""
    session = await get_session(viewer, session_id)
    if session["status"] not in TAKES_SEATS or session["starts_at"] <= now():
        raise ValidationError(
            {
                "session": Msg(
                    "Members can be registered for open or closed sessions that have not started."
                )
            }
        )
    federations = await orgs.federations_under(session["union_id"])
    result = BulkRegistration()
    for member_id in dict.fromkeys(member_ids):
        try:
            member = await members.get_member(viewer, member_id)
        except NotFound:
            result.refused += 1
            continue
        if member["status"] not in members.ACTIVE or member["federation"] not in federations:
            result.refused += 1
            continue
        secret = (
            await Member.select(
                Member.phone_hash, Member.phone_encrypted, Member.id_hash, Member.id_encrypted
            )
            .where(Member.id == member_id)
            .first()
            .run()
        )
        person = _Person(
            name=member["name"],
            phone_hash=secret["phone_hash"],
            phone_encrypted=secret["phone_encrypted"],
            phone_masked=member["phone_masked"],
            phone_tail=privacy.decrypt(secret["phone_encrypted"])[-4:],
            id_hash=secret["id_hash"],
            id_encrypted=secret["id_encrypted"],
            member_id=member_id,
            village_id=member["village"],
            cooperative_id=member["cooperative"],
        )
        done = await _write_registration(session_id, person, by=viewer)
        if done.already:
            result.already += 1
        elif done.status == RegistrationStatus.confirmed.value:
            result.confirmed += 1
        else:
            result.waitlisted += 1
    async with db.transaction():
        await audit.record(
            viewer.actor,
            "register_members",
            "training_session",
            session_id,
            f"confirmed={result.confirmed} waitlisted={result.waitlisted}",
        )
    return result
