"""Reading members: the member list and its search, one member's record, the roster for
export, the home page's figures, who a roster import finds registered. Every read and all
hand-written SQL of members live here.

Every read is limited to the acting `Viewer`'s scope, so a member outside it is NotFound.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from coop import db, privacy
from coop.access import MANAGERS, ORGANIZERS, Viewer, require
from coop.members.tables import (
    EnrollmentPolicy,
    Member,
    MemberEvent,
    MemberSearchKey,
    MembershipChange,
    RosterTemplate,
    RosterUpload,
    WorkerPost,
)
from coop.orgs import domain as orgs
from coop.validation import Msg, NotFound, ValidationError

Status = Member.Status
PAGE_SIZE = 50
PAGE_MAX = 100_000  # the last page of the list one may ask for
SEARCH_MAX = 40  # what the search box takes: a name, its pinyin or a number's tail
ACTIVE = (Status.applicant.value, Status.member.value)


@dataclass
class MemberFilter:
    """The member list's search and filters (also the roster export's)."""

    q: str = ""
    cooperative_id: int | None = None
    village_id: int | None = None
    status: str = ""
    backbone: bool = False
    first_batch: bool = False
    welcome_pack_pending: bool = False
    worker_post: str = ""
    page: int = 1


@dataclass
class MemberPage:
    rows: list[dict]
    page: int
    has_next: bool


@dataclass
class MemberRecord:
    """Everything the member page shows, read after one scope check."""

    member: dict
    events: list[dict]
    recruits: list[dict]
    posts: list[dict]


# --- rules every read shares: who is in scope, who waits for a welcome pack ---------------


def member_where(scope: orgs.Scope):
    """The condition selecting the members in scope (None: all of them)."""
    if scope.everything:
        return None
    conditions = []
    if scope.federation_ids:
        conditions.append(Member.federation.is_in(list(scope.federation_ids)))
    if scope.cooperative_ids:
        conditions.append(Member.cooperative.is_in(list(scope.cooperative_ids)))
    if scope.village_ids:
        conditions.append(Member.village.is_in(list(scope.village_ids)))
    return functools.reduce(operator.or_, conditions) if conditions else Member.id == -1


def scoped(query, scope: orgs.Scope):
    where = member_where(scope)
    return query.where(where) if where is not None else query


def welcome_pack_pending():
    """Approved members who have not had their welcome pack. Its SQL rendering is the
    `welcome_pack_pending` line of `_list_sql`."""
    return (Member.status == Status.member.value) & Member.welcome_pack_at.is_null()


# --- the member list ------------------------------------------------------------
#
# Its rules are written twice, side by side, as a named pair: `_matching` renders them
# as a Piccolo query (the roster export builds on it), `_list_sql` as SQL written out
# (the list page, where building the query with Piccolo cost more CPU than running it).
# tests/members/test_list_query.py keeps the pair equal on every scope and filter.


def _searched(query, q: str):
    """Only members with a search key starting with what was typed: an index range, not a scan."""
    term = "".join(q.split()).lower()
    if not term:
        return query
    keys = MemberSearchKey.select(MemberSearchKey.member).where(
        (MemberSearchKey.key >= term) & (MemberSearchKey.key < term + "\uffff")
    )
    return query.where(Member.id.is_in(keys))


LIST_COLUMNS = (
    Member.id,
    Member.name,
    Member.id_masked,
    Member.phone_masked,
    Member.status,
    Member.is_backbone,
    Member.first_batch,
    Member.card_number,
    Member.worker_post,
    Member.cooperative,
    Member.village,
    Member.cooperative.name.as_alias("cooperative_name"),
    Member.village.name.as_alias("village_name"),
)


def _matching(query, viewer: Viewer, where: MemberFilter):
    """The members in scope matching the search and the filters."""
    query = _searched(scoped(query, viewer.scope), where.q)
    if where.cooperative_id:
        query = query.where(Member.cooperative == where.cooperative_id)
    if where.village_id:
        query = query.where(Member.village == where.village_id)
    if where.status:
        query = query.where(Member.status == where.status)
    if where.backbone:
        query = query.where(Member.is_backbone.eq(True))
    if where.first_batch:
        query = query.where(Member.first_batch.eq(True))
    if where.welcome_pack_pending:
        query = query.where(welcome_pack_pending())
    if where.worker_post == "any":
        query = query.where(Member.worker_post != "")
    elif where.worker_post:
        query = query.where(Member.worker_post == where.worker_post)
    return query


# The member list's query, written out once: building it with Piccolo on every page view
# cost more CPU than running it. Same columns as LIST_COLUMNS and the same rules as
# `_matching` (tests/members/test_list_query.py compares the two on every scope and filter).
_LIST_SELECT = """SELECT m.id, m.name, m.id_masked, m.phone_masked, m.status,
m.is_backbone, m.first_batch, m.card_number, m.worker_post,
m.cooperative, m.village, c.name AS cooperative_name, v.name AS village_name
FROM member m LEFT JOIN cooperative c ON c.id = m.cooperative
LEFT JOIN village v ON v.id = m.village"""

_SEARCHED = "m.id IN (SELECT member FROM member_search_key WHERE key >= {} AND key < {})"


def _marks(values) -> str:
    return ", ".join("{}" for _ in values)


def _list_sql(scope: orgs.Scope, where: MemberFilter) -> tuple[str, list]:
    """The member list's SQL (with `{}` marks) and its parameters."""
    conditions, args = [], []
    if not scope.everything:
        in_scope = []
        for column, ids in (
            ("federation", scope.federation_ids),
            ("cooperative", scope.cooperative_ids),
            ("village", scope.village_ids),
        ):
            if ids:
                in_scope.append(f"m.{column} IN ({_marks(ids)})")
                args += sorted(ids)
        conditions.append(f"({' OR '.join(in_scope)})" if in_scope else "m.id = -1")
    term = "".join(where.q.split()).lower()
    if term:
        conditions.append(_SEARCHED)
        args += [term, term + "\uffff"]
    for column, value in (
        ("cooperative", where.cooperative_id),
        ("village", where.village_id),
        ("status", where.status),
    ):
        if value:
            conditions.append(f"m.{column} = {{}}")
            args.append(value)
    if where.backbone:
        conditions.append("m.is_backbone = {}")
        args.append(True)
    if where.first_batch:
        conditions.append("m.first_batch = {}")
        args.append(True)
    if where.welcome_pack_pending:
        conditions.append("m.status = {} AND m.welcome_pack_at IS NULL")
        args.append(Status.member.value)
    if where.worker_post == "any":
        conditions.append("m.worker_post != ''")
    elif where.worker_post:
        conditions.append("m.worker_post = {}")
        args.append(where.worker_post)
    sql = _LIST_SELECT
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return sql + " ORDER BY m.id DESC LIMIT {} OFFSET {}", args


