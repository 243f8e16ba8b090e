"""A member's records as written: the member row, its search keys, its events (the
status history) and its worker posts.

A new member is written by `write_new_members` alone, whoever makes them: enrollment
(one person), the roster import (a file of them) and the demo's generator (thousands).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from coop import db
from coop.access import Viewer, actor_id
from coop.members.identity import name_keys
from coop.members.tables import (
    Member,
    MemberEvent,
    MemberSearchKey,
    MembershipChange,
    WorkerPost,
)


@dataclass
class NewMember:
    """A person to write as a new member: the member row's columns and what comes with it.

    `values` holds the columns of `enrollment.applicant_values`, in its order (a caller
    may change their values, not their set); every event is (at, action, detail), every
    post (post, started_on, ended_on).
    """

    values: dict
    keys: list[str]  # what the search box finds them by: search_key_texts
    events: list[Sequence] = field(default_factory=list)
    posts: list[Sequence] = field(default_factory=list)
    version: int = 1


async def write_change(
    viewer: Viewer | None,
    member_id: int,
    federation_id: int,
    kind: str,
    on_date: dt.date,
    **details,
) -> None:
    """Write one membership change (coop.members.domain.membership.Change) into the
    history, inside the caller's transaction (the caller writes the event and the audit)."""
    await MembershipChange.insert(
        MembershipChange(
            member=member_id,
            federation=federation_id,
            kind=kind,
            on_date=on_date,
            recorded_by=actor_id(viewer),
            **{k: v for k, v in details.items() if v is not None},
        )
    ).run()


async def _event(viewer: Viewer | None, member_id: int, action: str, detail: str = "") -> None:
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


async def write_new_members(people: Sequence[NewMember], actor: int | None) -> list[int]:
    """Write new members with their search keys, events and posts, in the open write
    transaction, one INSERT per table however many they are; their ids, in order.

    `actor`: the user recorded on the events and posts (None: the command line).
    """
    if not people:
        return []
    ids = await new_member_ids(len(people))
    created_at = dt.datetime.now(dt.UTC)
    await db.insert_many(
        Member,
        ["id", *people[0].values, "version", "created_at"],
        [
            (member_id, *person.values.values(), person.version, created_at)
            for member_id, person in zip(ids, people, strict=True)
        ],
    )
    await write_records(list(zip(ids, people, strict=True)), actor)
    await db.insert_many(
        MembershipChange,
        ["member", "federation", "kind", "on_date", "reason", "to_union_name", "recorded_by"],
        [
            change
            for member_id, person in zip(ids, people, strict=True)
            for change in _history(member_id, person.values, actor)
        ],
    )
    return ids


# A member written with a past (the demo's generator): the exits its status stands for.
_EXITS = {"transferred_out": ("transfer_out", 1), "left": ("withdraw", 5)}


def _history(member_id: int, values: dict, actor: int | None) -> list[tuple]:
    """The membership changes of a member written with a join date (and perhaps an end)."""
    changes = []
    if values.get("join_date"):
        changes.append(
            (member_id, values["federation"], "join", values["join_date"], None, "", actor)
        )
    if values.get("left_on") and values["status"] in _EXITS:
        kind, reason = _EXITS[values["status"]]
        changes.append(
            (
                member_id,
                values["federation"],
                kind,
                values["left_on"],
                reason,
                values.get("transferred_to", ""),
                actor,
            )
        )
    return changes


async def write_records(written: Sequence[tuple[int, NewMember]], actor: int | None) -> None:
    """The search keys, events and posts of members just written (or enrolled again)."""
    keys, events, posts = [], [], []
    for member_id, person in written:
        keys += [(member_id, key) for key in person.keys]
        events += [(member_id, at, actor, action, detail) for at, action, detail in person.events]
        posts += [(member_id, post, started, ended, actor) for post, started, ended in person.posts]
    await db.insert_many(MemberSearchKey, ["member", "key"], keys)
    await db.insert_many(MemberEvent, ["member", "at", "actor", "action", "detail"], events)
    await db.insert_many(
        WorkerPost, ["member", "post", "started_on", "ended_on", "recorded_by"], posts
    )
