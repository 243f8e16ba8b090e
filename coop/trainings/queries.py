"""Every read of trainings and all its hand-written SQL: programmes and sessions in the
viewer's scope, the public page's session and places, rosters, figures, the registrant's
own view, leads and a member's history; and `_lock`, the statement that locks a session.
"""

from __future__ import annotations

from piccolo.columns.combination import WhereRaw
from piccolo.query.functions.aggregate import Count
from piccolo.query.methods.select import SelectRaw

from coop import privacy
from coop.access import MANAGERS, ORGANIZERS, Viewer, now, require
from coop.forms import typed_code
from coop.members import domain as members
from coop.members.identity import check_mobile
from coop.members.tables import Member
from coop.orgs import domain as orgs
from coop.orgs.tables import Cooperative, Union, Village
from coop.trainings.tables import Programme, Registration, TrainingSession
from coop.validation import Forbidden, Msg, NotFound, ValidationError

SessionStatus = TrainingSession.Status
Audience = TrainingSession.Audience
RegistrationStatus = Registration.Status
ROSTER_LIMIT = 100
NO_MATCH = Msg("No registration matches this code and mobile number.")


# --- whose programmes: the union running them, and the unions above a user's ----------


async def visible_unions(viewer: Viewer) -> set[int] | None:
    """Unions whose programmes the viewer sees (None: all of them)."""
    require(viewer, ORGANIZERS)
    return await orgs.event_unions(viewer.scope)


async def owning_unions(viewer: Viewer) -> list[dict]:
    """Unions the viewer may run a programme for."""
    require(viewer, MANAGERS)
    return await orgs.running_unions(viewer.scope)


def _can_manage(viewer: Viewer, union_id: int) -> bool:
    return viewer.can_approve and orgs.runs(viewer.scope, union_id)


# --- programmes and sessions ----------------------------------------------------------


async def programmes(viewer: Viewer) -> list[dict]:
    unions = await visible_unions(viewer)
    query = Programme.select(
        Programme.id, Programme.title, Programme.union, Programme.union.name.as_alias("union_name")
    ).order_by(Programme.id, ascending=False)
    if unions is not None:
        query = query.where(Programme.union.is_in(list(unions) or [-1]))
    return await query.run()


async def get_programme(viewer: Viewer, programme_id: int) -> dict:
    unions = await visible_unions(viewer)
    programme = (
        await Programme.select(Programme.all_columns(), Programme.union.name.as_alias("union_name"))
        .where(Programme.id == programme_id)
        .first()
        .run()
    )
    if programme is None or (unions is not None and programme["union"] not in unions):
        raise NotFound
    programme["can_manage"] = _can_manage(viewer, programme["union"])
    return programme


async def programme_for_edit(viewer: Viewer, programme_id: int) -> dict:
    programme = await get_programme(viewer, programme_id)
    if not programme["can_manage"]:
        raise Forbidden
    return programme


SESSION_COLUMNS = (
    TrainingSession.all_columns(),
    TrainingSession.programme.title.as_alias("programme_title"),
    TrainingSession.programme.union.as_alias("union_id"),
    TrainingSession.programme.union.name.as_alias("union_name"),
)


async def sessions(
    viewer: Viewer, programme_id: int | None = None, upcoming: bool = False
) -> list[dict]:
    unions = await visible_unions(viewer)
    query = TrainingSession.select(*SESSION_COLUMNS).order_by(TrainingSession.starts_at)
    if unions is not None:
        query = query.where(TrainingSession.programme.union.is_in(list(unions) or [-1]))
    if programme_id:
        query = query.where(TrainingSession.programme == programme_id)
    if upcoming:
        query = query.where(
            (TrainingSession.ends_at >= now())
            & TrainingSession.status.is_in(
                [s.value for s in SessionStatus if s.value != "cancelled"]
            )
        )
    return await query.run()


async def get_session(viewer: Viewer, session_id: int) -> dict:
    unions = await visible_unions(viewer)
    session = (
        await TrainingSession.select(*SESSION_COLUMNS)
        .where(TrainingSession.id == session_id)
        .first()
        .run()
    )
    if session is None or (unions is not None and session["union_id"] not in unions):
        raise NotFound
    session["can_manage"] = _can_manage(viewer, session["union_id"])
    return session


async def session_for_edit(viewer: Viewer, session_id: int) -> dict:
    session = await get_session(viewer, session_id)
    if not session["can_manage"]:
        raise Forbidden
    return session


