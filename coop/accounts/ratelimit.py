"""Requests per client address per time window, counted in the database so that
every worker and host shares one count."""

from __future__ import annotations

import datetime as dt

from coop import db
from coop.accounts.tables import RateCount
from coop.validation import RateLimited


async def hit(bucket: str, address: str, limit: int, window: int, at: dt.datetime | None = None):
    """Count one request; raise RateLimited when the address is over `limit` in this window."""
    if limit <= 0:
        return
    at = at or dt.datetime.now(dt.UTC)
    epoch = int(at.timestamp())
    start = epoch - epoch % window
    key = f"{bucket}:{address}:{start}"
    expires = dt.datetime.fromtimestamp(start + window, dt.UTC)
    async with db.transaction():
        [row] = await RateCount.raw(
            "INSERT INTO rate_count (key, count, expires_at) VALUES ({}, 1, {}) "
            "ON CONFLICT (key) DO UPDATE SET count = rate_count.count + 1 RETURNING count",
            key,
            expires,
        )
    if row["count"] > limit:
        raise RateLimited(start + window - epoch)


async def forget_expired(at: dt.datetime | None = None) -> None:
    async with db.transaction():
        await RateCount.delete().where(RateCount.expires_at < (at or dt.datetime.now(dt.UTC))).run()


async def count_attempt(key: str, window: int, at: dt.datetime | None = None) -> tuple[int, int]:
    """Count one attempt under `key` (at most 100 characters), in a window of `window` seconds
    that opens with the first attempt: the attempts so far in it, counted in one statement so
    that parallel attempts each see a different number, and the seconds until it closes."""
    at = at or dt.datetime.now(dt.UTC)
    async with db.transaction():
        [row] = await RateCount.raw(
            "INSERT INTO rate_count (key, count, expires_at) VALUES ({}, 1, {}) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN rate_count.expires_at <= {} THEN 1 ELSE rate_count.count + 1 END, "
            "expires_at = CASE WHEN rate_count.expires_at <= {} "
            "THEN excluded.expires_at ELSE rate_count.expires_at END "
            "RETURNING count, expires_at",
            key,
            at + dt.timedelta(seconds=window),
            at,
            at,
        )
    expires = row["expires_at"]
    if isinstance(expires, str):  # SQLite hands back the stored text
        expires = dt.datetime.fromisoformat(expires)
    return row["count"], max(1, int((expires - at).total_seconds()))


async def forget(key: str) -> None:
    async with db.transaction():
        await RateCount.delete().where(RateCount.key == key).run()
