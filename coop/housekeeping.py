"""Housekeeping on a schedule: what ran out is deleted (sessions, sign-in throttles, rate
counts, form keys, roster uploads never imported). Every worker runs it hourly from start-up;
`coop maintenance` runs it once. Deleting twice is harmless, so several workers need no
coordination."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from coop.access import now
from coop.accounts import idempotency, ratelimit
from coop.accounts.store import DatabaseStore
from coop.members import imports

INTERVAL = 3600  # seconds between runs in a serving process
log = logging.getLogger("coop")


async def run_once(at: dt.datetime | None = None) -> None:
    at = at or now()
    await DatabaseStore().delete_expired()
    await ratelimit.forget_expired(at)
    await idempotency.forget_old(at)
    await imports.forget_old_uploads(at)


async def every(interval: float = INTERVAL) -> None:
    """Run forever, `interval` seconds apart (the first run after one interval: start-up runs
    it itself); a failed run is logged and tried again next time."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_once()
        except Exception:
            log.exception("housekeeping failed; trying again in %s s", interval)


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
