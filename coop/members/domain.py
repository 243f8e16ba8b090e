"""Enrollment: applicants, approval with card numbers, welcome packs, worker posts, leaving.

Every function takes the acting `Viewer`; reads are limited to its scope, so a
member outside it is NotFound. ID and phone numbers are handled only here and
in coop.privacy: stored encrypted, matched by keyed hash, shown masked.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import operator
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from coop import db, privacy
from coop.access import MANAGERS, ORGANIZERS, Viewer, actor_id, is_unique_violation, require
from coop.accounts import idempotency
from coop.audit import domain as audit
from coop.i18n import local_day, local_today
from coop.members.identity import ResidentId, check_mobile, check_resident_id, name_keys
from coop.members.tables import (
    EnrollmentPolicy,
    Member,
    MemberEvent,
    MemberSearchKey,
    RosterTemplate,
    WorkerPost,
)
from coop.orgs import domain as orgs
from coop.orgs.tables import Union, Village
from coop.validation import Msg, NotFound, ValidationError

Status = Member.Status
Post = Member.Post
PAGE_SIZE = 50
NAME_MAX = 50
ACTIVE = (Status.applicant.value, Status.member.value)
CARD_PREFIX_MAX = 10
STALE = Msg(
    "Someone else changed this member while you were editing. Your changes are below; "
    "check them against the current details and save again."
)


@dataclass
class EnrollmentInput:
    name: str
    resident_id: str
    phone: str
    cooperative_id: int
    village_id: int
    is_backbone: bool = False
    recruited_by_id: int | None = None
    ethnicity: str = ""
    education: str = ""
    household_type: str = ""
    worker_post: str = ""


@dataclass
class MemberChanges:
    """What the edit form may change; identity (name, ID) stays as enrolled."""

    phone: str
    village_id: int
    is_backbone: bool
    recruited_by_id: int | None
    ethnicity: str
    education: str
    household_type: str
    version: int


@dataclass
class MemberFilter:
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
class Approval:
    approved: list[int] = field(default_factory=list)
    refused: dict[int, Msg] = field(default_factory=dict)


class AlreadyRegistered(Exception):
    """The ID number belongs to a person who is already an applicant or member."""

    def __init__(self, member_id: int, in_scope: bool, holder: str):
        super().__init__("already registered")
        self.member_id = member_id
        self.in_scope = in_scope
        self.holder = holder  # the union holding the membership: all an outsider may learn


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


# --- reading --------------------------------------------------------------------


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
        query = query.where(
            (Member.status == Status.member.value) & Member.welcome_pack_at.is_null()
        )
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
        "welcome_packs_pending": await count(
            (Member.status == Status.member.value) & Member.welcome_pack_at.is_null()
        ),
    }


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


@dataclass
class MemberRecord:
    """Everything the member page shows, read after one scope check."""

    member: dict
    events: list[dict]
    recruits: list[dict]
    posts: list[dict]


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


async def reveal_resident_id(viewer: Viewer, member_id: int) -> str:
    """The full ID number, for roles that need it; every reveal is audited."""
    await get_member(viewer, member_id)
    require(viewer, MANAGERS)
    row = await Member.select(Member.id_encrypted).where(Member.id == member_id).first().run()
    async with db.transaction():
        await _event(viewer, member_id, "id_revealed")
        await audit.record(viewer.actor, "reveal_id", "member", member_id)
    return privacy.decrypt(row["id_encrypted"])


async def reveal_phone(viewer: Viewer, member_id: int) -> str:
    """The full mobile number, so an organizer in scope can call the member."""
    await get_member(viewer, member_id)
    row = await Member.select(Member.phone_encrypted).where(Member.id == member_id).first().run()
    return privacy.decrypt(row["phone_encrypted"])


# --- enrolling ---------------------------------------------------------------------


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


def applicant_values(
    data: EnrollmentInput, checked: ResidentId, phone: str, federation_id: int
) -> dict:
    """The stored columns of a new applicant (the enrollment form and the roster import)."""
    return dict(
        name=data.name,
        sex=checked.sex,
        birth_date=checked.birth_date,
        birth_place=checked.birth_place,
        id_hash=privacy.keyed_hash("resident_id", checked.number),
        id_encrypted=privacy.encrypt(checked.number),
        id_masked=privacy.mask_id(checked.number),
        phone_hash=privacy.keyed_hash("phone", phone),
        phone_encrypted=privacy.encrypt(phone),
        phone_masked=privacy.mask_phone(phone),
        ethnicity=data.ethnicity,
        education=data.education,
        household_type=data.household_type,
        federation=federation_id,
        cooperative=data.cooperative_id,
        village=data.village_id,
        status=Status.applicant.value,
        is_backbone=data.is_backbone,
        first_batch=False,
        first_batch_on=None,
        recruited_by=data.recruited_by_id,
        applied_on=local_today(),
        join_date=None,
        card_number=None,
        worker_post=data.worker_post,
        welcome_pack_at=None,
        welcome_pack_by=None,
        left_on=None,
        leave_reason="",
        transferred_to="",
    )


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


async def _check_place(
    viewer: Viewer, errors: dict[str, Msg], cooperative_id: int, village_id: int
) -> dict | None:
    """The cooperative (in scope) the member joins; the village must be one the user may see."""
    try:
        cooperative = await orgs.get_cooperative(viewer.scope, cooperative_id)
    except NotFound:
        errors["cooperative_id"] = Msg("Choose a cooperative from the list.")
        return None
    village = await Village.select(Village.town).where(Village.id == village_id).first().run()
    federation = (
        await Union.select(Union.parent).where(Union.id == cooperative["federation"]).first().run()
    )
    if village is None or village["town"] != federation["parent"]:
        errors["village_id"] = Msg("Choose a village in the cooperative's town.")
    return cooperative


async def _check_recruiter(errors: dict[str, Msg], recruiter_id: int | None, cooperative_id: int):
    if recruiter_id is None:
        return
    recruiter = (
        await Member.select(Member.cooperative, Member.is_backbone, Member.status)
        .where(Member.id == recruiter_id)
        .first()
        .run()
    )
    if (
        recruiter is None
        or not recruiter["is_backbone"]
        or recruiter["status"] not in ACTIVE
        or recruiter["cooperative"] != cooperative_id
    ):
        errors["recruited_by_id"] = Msg(
            "The recruiter must be a backbone member of the same cooperative."
        )


async def _holder(member_id: int) -> str:
    row = (
        await Member.select(Member.federation.name.as_alias("union_name"))
        .where(Member.id == member_id)
        .first()
        .run()
    )
    return row["union_name"]


async def enroll(viewer: Viewer, data: EnrollmentInput, submission_key: str | None = None) -> int:
    """Save a person as an applicant; the member ID. Retrying the same key returns the same ID.

    Raises ValidationError (field messages), AlreadyRegistered (the ID number is
    an active applicant or member), or idempotency.KeyReused.
    """
    require(viewer, ORGANIZERS)
    payload = {k: v for k, v in vars(data).items()}
    key = f"enroll:{submission_key}" if submission_key else None
    if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
        return done["member_id"]
    errors: dict[str, Msg] = {}
    checked = check_resident_id(data.resident_id)
    if checked.error:
        errors["resident_id"] = checked.error
    phone, phone_error = check_mobile(data.phone)
    if phone_error:
        errors["phone"] = phone_error
    cooperative = await _check_place(viewer, errors, data.cooperative_id, data.village_id)
    await _check_recruiter(errors, data.recruited_by_id, data.cooperative_id)
    if errors:
        raise ValidationError(errors)
    values = applicant_values(data, checked, phone, cooperative["federation"])
    id_hash = values["id_hash"]
    try:
        async with db.transaction():
            if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
                return done["member_id"]  # the same form landed while this one waited
            existing = (
                await Member.select(Member.id, Member.status, Member.version)
                .where(Member.id_hash == id_hash)
                .first()
                .run()
            )
            if existing and existing["status"] in ACTIVE:
                raise AlreadyRegistered(existing["id"], False, "")
            if existing:  # left or transferred out earlier: the same person joins again
                member_id = existing["id"]
                await (
                    Member.update(
                        {
                            **{getattr(Member, k): v for k, v in values.items()},
                            Member.version: existing["version"] + 1,
                        }
                    )
                    .where(Member.id == member_id)
                    .run()
                )
                await MemberSearchKey.delete().where(MemberSearchKey.member == member_id).run()
                await (
                    WorkerPost.update({WorkerPost.ended_on: local_today()})
                    .where((WorkerPost.member == member_id) & WorkerPost.ended_on.is_null())
                    .run()
                )
                action = "re_enrolled"
            else:
                row = Member(**values)
                await Member.insert(row).run()
                member_id, action = row.id, "applied"
            await MemberSearchKey.insert(
                *_search_keys(member_id, data.name, checked.number, phone)
            ).run()
            if data.worker_post:
                await WorkerPost.insert(
                    WorkerPost(
                        member=member_id,
                        post=data.worker_post,
                        started_on=local_today(),
                        recorded_by=actor_id(viewer),
                    )
                ).run()
            await _event(viewer, member_id, action)
            await audit.record(viewer.actor, "create", "member", member_id, action)
            if key:
                await idempotency.store_result(
                    key, actor_id(viewer), payload, {"member_id": member_id}
                )
    except AlreadyRegistered as taken:
        # The same form may have landed meanwhile in a transaction this one could not see.
        if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
            return done["member_id"]
        raise await _already_registered(viewer, taken.member_id) from None
    except Exception as error:
        if not is_unique_violation(error):
            raise
        # Lost a race: the same form landed meanwhile, or another organizer enrolled this ID.
        if key and (done := await idempotency.stored_result(key, actor_id(viewer), payload)):
            return done["member_id"]
        existing = await Member.select(Member.id).where(Member.id_hash == id_hash).first().run()
        if existing:
            raise await _already_registered(viewer, existing["id"]) from None
        raise
    return member_id


async def _already_registered(viewer: Viewer, member_id: int) -> AlreadyRegistered:
    try:
        await get_member(viewer, member_id)
        in_scope = True
    except NotFound:
        in_scope = False
    return AlreadyRegistered(member_id, in_scope, await _holder(member_id))


async def update_member(viewer: Viewer, member_id: int, changes: MemberChanges) -> None:
    """Change contact and profile details; refused if someone else changed the record first."""
    member = await get_member(viewer, member_id)
    errors: dict[str, Msg] = {}
    phone, phone_error = check_mobile(changes.phone)
    if phone_error:
        errors["phone"] = phone_error
    await _check_place(viewer, errors, member["cooperative"], changes.village_id)
    await _check_recruiter(errors, changes.recruited_by_id, member["cooperative"])
    if changes.recruited_by_id == member_id:
        errors["recruited_by_id"] = Msg("A member cannot have recruited themselves.")
    if errors:
        raise ValidationError(errors)
    id_number = privacy.decrypt(
        (await Member.select(Member.id_encrypted).where(Member.id == member_id).first().run())[
            "id_encrypted"
        ]
    )
    async with db.transaction():
        updated = (
            await Member.update(
                {
                    Member.phone_hash: privacy.keyed_hash("phone", phone),
                    Member.phone_encrypted: privacy.encrypt(phone),
                    Member.phone_masked: privacy.mask_phone(phone),
                    Member.village: changes.village_id,
                    Member.is_backbone: changes.is_backbone,
                    Member.recruited_by: changes.recruited_by_id,
                    Member.ethnicity: changes.ethnicity,
                    Member.education: changes.education,
                    Member.household_type: changes.household_type,
                    Member.version: changes.version + 1,
                }
            )
            .where((Member.id == member_id) & (Member.version == changes.version))
            .returning(Member.id)
            .run()
        )
        if not updated:
            raise ValidationError({"version": STALE})
        await MemberSearchKey.delete().where(MemberSearchKey.member == member_id).run()
        await MemberSearchKey.insert(
            *_search_keys(member_id, member["name"], id_number, phone)
        ).run()
        await _event(viewer, member_id, "updated")
        await audit.record(viewer.actor, "update", "member", member_id)


# --- approving -----------------------------------------------------------------------


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


def card_prefix(rules: dict) -> str:
    """The chosen prefix; without one, the federation's number, so cards stay unique."""
    return rules["card_prefix"] or f"F{rules['federation']}-"


