"""Enrolling a lead: someone who registered for a training but is not a member yet; what they
gave fills in the enrollment form."""

from __future__ import annotations

from coop import db, privacy
from coop.access import ORGANIZERS, Viewer, require
from coop.audit import domain as audit
from coop.trainings.queries import get_registration
from coop.trainings.tables import Registration
from coop.validation import Msg, ValidationError


async def lead_for_enrollment(viewer: Viewer, registration_id: int) -> dict:
    """What the registrant gave, to prefill the enrollment form."""
    require(viewer, ORGANIZERS)
    registration = await get_registration(viewer, registration_id)
    if registration["member"]:
        raise ValidationError({"registration": Msg("This person is already enrolled.")})
    secret = (
        await Registration.select(
            Registration.phone_encrypted, Registration.village, Registration.cooperative
        )
        .where(Registration.id == registration_id)
        .first()
        .run()
    )
    async with db.transaction():
        await audit.record(viewer.actor, "enroll_lead", "training_registration", registration_id)
    # The ID number is not carried over: the organizer types it from the person's card.
    return {
        "name": registration["name"],
        "phone": privacy.decrypt(secret["phone_encrypted"]),
        "village_id": secret["village"] or "",
        "cooperative_id": secret["cooperative"] or "",
    }
