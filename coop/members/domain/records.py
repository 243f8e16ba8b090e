"""A member's records as written: the member row, its search keys, its events (the
status history) and its worker posts.
"""

from __future__ import annotations

from coop import db
from coop.access import Viewer, actor_id
from coop.members.identity import name_keys
from coop.members.tables import Member, MemberEvent, MemberSearchKey


async def _event(viewer: Viewer, member_id: int, action: str, detail: str = "") -> None:
    await MemberEvent.insert(
        MemberEvent(member=member_id, actor=actor_id(viewer), action=action, detail=detail)
    ).run()


def search_key_texts(name: str, id_number: str, phone: str) -> list[str]:
    """What the search box finds a person by: name readings, phone and ID tails."""
    keys = name_keys(name) | {phone[-4:], id_number[-4:].lower()}
    return [key[:60] for key in sorted(keys)]


def _search_keys(member_id: int, name: str, id_number: str, phone: str) -> list[MemberSearchKey]:
    return [
        MemberSearchKey(member=member_id, key=key)
        for key in search_key_texts(name, id_number, phone)
    ]


async def new_member_ids(count: int) -> list[int]:
    """IDs for `count` new members written in bulk; call inside the write transaction."""
    if db.is_sqlite():  # the IMMEDIATE transaction holds the write lock
        [row] = await Member.raw('SELECT coalesce(max("id"), 0) AS top FROM "member"').run()
        return list(range(row["top"] + 1, row["top"] + 1 + count))
    rows = await Member.raw(
        "SELECT nextval(pg_get_serial_sequence('member', 'id')) AS id FROM generate_series(1, {})",
        count,
    ).run()
    return [row["id"] for row in rows]