async def _ensure_policy(federation_id: int) -> None:
    await (
        EnrollmentPolicy.insert(EnrollmentPolicy(federation=federation_id))
        .on_conflict(target=EnrollmentPolicy.federation, action="DO NOTHING")
        .run()
    )


async def set_policy(
    viewer: Viewer, federation_id: int, card_prefix: str, backbone_first: bool
) -> None:
    """Card-number prefix and enrollment phase; the prefix is fixed once a card is issued."""
    require(viewer, MANAGERS)
    await orgs.federation_for_edit(viewer.scope, federation_id)
    current = await policy(viewer, federation_id)
    errors: dict[str, Msg] = {}
    prefix = card_prefix.strip().upper()
    if len(prefix) > CARD_PREFIX_MAX or not all(c.isascii() and c.isalnum() for c in prefix):
        errors["card_prefix"] = Msg("Up to {max} letters and digits.", max=CARD_PREFIX_MAX)
    elif prefix != current["card_prefix"] and current["last_card_number"] > 0:
        errors["card_prefix"] = Msg(
            "Member cards with prefix “{prefix}” have been issued; "
            "the prefix can no longer change.",
            prefix=current["card_prefix"],
        )
    elif prefix and await EnrollmentPolicy.exists().where(
        (EnrollmentPolicy.card_prefix == prefix) & (EnrollmentPolicy.federation != federation_id)
    ):
        errors["card_prefix"] = Msg("Another federation uses this prefix; choose another.")
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await _ensure_policy(federation_id)
        opened_on = current["opened_on"]
        if not backbone_first and current["backbone_first"]:
            opened_on = local_today()
        await (
            EnrollmentPolicy.update(
                {
                    EnrollmentPolicy.card_prefix: prefix,
                    EnrollmentPolicy.backbone_first: backbone_first,
                    EnrollmentPolicy.opened_on: opened_on,
                }
            )
            .where(EnrollmentPolicy.federation == federation_id)
            .run()
        )
        await audit.record(
            viewer.actor,
            "update",
            "enrollment_policy",
            federation_id,
            f"card_prefix={prefix} backbone_first={backbone_first}",
        )