async def search(viewer: Viewer, where: MemberFilter) -> MemberPage:
    """One page of members in scope, newest first, matching the search and the filters."""
    require(viewer, ORGANIZERS)
    page = max(1, where.page)
    sql, args = _list_sql(viewer.scope, where)
    rows = await db.read(db.placeholders(sql), [*args, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE])
    return MemberPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


# --- one member ------------------------------------------------------------------


async def get_member(viewer: Viewer, member_id: int) -> dict:
    require(viewer, ORGANIZERS)
    query = scoped(
        Member.select(
            Member.all_columns(
                exclude=[
                    Member.id_encrypted,
                    Member.phone_encrypted,
                    Member.id_hash,
                    Member.phone_hash,
                ]
            ),
            Member.cooperative.name.as_alias("cooperative_name"),
            Member.village.name.as_alias("village_name"),
            Member.federation.name.as_alias("federation_name"),
            Member.recruited_by.name.as_alias("recruited_by_name"),
            Member.welcome_pack_by.display_name.as_alias("welcome_pack_by_name"),
        ).where(Member.id == member_id),
        viewer.scope,
    )
    member = await query.first().run()
    if member is None:
        raise NotFound
    return member


async def member_record(viewer: Viewer, member_id: int) -> MemberRecord:
    member = await get_member(viewer, member_id)
    events = (
        await MemberEvent.select(
            MemberEvent.at,
            MemberEvent.action,
            MemberEvent.detail,
            MemberEvent.actor.display_name.as_alias("actor_name"),
        )
        .where(MemberEvent.member == member_id)
        .order_by(MemberEvent.id)
        .run()
    )
    recruits = await scoped(
        Member.select(Member.id, Member.name, Member.status, Member.applied_on)
        .where(Member.recruited_by == member_id)
        .order_by(Member.id),
        viewer.scope,
    ).run()
    posts = (
        await WorkerPost.select()
        .where(WorkerPost.member == member_id)
        .order_by(WorkerPost.started_on, WorkerPost.id)
        .run()
    )
    return MemberRecord(member, events, recruits, posts)


