"""No overbooking, ever: simultaneous registrations and cancellations against one session."""

import asyncio
import contextlib

from piccolo.engine.postgres import PostgresEngine

from coop import db
from coop.trainings import domain as trainings
from coop.trainings.tables import Registration, TrainingSession
from tests.factories import make_programme, make_session, registrant

SEATS = 50
REGISTRANTS = 200


@contextlib.asynccontextmanager
async def connection_pool():
    """PostgreSQL: a pool, as the server has; 200 connections at once would exceed its limit."""
    engine = db.engine()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(max_size=20)
    try:
        yield
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


async def _full_session(world) -> dict:
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    session_id = await make_session(who["federation"], programme, capacity=SEATS)
    return await trainings.get_session(who["federation"], session_id)


async def _rows(session_id: int) -> list[dict]:
    return (
        await Registration.select(Registration.id, Registration.number, Registration.status)
        .where(Registration.session == session_id)
        .order_by(Registration.number)
        .run()
    )


async def test_200_simultaneous_registrations_fill_50_seats_exactly(world):
    tree, _ = world
    session = await _full_session(world)
    people = [registrant(tree, f"报名{n}", phone=f"139{n:08d}") for n in range(REGISTRANTS)]
    async with connection_pool():
        results = await asyncio.gather(
            *[trainings.register(session, person) for person in people], return_exceptions=True
        )
    assert [r for r in results if isinstance(r, Exception)] == []
    rows = await _rows(session["id"])
    statuses = [row["status"] for row in rows]
    # Seats went to the first 50 in registration order, the queue holds the rest in order.
    assert statuses == ["confirmed"] * SEATS + ["waitlisted"] * (REGISTRANTS - SEATS)
    assert [row["number"] for row in rows] == list(range(1, REGISTRANTS + 1))
    [counters] = await TrainingSession.select(TrainingSession.seats_taken).where(
        TrainingSession.id == session["id"]
    )
    assert counters["seats_taken"] == SEATS


async def test_simultaneous_cancellations_each_promote_exactly_one(world):
    tree, _ = world
    session = await _full_session(world)
    people = [registrant(tree, f"报名{n}", phone=f"139{n:08d}") for n in range(SEATS + 30)]
    for person in people:
        await trainings.register(session, person)
    before = await _rows(session["id"])
    leaving = [row["id"] for row in before[:20]]
    async with connection_pool():
        await asyncio.gather(*[trainings._cancel(session["id"], i) for i in leaving])
    after = {row["number"]: row["status"] for row in await _rows(session["id"])}
    confirmed = [n for n, s in after.items() if s == "confirmed"]
    # The 20 seats given back went to the first 20 waiting, no more, no fewer.
    assert confirmed == list(range(21, SEATS + 21))
    assert [n for n, s in after.items() if s == "waitlisted"] == list(range(SEATS + 21, SEATS + 31))