async def approve(viewer: Viewer, member_ids: list[int]) -> Approval:
    """Approve applicants: join date today, the federation's next card number.

    Each member is approved or refused on its own, with the reason; one refusal
    does not stop the others.
    """
    require(viewer, MANAGERS)
    result = Approval()
    today = local_today()
    for member_id in dict.fromkeys(member_ids):
        try:
            member = await get_member(viewer, member_id)
        except NotFound:
            result.refused[member_id] = Msg("Not found.")
            continue
        if member["status"] != Status.applicant.value:
            result.refused[member_id] = Msg("Only applicants can be approved.")
            continue
        try:
            await _approve_one(viewer, member, today)
        except _Refused as refused:
            result.refused[member_id] = refused.message
            continue
        result.approved.append(member_id)
    return result


class _Refused(Exception):
    def __init__(self, message: Msg):
        super().__init__(message.text)
        self.message = message


async def _approve_one(viewer: Viewer, member: dict, today: dt.date) -> str:
    member_id = member["id"]
    async with db.transaction():
        await _ensure_policy(member["federation"])
        rules = (
            await EnrollmentPolicy.select()
            .where(EnrollmentPolicy.federation == member["federation"])
            .first()
            .run()
        )
        if rules["backbone_first"] and not member["is_backbone"]:
            raise _Refused(
                Msg(
                    "The federation is enrolling backbone members first; open enrollment to "
                    "everyone before approving other applicants."
                )
            )
        [numbered] = (
            await EnrollmentPolicy.update(
                {EnrollmentPolicy.last_card_number: EnrollmentPolicy.last_card_number + 1}
            )
            .where(EnrollmentPolicy.id == rules["id"])
            .returning(EnrollmentPolicy.last_card_number)
            .run()
        )
        card = f"{card_prefix(rules)}{numbered['last_card_number']:06d}"
        changed = (
            await Member.update(
                {
                    Member.status: Status.member.value,
                    Member.join_date: today,
                    Member.card_number: card,
                    Member.first_batch: rules["backbone_first"],
                    Member.first_batch_on: today if rules["backbone_first"] else None,
                    Member.version: Member.version + 1,
                }
            )
            .where((Member.id == member_id) & (Member.status == Status.applicant.value))
            .returning(Member.id)
            .run()
        )
        if not changed:  # approved by someone else a moment ago: undo the number
            raise _Refused(Msg("Only applicants can be approved."))
        await _event(viewer, member_id, "approved", card)
        await audit.record(viewer.actor, "approve", "member", member_id, card)
    return card


