"""Seats of a session: giving one back, filling free seats from the waiting list, and
checking someone in (a person waiting at the door takes a seat).

Seats are counted on the session row (`seats_taken`) and only changed inside
a write transaction whose first statement locks that row (`queries._lock`), taken
late and once, after every check that needs no lock. So two registrations for
the last seat queue on the row: one gets it, the other the waiting list.
"""

from __future__ import annotations

from coop import db
from coop.access import Viewer, actor_id, now
from coop.trainings.queries import RegistrationStatus, SessionStatus, _lock
from coop.trainings.tables import Registration, TrainingSession
from coop.validation import Msg, ValidationError

TAKES_SEATS = (SessionStatus.open.value, SessionStatus.closed.value)
ALREADY_HERE = Msg("Already checked in: this registration can no longer be cancelled.")


async def _check_in_locked(session: dict, registration: dict, by: Viewer | None) -> None:
    """Check in under the session lock; someone from the waiting list at the door gets a seat."""
    seat = registration["status"] == RegistrationStatus.waitlisted.value
    await (
        Registration.update(
            {
                Registration.status: RegistrationStatus.confirmed.value,
                Registration.checked_in_at: now(),
                Registration.checked_in_by: actor_id(by),
            }
        )
        .where((Registration.id == registration["id"]) & Registration.checked_in_at.is_null())
        .run()
    )
    if seat:
        await (
            TrainingSession.update({TrainingSession.seats_taken: TrainingSession.seats_taken + 1})
            .where(TrainingSession.id == session["id"])
            .run()
        )


async def _cancel(session_id: int, registration_id: int) -> None:
    """Cancel; a seat given back goes to the first person waiting."""
    async with db.transaction():
        await _lock(session_id)
        row = (
            await Registration.select(Registration.status, Registration.checked_in_at)
            .where(Registration.id == registration_id)
            .first()
            .run()
        )
        if row["status"] == RegistrationStatus.cancelled.value:
            return
        if row["checked_in_at"]:
            raise ValidationError({"code": ALREADY_HERE})
        await (
            Registration.update(
                {
                    Registration.status: RegistrationStatus.cancelled.value,
                    Registration.cancelled_at: now(),
                }
            )
            .where(Registration.id == registration_id)
            .run()
        )
        if row["status"] == RegistrationStatus.confirmed.value:
            await (
                TrainingSession.update(
                    {TrainingSession.seats_taken: TrainingSession.seats_taken - 1}
                )
                .where(TrainingSession.id == session_id)
                .run()
            )
            await _promote(session_id)


async def _promote(session_id: int) -> None:
    """Fill free seats from the waiting list, in order. Call under the session lock."""
    session = (
        await TrainingSession.select(
            TrainingSession.capacity,
            TrainingSession.seats_taken,
            TrainingSession.status,
            TrainingSession.starts_at,
        )
        .where(TrainingSession.id == session_id)
        .first()
        .run()
    )
    free = session["capacity"] - session["seats_taken"]
    if free <= 0 or session["status"] not in TAKES_SEATS or session["starts_at"] <= now():
        return
    waiting = (
        await Registration.select(Registration.id)
        .where(
            (Registration.session == session_id)
            & (Registration.status == RegistrationStatus.waitlisted.value)
        )
        .order_by(Registration.number)
        .limit(free)
        .run()
    )
    if not waiting:
        return
    await (
        Registration.update(
            {
                Registration.status: RegistrationStatus.confirmed.value,
                Registration.promoted_at: now(),
            }
        )
        .where(Registration.id.is_in([row["id"] for row in waiting]))
        .run()
    )
    await (
        TrainingSession.update(
            {TrainingSession.seats_taken: TrainingSession.seats_taken + len(waiting)}
        )
        .where(TrainingSession.id == session_id)
        .run()
    )
