"""Housekeeping: what ran out is deleted, what is still live stays."""

from __future__ import annotations

import datetime as dt

from coop import housekeeping
from coop.accounts.tables import IdempotencyRecord, RateCount, StoredValue
from coop.members.tables import RosterUpload
from tests.factories import make_role_users, make_tree

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


async def test_housekeeping_deletes_expired_sessions_rate_counts_and_old_form_keys():
    hour = dt.timedelta(hours=1)
    await StoredValue.insert(
        StoredValue(key="session:gone", value=b"{}", expires_at=NOW - hour),
        StoredValue(key="session:live", value=b"{}", expires_at=dt.datetime.now(dt.UTC) + hour),
    ).run()
    await RateCount.insert(
        RateCount(key="public:a:1", count=3, expires_at=NOW - hour),
        RateCount(key="public:a:2", count=3, expires_at=NOW + hour),
    ).run()
    await IdempotencyRecord.insert(
        IdempotencyRecord(key="old", payload_hash="x", created_at=NOW - 49 * hour),
        IdempotencyRecord(key="new", payload_hash="x", created_at=NOW - hour),
    ).run()
    await housekeeping.run_once(NOW)
    left = (
        [r["key"] for r in await StoredValue.select(StoredValue.key).run()],
        [r["key"] for r in await RateCount.select(RateCount.key).run()],
        [r["key"] for r in await IdempotencyRecord.select(IdempotencyRecord.key).run()],
    )
    assert left == (["session:live"], ["public:a:2"], ["new"])


async def test_housekeeping_deletes_roster_uploads_a_day_old_and_keeps_newer_ones():
    users = await make_role_users(await make_tree())
    await RosterUpload.insert(
        RosterUpload(token="old", user=users["federation"], filename="a.xlsx", content="x"),
        RosterUpload(token="new", user=users["federation"], filename="b.xlsx", content="x"),
    ).run()
    await (
        RosterUpload.update({RosterUpload.created_at: NOW - dt.timedelta(hours=25)})
        .where(RosterUpload.token == "old")
        .run()
    )
    await (
        RosterUpload.update({RosterUpload.created_at: NOW - dt.timedelta(hours=23)})
        .where(RosterUpload.token == "new")
        .run()
    )
    await housekeeping.run_once(NOW)
    assert [r["token"] for r in await RosterUpload.select(RosterUpload.token).run()] == ["new"]