# --- welcome packs, posts, leaving ---------------------------------------------------


async def pending_welcome_packs(viewer: Viewer, village_id: int | None) -> list[dict]:
    """Members (approved) who have not received their welcome pack, by village."""
    require(viewer, ORGANIZERS)
    query = scoped(
        Member.select(*LIST_COLUMNS, Member.welcome_pack_at).where(
            (Member.status == Status.member.value) & Member.welcome_pack_at.is_null()
        ),
        viewer.scope,
    )
    if village_id:
        query = query.where(Member.village == village_id)
    return await query.order_by(Member.village, Member.name).limit(500).run()


async def issue_welcome_pack(viewer: Viewer, member_id: int) -> dict:
    member = await get_member(viewer, member_id)
    if member["status"] != Status.member.value:
        raise ValidationError(
            {"welcome_pack": Msg("Only approved members receive a welcome pack.")}
        )
    async with db.transaction():
        changed = (
            await Member.update(
                {
                    Member.welcome_pack_at: dt.datetime.now(dt.UTC),
                    Member.welcome_pack_by: actor_id(viewer),
                    Member.version: Member.version + 1,
                }
            )
            .where((Member.id == member_id) & Member.welcome_pack_at.is_null())
            .returning(Member.id)
            .run()
        )
        if changed:  # a second tap changes nothing
            await _event(viewer, member_id, "welcome_pack")
            await audit.record(viewer.actor, "welcome_pack", "member", member_id)
    return await get_member(viewer, member_id)


