"""At the door: checking in by a tap or the registration code, undoing it, walk-ins (registered
and checked in at once), and an organizer cancelling a registration from the roster."""

from __future__ import annotations

from coop import db
from coop.access import Viewer
from coop.audit import domain as audit
from coop.forms import typed_code
from coop.trainings.domain.inputs import RegistrationInput
from coop.trainings.domain.registration import Registered, _check_person, _write_registration
from coop.trainings.domain.seats import _cancel, _check_in_locked
from coop.trainings.queries import (
    Audience,
    RegistrationStatus,
    SessionStatus,
    _lock,
    get_registration,
    get_session,
)
from coop.trainings.tables import Registration
from coop.validation import Msg, NotFound, ValidationError


def _require_check_in(session: dict) -> None:
    if session["status"] in (SessionStatus.draft.value, SessionStatus.cancelled.value):
        raise ValidationError({"session": Msg("Check-in is only possible for published sessions.")})


async def check_in(viewer: Viewer, registration_id: int) -> dict:
    registration = await get_registration(viewer, registration_id)
    _require_check_in(await get_session(viewer, registration["session"]))
    if registration["status"] == RegistrationStatus.cancelled.value:
        raise ValidationError({"registration": Msg("This registration was cancelled.")})
    async with db.transaction():
        session = await _lock(registration["session"])
        current = (
            await Registration.select(Registration.id, Registration.status)
            .where(Registration.id == registration_id)
            .first()
            .run()
        )
        if current["status"] == RegistrationStatus.cancelled.value:  # cancelled a moment ago
            raise ValidationError({"registration": Msg("This registration was cancelled.")})
        await _check_in_locked(session, current, viewer)
    return await get_registration(viewer, registration_id)


async def check_in_by_code(viewer: Viewer, session_id: int, code: str) -> dict:
    """At the door anyone showing their code is checked in, whoever's people they are; the
    answer names them and nothing else (their line stays out of this organizer's roster)."""
    session = await get_session(viewer, session_id)
    _require_check_in(session)
    row = (
        await Registration.select(Registration.id, Registration.name, Registration.status)
        .where((Registration.session == session_id) & (Registration.code == typed_code(code)))
        .first()
        .run()
    )
    if row is None:
        raise ValidationError({"code": Msg("No registration for this session has this code.")})
    if row["status"] == RegistrationStatus.cancelled.value:
        raise ValidationError({"registration": Msg("This registration was cancelled.")})
    async with db.transaction():
        locked = await _lock(session_id)
        current = (
            await Registration.select(Registration.id, Registration.status)
            .where(Registration.id == row["id"])
            .first()
            .run()
        )
        if current["status"] == RegistrationStatus.cancelled.value:  # cancelled a moment ago
            raise ValidationError({"registration": Msg("This registration was cancelled.")})
        await _check_in_locked(locked, current, viewer)
    return {"id": row["id"], "session": session_id, "name": row["name"]}


async def undo_check_in(viewer: Viewer, registration_id: int) -> dict:
    """Undo a check-in of one's own people, or one this organizer made itself at the door.
    The answer: the roster line when the person is the organizer's own, else their name."""
    registration = await get_registration(viewer, registration_id, door=True)
    async with db.transaction():
        await (
            Registration.update(
                {Registration.checked_in_at: None, Registration.checked_in_by: None}
            )
            .where(Registration.id == registration["id"])
            .run()
        )
    try:
        return await get_registration(viewer, registration_id)
    except NotFound:
        return {
            "id": registration_id,
            "session": registration["session"],
            "name": registration["name"],
        }


async def add_walk_in(
    viewer: Viewer,
    session_id: int,
    data: RegistrationInput,
    form_errors: dict[str, Msg] | None = None,
) -> Registered:
    """Someone at the door: registered and checked in at once, past capacity if need be
    (`form_errors`: what the form already refused, raised with the checks here)."""
    session = await get_session(viewer, session_id)
    if session["status"] in (SessionStatus.draft.value, SessionStatus.cancelled.value):
        raise ValidationError({"session": Msg("Check-in is only possible for published sessions.")})
    person = await _check_person({**session, "audience": Audience.anyone.value}, data, form_errors)
    result = await _write_registration(session_id, person, by=viewer, walk_in=True)
    async with db.transaction():
        await audit.record(viewer.actor, "walk_in", "training_registration", result.registration_id)
    return result


async def cancel_registration(viewer: Viewer, registration_id: int) -> None:
    registration = await get_registration(viewer, registration_id)
    await _cancel(registration["session"], registration_id)
    async with db.transaction():
        await audit.record(viewer.actor, "cancel", "training_registration", registration_id)