# --- the public page ------------------------------------------------------------------


async def public_session(slug: str | None = None, session_id: int | None = None) -> dict:
    """A session as the public sees it, by its page's address or its ID: published ones only."""
    found = TrainingSession.slug == slug if slug else TrainingSession.id == session_id
    session = (
        await TrainingSession.select(*SESSION_COLUMNS)
        .where(found & (TrainingSession.status != SessionStatus.draft.value))
        .first()
        .run()
    )
    if session is None:
        raise NotFound
    return session


async def places(session: dict) -> dict:
    """Villages and cooperatives a registrant can choose: those of the programme's union."""
    federations = await orgs.federations_under(session["union_id"]) or [-1]
    towns = Union.select(Union.parent).where(Union.id.is_in(federations))
    return {
        "villages": await Village.select(Village.id, Village.name)
        .where(Village.town.is_in(towns))
        .order_by(Village.name)
        .run(),
        "cooperatives": await Cooperative.select(Cooperative.id, Cooperative.name)
        .where(Cooperative.federation.is_in(federations))
        .order_by(Cooperative.name)
        .run(),
    }


async def _matching_member(id_hash: str, phone_hash: str) -> dict | None:
    """The applicant or member with this ID number (`by_id`), or else with this mobile
    number; `id_tail`: the last 4 characters of their ID number, which confirm a mobile."""
    columns = (
        Member.id,
        Member.federation,
        Member.village,
        Member.cooperative,
        Member.id_encrypted,
    )
    active = Member.status.is_in(list(members.ACTIVE))
    found = None
    if id_hash:
        found = (
            await Member.select(*columns).where(active & (Member.id_hash == id_hash)).first().run()
        )
        if found:
            found["by_id"] = True
    if found is None:
        found = (
            await Member.select(*columns)
            .where(active & (Member.phone_hash == phone_hash))
            .order_by(Member.id)
            .first()
            .run()
        )
    if found is None:
        return None
    found.setdefault("by_id", False)
    found["id_tail"] = privacy.decrypt(found.pop("id_encrypted"))[-4:].upper()
    return found


# --- the session's row lock: the first statement of every transaction that moves seats --


async def _lock(session_id: int) -> dict:
    """Lock the session row for this transaction and read its counters under the lock."""
    rows = await TrainingSession.raw(
        "UPDATE training_session SET last_number = last_number WHERE id = {} "
        "RETURNING id, capacity, seats_taken, last_number, status, version",
        session_id,
    )
    if not rows:
        raise NotFound
    return rows[0]


# --- whose registration: the member a registrant is -------------------------------------

# A registration belongs to the member it was linked to when it was made (a member of the
# session's federations, matched by registration._check_person); else to the member
# enrolled since with its ID number; else to the first one enrolled with its mobile number.
# Worked out when read (keyed hashes, both indexed on member), so nothing has to write the
# link when someone enrolls, and no page that shows it writes.
REGISTRANT_MEMBER = (
    "COALESCE(training_registration.member,"
    " (SELECT MIN(m.id) FROM member m WHERE training_registration.id_hash != ''"
    " AND m.id_hash = training_registration.id_hash),"
    " (SELECT MIN(m.id) FROM member m WHERE m.phone_hash = training_registration.phone_hash))"
)


# --- organizers' roster ---------------------------------------------------------------


ROSTER_COLUMNS = (
    Registration.id,
    Registration.session,
    Registration.number,
    Registration.code,
    Registration.name,
    Registration.phone_masked,
    Registration.status,
    Registration.walk_in,
    SelectRaw(f'{REGISTRANT_MEMBER} AS "member"'),
    Registration.promoted_at,
    Registration.checked_in_at,
    Registration.notified_at,
    Registration.disputed_at,
    Registration.created_at,
    Registration.village.name.as_alias("village_name"),
    Registration.village_other,
    Registration.cooperative.name.as_alias("cooperative_name"),
)


def registrants_where(viewer: Viewer, session: dict | None = None, door: bool = False):
    """Whose registrations the viewer sees and acts on (None: all); every read and write of
    a registration goes through here. A union admin: all. A federation organizer: all of a
    session it runs, else the people of its town's villages and its federations'
    cooperatives. A village organizer: the people of its own villages (its cooperatives'
    too, as `orgs.village_where` says) and cooperatives only.
    `door`: also those the viewer checked in itself, so it may undo that check-in."""
    if viewer.scope.everything or (session and session["can_manage"]):
        return None
    where = Registration.village.is_in(
        Village.select(Village.id).where(orgs.village_where(viewer.scope))
    ) | Registration.cooperative.is_in(
        Cooperative.select(Cooperative.id).where(orgs.cooperative_where(viewer.scope))
    )
    if viewer.scope.federation_ids:  # the leads of the sessions it runs
        where |= Registration.session.programme.union.is_in(list(viewer.scope.federation_ids))
    return where | (Registration.checked_in_by == viewer.id) if door else where