async def undo_welcome_pack(viewer: Viewer, member_id: int) -> dict:
    """Undo a mistaken tap, on the day it was made."""
    member = await get_member(viewer, member_id)
    issued = member["welcome_pack_at"]
    if issued is None:
        return member
    if local_day(issued) != local_today():
        raise ValidationError(
            {"welcome_pack": Msg("A welcome pack can only be undone on the day it was issued.")}
        )
    async with db.transaction():
        await (
            Member.update(
                {
                    Member.welcome_pack_at: None,
                    Member.welcome_pack_by: None,
                    Member.version: Member.version + 1,
                }
            )
            .where(Member.id == member_id)
            .run()
        )
        await _event(viewer, member_id, "welcome_pack_undone")
        await audit.record(viewer.actor, "welcome_pack_undone", "member", member_id)
    return await get_member(viewer, member_id)


async def record_post(viewer: Viewer, member_id: int, post: str, started_on: dt.date) -> None:
    """A new post in the chain; the previous one ends the day the new one starts."""
    member = await get_member(viewer, member_id)
    errors: dict[str, Msg] = {}
    if post not in {p.value for p in Post}:
        errors["post"] = Msg("Choose a post from the list.")
    if member["status"] not in ACTIVE:
        errors["post"] = Msg("Only applicants and members hold posts.")
    if started_on > local_today():
        errors["started_on"] = Msg("The start date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await (
            WorkerPost.update({WorkerPost.ended_on: started_on})
            .where((WorkerPost.member == member_id) & WorkerPost.ended_on.is_null())
            .run()
        )
        await WorkerPost.insert(
            WorkerPost(
                member=member_id, post=post, started_on=started_on, recorded_by=actor_id(viewer)
            )
        ).run()
        await (
            Member.update({Member.worker_post: post, Member.version: Member.version + 1})
            .where(Member.id == member_id)
            .run()
        )
        await _event(viewer, member_id, "worker_post", post)
        await audit.record(viewer.actor, "worker_post", "member", member_id, post)


async def end_membership(
    viewer: Viewer,
    member_id: int,
    *,
    transfer: bool,
    on: dt.date,
    reason: str,
    transferred_to: str,
    version: int,
) -> None:
    """Leave or transfer out: the record stays, the card number is never reused."""
    require(viewer, MANAGERS)
    member = await get_member(viewer, member_id)
    errors: dict[str, Msg] = {}
    if member["status"] not in ACTIVE:
        errors["status"] = Msg("This person is no longer an applicant or member.")
    if transfer and not transferred_to:
        errors["transferred_to"] = Msg("Name the union that receives the member.")
    if on > local_today():
        errors["on"] = Msg("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    status = Status.transferred_out if transfer else Status.left
    async with db.transaction():
        changed = (
            await Member.update(
                {
                    Member.status: status.value,
                    Member.left_on: on,
                    Member.leave_reason: reason,
                    Member.transferred_to: transferred_to if transfer else "",
                    Member.version: version + 1,
                }
            )
            .where((Member.id == member_id) & (Member.version == version))
            .returning(Member.id)
            .run()
        )
        if not changed:
            raise ValidationError({"version": STALE})
        await (
            WorkerPost.update({WorkerPost.ended_on: on})
            .where((WorkerPost.member == member_id) & WorkerPost.ended_on.is_null())
            .run()
        )
        await _event(viewer, member_id, status.value, transferred_to or reason)
        await audit.record(viewer.actor, status.value, "member", member_id)


# --- roster templates: a user's own choice of export columns -------------------------------


async def roster_templates(viewer: Viewer) -> list[dict]:
    rows = (
        await RosterTemplate.select(RosterTemplate.name, RosterTemplate.columns)
        .where(RosterTemplate.user == viewer.id)
        .order_by(RosterTemplate.name)
        .run()
    )
    return [{"name": r["name"], "columns": json.loads(r["columns"])} for r in rows]


async def save_roster_template(viewer: Viewer, name: str, columns: list[str]) -> None:
    """Save (or replace) a named set of columns for this user."""
    require(viewer, ORGANIZERS)
    async with db.transaction():
        await RosterTemplate.delete().where(
            (RosterTemplate.user == viewer.id) & (RosterTemplate.name == name)
        )
        await RosterTemplate.insert(
            RosterTemplate(user=viewer.id, name=name, columns=json.dumps(columns))
        ).run()
