import asyncio

from coop import db
from coop.orgs.tables import Union


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
