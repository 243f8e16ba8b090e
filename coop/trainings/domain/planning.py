"""Planning: training programmes (培训计划), run by the managers of their union, and their
sessions (场次): planned, changed (a larger capacity moves the waiting list up), cancelled,
and the people of a cancelled session marked as told."""

from __future__ import annotations

import secrets

from coop import db
from coop.access import MANAGERS, Viewer, now, require
from coop.audit import domain as audit
from coop.forms import merge_errors, raise_all
from coop.trainings.domain.inputs import CAPACITY_MAX, ProgrammeInput, SessionInput
from coop.trainings.domain.seats import _promote
from coop.trainings.queries import (
    Audience,
    SessionStatus,
    _lock,
    get_registration,
    owning_unions,
    programme_for_edit,
    session_for_edit,
)
from coop.trainings.tables import Programme, Registration, TrainingSession
from coop.validation import Msg, ValidationError

STALE = Msg(
    "Someone else changed this session while you were editing. Your changes are below; "
    "check them and save again."
)


# --- programmes ----------------------------------------------------------------------


async def save_programme(
    viewer: Viewer,
    data: ProgrammeInput,
    programme_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
) -> int:
    """A new or changed programme; `form_errors` (what the form already refused) are raised
    with the checks here, all at once."""
    require(viewer, MANAGERS)
    if programme_id is not None:
        await programme_for_edit(viewer, programme_id)
    errors = dict(form_errors or {})
    if data.union_id not in {row["id"] for row in await owning_unions(viewer)}:
        errors.setdefault("union_id", Msg("Choose a union from the list."))
    raise_all(errors)
    values = dict(title=data.title, description=data.description, union=data.union_id)
    async with db.transaction():
        if programme_id is None:
            [row] = await Programme.insert(Programme(**values)).returning(Programme.id).run()
            programme_id = row["id"]
            action = "create"
        else:
            await Programme.update(values).where(Programme.id == programme_id).run()
            action = "update"
        await audit.record(viewer.actor, action, "training_programme", programme_id, data.title)
    return programme_id


# --- sessions ------------------------------------------------------------------------


def _check_session(errors: dict[str, Msg], data: SessionInput) -> None:
    """The session's rules; a time the form could not read (None) is not compared."""
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        errors["ends_at"] = Msg("The end must be after the start.")
    if not data.place and not data.online_link:
        errors["place"] = Msg("Give a place, an online link, or both.")
    if data.online_link and not data.online_link.startswith(("https://", "http://")):
        errors["online_link"] = Msg("Enter a link starting with https://.")
    if not 1 <= data.capacity <= CAPACITY_MAX:
        errors["capacity"] = Msg("Enter a number of seats from 1 to {max}.", max=CAPACITY_MAX)
    if data.audience not in {a.value for a in Audience}:
        errors["audience"] = Msg("Choose from the list.")
    if data.status not in {s.value for s in SessionStatus} - {SessionStatus.cancelled.value}:
        errors["status"] = Msg("Choose from the list.")
    elif data.status == SessionStatus.held.value and data.starts_at and data.starts_at > now():
        errors["status"] = Msg("A session can be marked as held once it has started.")
    opens, closes = data.registration_opens_at, data.registration_closes_at
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = Msg("Registration must close after it opens.")
    if closes and data.ends_at and closes > data.ends_at:
        errors["registration_closes_at"] = Msg("Registration must close before the session ends.")


def _session_values(data: SessionInput) -> dict:
    return {
        TrainingSession.topic: data.topic,
        TrainingSession.trainer: data.trainer,
        TrainingSession.starts_at: data.starts_at,
        TrainingSession.ends_at: data.ends_at,
        TrainingSession.place: data.place,
        TrainingSession.online_link: data.online_link,
        TrainingSession.capacity: data.capacity,
        TrainingSession.audience: data.audience,
        TrainingSession.status: data.status,
        TrainingSession.registration_opens_at: data.registration_opens_at,
        TrainingSession.registration_closes_at: data.registration_closes_at,
    }


async def create_session(
    viewer: Viewer,
    programme_id: int,
    data: SessionInput,
    form_errors: dict[str, Msg] | None = None,
) -> int:
    """A new session; `form_errors` (what the form already refused) are raised with the
    checks here, all at once."""
    await programme_for_edit(viewer, programme_id)
    errors: dict[str, Msg] = {}
    _check_session(errors, data)
    raise_all(merge_errors(dict(form_errors or {}), errors))
    values = {c._meta.name: v for c, v in _session_values(data).items()}
    async with db.transaction():
        [row] = (
            await TrainingSession.insert(
                TrainingSession(programme=programme_id, slug=secrets.token_urlsafe(9), **values)
            )
            .returning(TrainingSession.id)
            .run()
        )
        await audit.record(viewer.actor, "create", "training_session", row["id"], data.topic)
    return row["id"]


async def update_session(
    viewer: Viewer,
    session_id: int,
    data: SessionInput,
    form_errors: dict[str, Msg] | None = None,
) -> None:
    """Save changes; a capacity above the seats taken moves the waiting list up.

    Capacity below the seats already taken is refused: nobody loses a seat they were given.
    `form_errors` (what the form already refused) are raised with the checks here.
    """
    current = await session_for_edit(viewer, session_id)
    errors: dict[str, Msg] = {}
    _check_session(errors, data)
    if current["status"] == SessionStatus.cancelled.value:
        errors["status"] = Msg("This session was cancelled; it can no longer change.")
    elif current["status"] == SessionStatus.held.value != data.status:
        errors["status"] = Msg("A session that was held stays held.")
    elif data.status == SessionStatus.draft.value != current["status"] and current["last_number"]:
        errors["status"] = Msg("People have registered: the session can no longer be a draft.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
    async with db.transaction():
        locked = await _lock(session_id)
        if locked["version"] != data.version:
            raise ValidationError({"version": STALE})
        if data.capacity < min(locked["capacity"], locked["seats_taken"]):
            raise ValidationError(
                {
                    "capacity": Msg(
                        "{n} people already hold a seat; the capacity cannot be lower. "
                        "Cancel registrations first.",
                        n=locked["seats_taken"],
                    )
                }
            )
        await (
            TrainingSession.update(
                {**_session_values(data), TrainingSession.version: data.version + 1}
            )
            .where(TrainingSession.id == session_id)
            .run()
        )
        await _promote(session_id)
        await audit.record(viewer.actor, "update", "training_session", session_id, data.topic)


async def cancel_session(viewer: Viewer, session_id: int) -> None:
    """Cancelled: registrations stay, marked as people to tell."""
    session = await session_for_edit(viewer, session_id)
    if session["status"] == SessionStatus.held.value:
        raise ValidationError({"status": Msg("A session that was held cannot be cancelled.")})
    async with db.transaction():
        await _lock(session_id)
        await (
            TrainingSession.update(
                {
                    TrainingSession.status: SessionStatus.cancelled.value,
                    TrainingSession.version: TrainingSession.version + 1,
                }
            )
            .where(TrainingSession.id == session_id)
            .run()
        )
        await audit.record(viewer.actor, "cancel", "training_session", session_id)


async def mark_notified(viewer: Viewer, registration_id: int) -> dict:
    registration = await get_registration(viewer, registration_id)
    async with db.transaction():
        await (
            Registration.update({Registration.notified_at: now()})
            .where((Registration.id == registration_id) & Registration.notified_at.is_null())
            .run()
        )
    return await get_registration(viewer, registration["id"])
