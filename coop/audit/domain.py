"""The audit log: one table, written by every context, read by union admins."""

from __future__ import annotations

from coop.access import Actor
from coop.audit.tables import AuditEntry


async def record(
    actor: Actor, action: str, record_type: str, record_id: object = "", detail: str = ""
) -> None:
    await AuditEntry.insert(
        AuditEntry(
            actor_id=actor.id,
            actor_name=actor.name[:150],
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            detail=detail,
        )
    ).run()


async def recent(limit: int = 100, offset: int = 0) -> list[dict]:
    return (
        await AuditEntry.select()
        .order_by(AuditEntry.id, ascending=False)
        .limit(limit)
        .offset(offset)
        .run()
    )


async def every_entry(batch: int = 1000):
    """The whole log, oldest first, read a batch at a time (for the download)."""
    last = 0
    while True:
        rows = (
            await AuditEntry.select()
            .where(AuditEntry.id > last)
            .order_by(AuditEntry.id)
            .limit(batch)
            .run()
        )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last = rows[-1]["id"]