async def membership_changes(viewer: Viewer, member_id: int) -> list[dict]:
    """A member's membership history (会籍变化), oldest first."""
    await get_member(viewer, member_id)
    return (
        await MembershipChange.select(
            MembershipChange.all_columns(),
            MembershipChange.federation.name.as_alias("union_name"),
            MembershipChange.from_union.name.as_alias("from_union_in_system"),
            MembershipChange.to_union.name.as_alias("to_union_in_system"),
            MembershipChange.recorded_by.display_name.as_alias("recorded_by_name"),
        )
        .where(MembershipChange.member == member_id)
        .order_by(MembershipChange.on_date)
        .order_by(MembershipChange.id)
        .run()
    )


async def backbone_members(
    viewer: Viewer, cooperative_id: int | None = None, q: str = ""
) -> list[dict]:
    """Backbone members who may be named as recruiters, for the enrollment form."""
    require(viewer, ORGANIZERS)
    query = scoped(
        Member.select(Member.id, Member.name, Member.phone_masked, Member.cooperative).where(
            Member.is_backbone.eq(True) & Member.status.is_in(list(ACTIVE))
        ),
        viewer.scope,
    )
    if cooperative_id:
        query = query.where(Member.cooperative == cooperative_id)
    return await _searched(query, q).order_by(Member.name).limit(200).run()


async def _holder(member_id: int) -> str:
    row = (
        await Member.select(Member.federation.name.as_alias("union_name"))
        .where(Member.id == member_id)
        .first()
        .run()
    )
    return row["union_name"]


# --- figures and lists for the home page ----------------------------------------------


async def counts(viewer: Viewer) -> dict[str, int]:
    """Headline figures for the home page, within scope."""
    require(viewer, ORGANIZERS)

    async def count(condition) -> int:
        return await scoped(Member.count().where(condition), viewer.scope).run()

    return {
        "applicants": await count(Member.status == Status.applicant.value),
        "members": await count(Member.status == Status.member.value),
        "first_batch": await count(Member.first_batch.eq(True)),
        "industrial_workers": await count(
            Member.status.is_in(list(ACTIVE)) & (Member.worker_post != "")
        ),
        "welcome_packs_pending": await count(welcome_pack_pending()),
    }


async def pending_welcome_packs(viewer: Viewer, village_id: int | None) -> list[dict]:
    """Members (approved) who have not received their welcome pack, by village."""
    require(viewer, ORGANIZERS)
    query = scoped(
        Member.select(*LIST_COLUMNS, Member.welcome_pack_at).where(welcome_pack_pending()),
        viewer.scope,
    )
    if village_id:
        query = query.where(Member.village == village_id)
    return await query.order_by(Member.village, Member.name).limit(500).run()


async def pending_welcome_pack_count(viewer: Viewer, village_id: int | None) -> int:
    """How many `pending_welcome_packs` lists, without its limit."""
    require(viewer, ORGANIZERS)
    query = scoped(Member.count().where(welcome_pack_pending()), viewer.scope)
    if village_id:
        query = query.where(Member.village == village_id)
    return await query.run()


# --- the roster, for export -------------------------------------------------------

ROSTER_BATCH = 1000

# The fields of the roster query's rows (`r` in the cells of `roster`): the columns the
# roster shows, and the id it is ordered by.
ROSTER_COLUMNS = (
    Member.id,
    Member.name,
    Member.sex,
    Member.birth_date,
    Member.ethnicity,
    Member.id_masked,
    Member.phone_masked,
    Member.village.name.as_alias("village_name"),
    Member.cooperative.name.as_alias("cooperative_name"),
    Member.is_backbone,
    Member.first_batch,
    Member.join_date,
    Member.card_number,
    Member.status,
    Member.worker_post,
    Member.welcome_pack_at,
    Member.education,
    Member.political_status,
    Member.employment_status,
    Member.skill_level,
    Member.migrant_worker,
    Member.hukou_region,
    Member.residence_region,
    Member.residence_address,
    Member.employer,
    Member.poverty_status,
)

