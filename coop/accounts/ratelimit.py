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
