import asyncio
import sqlite3

import pytest

from coop import db
from coop.accounts.domain import Role
from coop.accounts.tables import User
from coop.orgs.tables import Union
from tests.factories import make_tree, make_user


async def test_pooled_sqlite_engine_serves_concurrent_reads_and_closes(settings):
    if settings.engine_name != "sqlite":
        return
    engine = db.engine()
    assert isinstance(engine, db.PooledSQLiteEngine)
    results = await asyncio.gather(*[Union.count().run() for _ in range(40)])
    assert results == [0] * 40
    engine.close()
    assert await Union.count().run() == 0  # reopens on the next query


async def test_writes_outside_a_transaction_are_committed_at_once(settings):
    await Union.insert(Union(name="巴南区总工会", level="district")).run()
    rows = await Union.select(Union.name).run()
    assert rows == [{"name": "巴南区总工会"}]


async def test_short_reads_run_read_only_and_see_the_transaction_they_are_in(settings):
    await Union.insert(Union(name="巴南区总工会", level="district")).run()
    assert await db.read('SELECT name FROM "trade_union"', []) == [{"name": "巴南区总工会"}]
    async with db.transaction():
        await Union.insert(Union(name="麻柳嘴镇总工会", level="town")).run()
        inside = await db.read('SELECT count(*) AS n FROM "trade_union"', [])
    assert inside == [{"n": 2}]
    if settings.engine_name == "sqlite":
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await db.read("DELETE FROM trade_union", [])
    assert await Union.count().run() == 2


async def test_raw_reads_give_the_values_piccolo_gives():
    tree = await make_tree()
    user_id = await make_user(
        "organizer-li", Role.village_organizer, cooperative_ids=[tree.cooperative]
    )
    sql = 'SELECT id, is_active, created_at FROM "app_user" WHERE id = {}'
    want = await User.select(User.id, User.is_active, User.created_at).where(User.id == user_id)
    for read in (db.fetch, db.read):
        got = await read(db.placeholders(sql), [user_id])
        assert [(r, {k: type(v) for k, v in r.items()}) for r in got] == [
            (r, {k: type(v) for k, v in r.items()}) for r in want
        ]


async def test_a_read_that_runs_long_moves_off_the_event_loop(settings):
    if settings.engine_name != "sqlite":
        return
    engine = db.engine()
    engine.close()  # no pool threads yet
    assert (await db.read("SELECT 1 AS n", []), engine._executor) == ([{"n": 1}], None)
    many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
    count = many + "SELECT count(*) AS n FROM n"
    engine.READ_HERE_SECONDS = 0.0  # every read of more than a few steps is too long now
    try:
        assert await db.read(count, []) == [{"n": 20000}]
    finally:
        del engine.READ_HERE_SECONDS
    assert engine._executor is not None  # it ran on a pool thread


def test_sqlite_converters_give_the_values_piccolo_gives():
    from piccolo.engine.sqlite import convert_boolean_out, convert_int_out

    integers = [b"0", b"-5", b"42", b"9007199254740993", b"1.0", b"1.5"]
    booleans = [b"0", b"1"]
    assert [db._integer_out(v) for v in integers] == [convert_int_out(v) for v in integers]
    assert [db._boolean_out(v) for v in booleans] == [convert_boolean_out(v) for v in booleans]


async def test_the_same_form_sent_twice_at_once_creates_one_record():
    from coop.accounts import idempotency

    async def create() -> int:
        await asyncio.sleep(0.05)  # the second send arrives while the first is writing
        rows = await Union.insert(Union(name="巴南区总工会", level="district")).returning(Union.id)
        return rows[0]["id"]

    form = {"name": "巴南区总工会", "_csrf_token": "a"}
    sends = [idempotency.created_once("key-1", None, form, create) for _ in range(2)]
    first, second = await asyncio.gather(*sends)
    assert (first == second, await Union.count()) == (True, 1)