# ... and, in a full-number roster only, the numbers in full (encrypted; see `roster`).
ROSTER_SECRETS = (Member.id_encrypted, Member.phone_encrypted)


async def check_roster(viewer: Viewer, where: MemberFilter, *, full_numbers: bool) -> None:
    """Refuse an export before it starts: role, and filters naming places out of scope."""
    require(viewer, MANAGERS if full_numbers else ORGANIZERS)
    errors: dict[str, Msg] = {}
    if where.cooperative_id and where.cooperative_id not in {
        c["id"] for c in await orgs.cooperatives(viewer.scope)
    }:
        errors["cooperative_id"] = Msg("Choose a cooperative from the list.")
    if where.village_id and where.village_id not in {
        v["id"] for v in await orgs.villages(viewer.scope)
    }:
        errors["village_id"] = Msg("Choose a village from the list.")
    if errors:
        raise ValidationError(errors)


async def roster(
    viewer: Viewer,
    where: MemberFilter,
    cells: Sequence[str],
    *,
    full_numbers: bool = False,
    reveal: Sequence[int] = (),
) -> AsyncIterator[Sequence[Sequence]]:
    """Every member in scope matching the filters, oldest first, a batch of rows at a time.

    A row holds `cells`: SQL expressions over `r`, the roster query's row, whose fields
    are named as in ROSTER_COLUMNS (`r."name"`, `r."village_name"`…), so the database
    makes each cell's text. Numbers are masked unless `full_numbers` (federation staff
    only): then `r` also holds ROSTER_SECRETS, and the cells at the positions `reveal`
    (each one of them, or '') are decrypted here.
    """
    await check_roster(viewer, where, full_numbers=full_numbers)
    columns = (*ROSTER_COLUMNS, *ROSTER_SECRETS) if full_numbers else ROSTER_COLUMNS
    query, args = db.compiled(_matching(Member.select(*columns), viewer, where))
    sql = f"SELECT {', '.join(cells)} FROM ({query}) AS r ORDER BY r.id"
    reveal = reveal if full_numbers else ()
    async for rows in db.stream(sql, args, ROSTER_BATCH):
        if reveal:
            rows = [_revealed(row, reveal) for row in rows]
        yield rows


def _revealed(row: Sequence, positions: Sequence[int]) -> list:
    row = list(row)
    for i in positions:
        row[i] = privacy.decrypt(row[i]) if row[i] else ""
    return row


# --- settings: a federation's enrollment policy, a user's roster templates ---------------


async def policy(viewer: Viewer, federation_id: int) -> dict:
    await orgs.get_union(viewer.scope, federation_id)
    row = (
        await EnrollmentPolicy.select()
        .where(EnrollmentPolicy.federation == federation_id)
        .first()
        .run()
    )
    return row or {
        "federation": federation_id,
        "card_prefix": "",
        "last_card_number": 0,
        "backbone_first": True,
        "opened_on": None,
    }


async def roster_templates(viewer: Viewer) -> list[dict]:
    rows = (
        await RosterTemplate.select(RosterTemplate.name, RosterTemplate.columns)
        .where(RosterTemplate.user == viewer.id)
        .order_by(RosterTemplate.name)
        .run()
    )
    return [{"name": r["name"], "columns": json.loads(r["columns"])} for r in rows]


# --- the roster import -------------------------------------------------------------------


async def registered(scope: orgs.Scope, id_hashes: list[str]) -> tuple[list[dict], set[int]]:
    """The people registered under these ID hashes (id, id_hash, union_name: the union
    holding the membership), and the ids of those among them in `scope`."""
    found = await Member.select(
        Member.id, Member.id_hash, Member.federation.name.as_alias("union_name")
    ).where(Member.id_hash.is_in(id_hashes))
    if not found:
        return [], set()
    visible = {
        m["id"]
        for m in await scoped(
            Member.select(Member.id).where(Member.id.is_in([m["id"] for m in found])), scope
        ).run()
    }
    return found, visible


async def roster_upload(viewer: Viewer, token: str, since: dt.datetime) -> dict | None:
    """A roster this user uploaded for import, kept since `since` (filename, content)."""
    return (
        await RosterUpload.select(RosterUpload.filename, RosterUpload.content)
        .where(
            (RosterUpload.token == token)
            & (RosterUpload.user == viewer.id)
            & (RosterUpload.created_at >= since)
        )
        .first()
        .run()
    )