async def _registrations(viewer: Viewer, session_id: int, *columns, door: bool = False):
    """A select of one session's registrations the viewer may see."""
    session = await get_session(viewer, session_id)
    query = Registration.select(*columns).where(Registration.session == session_id)
    where = registrants_where(viewer, session, door)
    return query.where(where) if where is not None else query


async def get_registration(viewer: Viewer, registration_id: int, door: bool = False) -> dict:
    """One registration in the viewer's scope (`registrants_where`), else NotFound."""
    row = (
        await Registration.select(Registration.session)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None:
        raise NotFound
    query = await _registrations(viewer, row["session"], *ROSTER_COLUMNS, door=door)
    found = await query.where(Registration.id == registration_id).first().run()
    if found is None:  # out of scope
        raise NotFound
    return found


async def roster(
    viewer: Viewer, session_id: int, q: str = "", include_cancelled: bool = False
) -> list[dict]:
    """Registrations of a session, seats first then the queue, each in order."""
    query = await _registrations(viewer, session_id, *ROSTER_COLUMNS)
    if not include_cancelled:
        query = query.where(Registration.status != RegistrationStatus.cancelled.value)
    term = "".join(ch for ch in "".join(q.split()).lower() if ch not in "%_\\")
    if term:
        query = query.where(Registration.search_keys.like(f"% {term}%"))
    rows = (
        await query.order_by(Registration.status)
        .order_by(Registration.number)
        .limit(ROSTER_LIMIT)
        .run()
    )
    position = 0
    for row in rows:
        if row["status"] == RegistrationStatus.waitlisted.value:
            position += 1
            row["position"] = position if not term else None
    return rows


async def full_roster(viewer: Viewer, session_id: int) -> list[dict]:
    """Everyone holding a seat, for the sign-in sheet, by village then name."""
    query = await _registrations(viewer, session_id, *ROSTER_COLUMNS)
    return (
        await query.where(Registration.status == RegistrationStatus.confirmed.value)
        .order_by(Registration.village.name)
        .order_by(Registration.number)
        .run()
    )


async def full_registrations(viewer: Viewer, session_id: int) -> list[dict]:
    """Every registration of a session, cancelled ones too, in registration order."""
    query = await _registrations(viewer, session_id, *ROSTER_COLUMNS)
    return await query.order_by(Registration.number).run()


async def figures(session_id: int) -> dict[str, int]:
    """Registered (holding a seat), waiting, checked in, walk-ins, no-shows, cancelled."""
    rows = await Registration.raw(
        "SELECT status, walk_in, checked_in_at IS NOT NULL AS present, COUNT(*) AS n "
        "FROM training_registration WHERE session = {} GROUP BY 1, 2, 3",
        session_id,
    )
    result = dict.fromkeys(
        ("registered", "waitlisted", "checked_in", "walk_ins", "no_shows", "cancelled"), 0
    )
    for row in rows:
        n = row["n"]
        if row["status"] == RegistrationStatus.confirmed.value:
            result["registered"] += n
            result["checked_in"] += n if row["present"] else 0
            result["walk_ins"] += n if row["walk_in"] else 0
            result["no_shows"] += 0 if row["present"] else n
        elif row["status"] == RegistrationStatus.waitlisted.value:
            result["waitlisted"] += n
        else:
            result["cancelled"] += n
    return result


# --- the registrant's own view -------------------------------------------------------


async def registration_by_code(session: dict, code: str) -> dict:
    """A registration as its holder sees it, by its code: status and queue position only."""
    row = (
        await Registration.select(
            Registration.id,
            Registration.code,
            Registration.name,
            Registration.status,
            Registration.number,
            Registration.promoted_at,
            Registration.checked_in_at,
            Registration.walk_in,
        )
        .where((Registration.session == session["id"]) & (Registration.code == typed_code(code)))
        .first()
        .run()
    )
    if row is None:
        raise NotFound
    row["position"] = await waiting_position(session["id"], row)
    row["name_masked"] = row["name"][:1] + "*" * max(1, len(row["name"]) - 1)
    del row["name"]
    return row


async def waiting_position(session_id: int, registration: dict) -> int | None:
    if registration["status"] != RegistrationStatus.waitlisted.value:
        return None
    ahead = await Registration.count().where(
        (Registration.session == session_id)
        & (Registration.status == RegistrationStatus.waitlisted.value)
        & (Registration.number < registration["number"])
    )
    return ahead + 1


async def find_registration(session: dict, code: str, phone: str) -> str:
    """The code, when it and the mobile number belong to one registration; the same
    answer for a wrong code as for a wrong phone, so neither can be probed."""
    number, error = check_mobile(phone)
    row = None
    if not error:
        row = (
            await Registration.select(Registration.code)
            .where(
                (Registration.session == session["id"])
                & (Registration.code == typed_code(code))
                & (Registration.phone_hash == privacy.keyed_hash("phone", number))
            )
            .first()
            .run()
        )
    if row is None:
        raise ValidationError({"code": NO_MATCH})
    return row["code"]


# --- leads, history, totals --------------------------------------------------------------


async def leads(viewer: Viewer) -> list[dict]:
    """Non-members who registered: people to enroll. Those enrolled since drop off the list."""
    unions = await visible_unions(viewer)
    query = Registration.select(
        *ROSTER_COLUMNS,
        Registration.session.topic.as_alias("topic"),
        Registration.session.starts_at.as_alias("starts_at"),
    ).where(
        WhereRaw(f"{REGISTRANT_MEMBER} IS NULL")
        & (Registration.status != RegistrationStatus.cancelled.value)
    )
    if unions is not None:
        query = query.where(Registration.session.programme.union.is_in(list(unions) or [-1]))
    where = registrants_where(viewer)
    if where is not None:
        query = query.where(where)
    return await query.order_by(Registration.id, ascending=False).limit(500).run()


async def member_history(viewer: Viewer, member_id: int) -> list[dict]:
    """A member's trainings, newest first: the registrations that are theirs
    (REGISTRANT_MEMBER), made before they enrolled too."""
    await members.get_member(viewer, member_id)
    keys = (
        await Member.select(Member.id_hash, Member.phone_hash)
        .where(Member.id == member_id)
        .first()
        .run()
    )
    theirs = (Registration.member == member_id) | (
        Registration.member.is_null()
        & (
            (Registration.id_hash == keys["id_hash"])
            | (Registration.phone_hash == keys["phone_hash"])
        )
        & WhereRaw(f"{REGISTRANT_MEMBER} = {{}}", member_id)
    )
    return (
        await Registration.select(
            Registration.status,
            Registration.checked_in_at,
            Registration.walk_in,
            Registration.session.id.as_alias("session_id"),
            Registration.session.topic.as_alias("topic"),
            Registration.session.starts_at.as_alias("starts_at"),
            Registration.session.status.as_alias("session_status"),
            Registration.session.programme.title.as_alias("programme_title"),
        )
        .where(theirs)
        .order_by(Registration.session.starts_at, ascending=False)
        .run()
    )


async def programme_totals(viewer: Viewer, programme_id: int) -> dict:
    """The seed's own figures: sessions held, and participant person-times (人次) by place."""
    await get_programme(viewer, programme_id)
    held = TrainingSession.select(TrainingSession.id).where(
        (TrainingSession.programme == programme_id)
        & (TrainingSession.status == SessionStatus.held.value)
    )
    present = Registration.checked_in_at.is_not_null() & Registration.session.is_in(held)
    by_village = (
        await Registration.select(Registration.village.name.as_alias("name"), Count(alias="n"))
        .where(present)
        .group_by(Registration.village.name)
        .order_by(Registration.village.name)
        .run()
    )
    by_village.sort(key=lambda row: row["name"] is None)  # 其他村 / 外地 last, apart
    by_cooperative = (
        await Registration.select(Registration.cooperative.name.as_alias("name"), Count(alias="n"))
        .where(present)
        .group_by(Registration.cooperative.name)
        .order_by(Registration.cooperative.name)
        .run()
    )
    return {
        "sessions_held": await TrainingSession.count().where(
            (TrainingSession.programme == programme_id)
            & (TrainingSession.status == SessionStatus.held.value)
        ),
        "person_times": await Registration.count().where(present),
        "by_village": by_village,
        "by_cooperative": by_cooperative,
    }
