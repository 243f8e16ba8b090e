"""Training programmes and sessions: registration with capacity, waiting list, check-in.

Seats are counted on the session row (`seats_taken`) and only changed inside
a write transaction whose first statement locks that row (`_lock`), taken
late and once, after every check that needs no lock. So two registrations for
the last seat queue on the row: one gets it, the other the waiting list.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from coop import db, privacy
from coop.access import MANAGERS, ORGANIZERS, Viewer, actor_id, require
from coop.accounts import idempotency
from coop.audit import domain as audit
from coop.members import domain as members
from coop.members.identity import check_mobile, check_resident_id, name_keys
from coop.members.tables import Member
from coop.orgs import domain as orgs
from coop.orgs.tables import Cooperative, Union, Village
from coop.trainings.tables import Programme, Registration, TrainingSession
from coop.validation import Forbidden, Msg, NotFound, ValidationError

SessionStatus = TrainingSession.Status
Audience = TrainingSession.Audience
RegistrationStatus = Registration.Status
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at the door
CODE_LENGTH = 8
CAPACITY_MAX = 100_000
ROSTER_LIMIT = 100
TAKES_SEATS = (SessionStatus.open.value, SessionStatus.closed.value)
STALE = Msg(
    "Someone else changed this session while you were editing. Your changes are below; "
    "check them and save again."
)
ALREADY_HERE = Msg("Already checked in: this registration can no longer be cancelled.")
ALREADY_REGISTERED = Msg(
    "This mobile number is already registered for this session. "
    "Use your registration code to see or cancel it."
)
NO_MATCH = Msg("No registration matches this code and mobile number.")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class ProgrammeInput:
    title: str
    description: str
    union_id: int


@dataclass
class SessionInput:
    topic: str
    trainer: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    online_link: str
    capacity: int
    audience: str
    status: str
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    version: int = 0


@dataclass
class RegistrationInput:
    name: str
    phone: str
    village_id: int | None = None
    cooperative_id: int | None = None
    resident_id: str = ""


@dataclass
class Registered:
    """The outcome a registrant sees: their code, and a seat or a place in the queue."""

    registration_id: int
    code: str
    status: str
    already: bool = False  # the phone was registered for this session before


@dataclass
class BulkRegistration:
    confirmed: int = 0
    waitlisted: int = 0
    already: int = 0
    refused: int = 0


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


# --- programmes --------------------------------------------------------------------


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


async def _check_owner(viewer: Viewer, union_id: int) -> None:
    if union_id not in {row["id"] for row in await owning_unions(viewer)}:
        raise ValidationError({"union_id": Msg("Choose a union from the list.")})


async def save_programme(
    viewer: Viewer, data: ProgrammeInput, programme_id: int | None = None
) -> int:
    require(viewer, MANAGERS)
    if programme_id is not None:
        await programme_for_edit(viewer, programme_id)
    await _check_owner(viewer, data.union_id)
    values = dict(title=data.title, description=data.description, union=data.union_id)
    async with db.transaction():
        if programme_id is None:
            [row] = await Programme.insert(Programme(**values)).returning(Programme.id).run()
            programme_id = row["id"]
            action = "create"
        else:
            await Programme.update(values).where(Programme.id == programme_id).run()
            action = "update"
        await audit.record(viewer.actor, action, "training_programme", programme_id, data.title)
    return programme_id


# --- sessions ----------------------------------------------------------------------

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


def _check_session(errors: dict[str, Msg], data: SessionInput) -> None:
    if data.ends_at <= data.starts_at:
        errors["ends_at"] = Msg("The end must be after the start.")
    if not data.place and not data.online_link:
        errors["place"] = Msg("Give a place, an online link, or both.")
    if data.online_link and not data.online_link.startswith(("https://", "http://")):
        errors["online_link"] = Msg("Enter a link starting with https://.")
    if not 1 <= data.capacity <= CAPACITY_MAX:
        errors["capacity"] = Msg("Enter a number of seats from 1 to {max}.", max=CAPACITY_MAX)
    if data.audience not in {a.value for a in Audience}:
        errors["audience"] = Msg("Choose from the list.")
    if data.status not in {s.value for s in SessionStatus} - {SessionStatus.cancelled.value}:
        errors["status"] = Msg("Choose from the list.")
    elif data.status == SessionStatus.held.value and data.starts_at > now():
        errors["status"] = Msg("A session can be marked as held once it has started.")
    opens, closes = data.registration_opens_at, data.registration_closes_at
    if opens and closes and closes <= opens:
        errors["registration_closes_at"] = Msg("Registration must close after it opens.")
    if closes and closes > data.ends_at:
        errors["registration_closes_at"] = Msg("Registration must close before the session ends.")


def _session_values(data: SessionInput) -> dict:
    return {
        TrainingSession.topic: data.topic,
        TrainingSession.trainer: data.trainer,
        TrainingSession.starts_at: data.starts_at,
        TrainingSession.ends_at: data.ends_at,
        TrainingSession.place: data.place,
        TrainingSession.online_link: data.online_link,
        TrainingSession.capacity: data.capacity,
        TrainingSession.audience: data.audience,
        TrainingSession.status: data.status,
        TrainingSession.registration_opens_at: data.registration_opens_at,
        TrainingSession.registration_closes_at: data.registration_closes_at,
    }


async def create_session(viewer: Viewer, programme_id: int, data: SessionInput) -> int:
    await programme_for_edit(viewer, programme_id)
    errors: dict[str, Msg] = {}
    _check_session(errors, data)
    if errors:
        raise ValidationError(errors)
    values = {c._meta.name: v for c, v in _session_values(data).items()}
    async with db.transaction():
        [row] = (
            await TrainingSession.insert(
                TrainingSession(programme=programme_id, slug=secrets.token_urlsafe(9), **values)
            )
            .returning(TrainingSession.id)
            .run()
        )
        await audit.record(viewer.actor, "create", "training_session", row["id"], data.topic)
    return row["id"]


async def update_session(viewer: Viewer, session_id: int, data: SessionInput) -> None:
    """Save changes; a capacity above the seats taken moves the waiting list up.

    Capacity below the seats already taken is refused: nobody loses a seat they were given.
    """
    current = await session_for_edit(viewer, session_id)
    errors: dict[str, Msg] = {}
    _check_session(errors, data)
    if current["status"] == SessionStatus.cancelled.value:
        errors["status"] = Msg("This session was cancelled; it can no longer change.")
    elif current["status"] == SessionStatus.held.value != data.status:
        errors["status"] = Msg("A session that was held stays held.")
    elif data.status == SessionStatus.draft.value != current["status"] and current["last_number"]:
        errors["status"] = Msg("People have registered: the session can no longer be a draft.")
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        locked = await _lock(session_id)
        if locked["version"] != data.version:
            raise ValidationError({"version": STALE})
        if data.capacity < min(locked["capacity"], locked["seats_taken"]):
            raise ValidationError(
                {
                    "capacity": Msg(
                        "{n} people already hold a seat; the capacity cannot be lower. "
                        "Cancel registrations first.",
                        n=locked["seats_taken"],
                    )
                }
            )
        await (
            TrainingSession.update(
                {**_session_values(data), TrainingSession.version: data.version + 1}
            )
            .where(TrainingSession.id == session_id)
            .run()
        )
        await _promote(session_id)
        await audit.record(viewer.actor, "update", "training_session", session_id, data.topic)


async def cancel_session(viewer: Viewer, session_id: int) -> None:
    """Cancelled: registrations stay, marked as people to tell."""
    session = await session_for_edit(viewer, session_id)
    if session["status"] == SessionStatus.held.value:
        raise ValidationError({"status": Msg("A session that was held cannot be cancelled.")})
    async with db.transaction():
        await _lock(session_id)
        await (
            TrainingSession.update(
                {
                    TrainingSession.status: SessionStatus.cancelled.value,
                    TrainingSession.version: TrainingSession.version + 1,
                }
            )
            .where(TrainingSession.id == session_id)
            .run()
        )
        await audit.record(viewer.actor, "cancel", "training_session", session_id)


async def mark_notified(viewer: Viewer, registration_id: int) -> dict:
    registration = await get_registration(viewer, registration_id)
    async with db.transaction():
        await (
            Registration.update({Registration.notified_at: now()})
            .where((Registration.id == registration_id) & Registration.notified_at.is_null())
            .run()
        )
    return await get_registration(viewer, registration["id"])


# --- registering -------------------------------------------------------------------


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


def registration_refusal(session: dict, at: dt.datetime | None = None) -> Msg | None:
    """Why the public cannot register now, or None when they can."""
    at = at or now()
    if session["status"] == SessionStatus.cancelled.value:
        return Msg("This session was cancelled.")
    if session["status"] != SessionStatus.open.value:
        return Msg("Registration for this session is closed.")
    opens = session["registration_opens_at"]
    if opens and at < opens:
        return Msg("Registration has not opened yet.")
    closes = session["registration_closes_at"] or session["starts_at"]
    if at >= closes:
        return Msg("Registration for this session is closed.")
    return None


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


@dataclass
class _Person:
    """A checked registrant, ready to be written."""

    name: str
    phone_hash: str
    phone_encrypted: str
    phone_masked: str
    phone_tail: str
    id_hash: str = ""
    id_encrypted: str = ""
    member_id: int | None = None
    village_id: int | None = None
    cooperative_id: int | None = None


async def _check_person(session: dict, data: RegistrationInput) -> _Person:
    errors: dict[str, Msg] = {}
    phone, phone_error = check_mobile(data.phone)
    if phone_error:
        errors["phone"] = phone_error
    number = ""
    if data.resident_id.strip():
        checked = check_resident_id(data.resident_id)
        if checked.error:
            errors["resident_id"] = checked.error
        number = checked.number
    choices = await places(session)
    if data.village_id is None or data.village_id not in {v["id"] for v in choices["villages"]}:
        errors["village_id"] = Msg("Choose a village from the list.")
    if data.cooperative_id is not None and data.cooperative_id not in {
        c["id"] for c in choices["cooperatives"]
    }:
        errors["cooperative_id"] = Msg("Choose a cooperative from the list.")
    if errors:
        raise ValidationError(errors)
    person = _Person(
        name=data.name,
        phone_hash=privacy.keyed_hash("phone", phone),
        phone_encrypted=privacy.encrypt(phone),
        phone_masked=privacy.mask_phone(phone),
        phone_tail=phone[-4:],
        village_id=data.village_id,
        cooperative_id=data.cooperative_id,
    )
    if number:
        person.id_hash = privacy.keyed_hash("resident_id", number)
        person.id_encrypted = privacy.encrypt(number)
    member = await _matching_member(person.id_hash, person.phone_hash)
    federations = await orgs.federations_under(session["union_id"])
    if member and member["federation"] in federations:
        person.member_id = member["id"]
        person.village_id, person.cooperative_id = member["village"], member["cooperative"]
    elif session["audience"] == Audience.members.value:
        raise ValidationError(
            {
                "phone": Msg(
                    "This session is for members of {union} only, and we could not find "
                    "a member with this mobile or ID number.",
                    union=session["union_name"],
                )
            }
        )
    return person


async def _matching_member(id_hash: str, phone_hash: str) -> dict | None:
    """The applicant or member with this ID number, or else with this mobile number."""
    columns = (Member.id, Member.federation, Member.village, Member.cooperative)
    active = Member.status.is_in(list(members.ACTIVE))
    if id_hash:
        found = (
            await Member.select(*columns).where(active & (Member.id_hash == id_hash)).first().run()
        )
        if found:
            return found
    return (
        await Member.select(*columns)
        .where(active & (Member.phone_hash == phone_hash))
        .order_by(Member.id)
        .first()
        .run()
    )


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


async def _new_code(session_id: int) -> str:
    while True:  # under the session's lock: nobody else can take the code meanwhile
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = await Registration.exists().where(
            (Registration.session == session_id) & (Registration.code == code)
        )
        if not taken:
            return code


def _search_text(name: str, phone_tail: str) -> str:
    return " " + " ".join(sorted(name_keys(name) | {phone_tail})) + " "


async def _write_registration(
    session_id: int,
    person: _Person,
    *,
    by: Viewer | None,
    walk_in: bool = False,
    idempotency_key: str | None = None,
    payload: dict | None = None,
) -> Registered:
    """Register one person: a seat while there are seats, else the waiting list.

    A walk-in takes a seat whatever the capacity and is checked in at once.
    The same mobile number again returns the registration it already has.
    """
    async with db.transaction():
        session = await _lock(session_id)
        if idempotency_key and (
            done := await idempotency.stored_result(idempotency_key, actor_id(by), payload or {})
        ):  # the same submission raced itself here: the first one's answer
            return Registered(**done)
        # Checked again under the lock: the session may have closed a moment ago.
        allowed = (
            (SessionStatus.open.value,)
            if by is None
            else TAKES_SEATS + ((SessionStatus.held.value,) if walk_in else ())
        )
        if session["status"] not in allowed:
            raise ValidationError({"session": Msg("Registration for this session is closed.")})
        existing = (
            await Registration.select(Registration.id, Registration.code, Registration.status)
            .where(
                (Registration.session == session_id)
                & (Registration.phone_hash == person.phone_hash)
            )
            .first()
            .run()
        )
        if existing and existing["status"] != RegistrationStatus.cancelled.value:
            result = Registered(existing["id"], existing["code"], existing["status"], already=True)
            if walk_in:
                await _check_in_locked(session, existing, by)
                result.status = RegistrationStatus.confirmed.value
        else:
            seat = walk_in or session["seats_taken"] < session["capacity"]
            status = RegistrationStatus.confirmed if seat else RegistrationStatus.waitlisted
            number = session["last_number"] + 1
            values = dict(
                number=number,
                name=person.name,
                phone_hash=person.phone_hash,
                phone_encrypted=person.phone_encrypted,
                phone_masked=person.phone_masked,
                id_hash=person.id_hash,
                id_encrypted=person.id_encrypted,
                search_keys=_search_text(person.name, person.phone_tail),
                village=person.village_id,
                cooperative=person.cooperative_id,
                member=person.member_id,
                status=status.value,
                walk_in=walk_in,
                promoted_at=None,
                cancelled_at=None,
                checked_in_at=now() if walk_in else None,
                checked_in_by=actor_id(by) if walk_in else None,
                registered_by=actor_id(by),
                created_at=now(),
            )
            if existing:  # registering again after cancelling: back of the queue
                registration_id, code = existing["id"], existing["code"]
                await Registration.update(values).where(Registration.id == registration_id).run()
            else:
                code = await _new_code(session_id)
                [row] = (
                    await Registration.insert(Registration(session=session_id, code=code, **values))
                    .returning(Registration.id)
                    .run()
                )
                registration_id = row["id"]
            await (
                TrainingSession.update(
                    {
                        TrainingSession.last_number: number,
                        TrainingSession.seats_taken: TrainingSession.seats_taken + int(seat),
                    }
                )
                .where(TrainingSession.id == session_id)
                .run()
            )
            result = Registered(registration_id, code, status.value)
        if idempotency_key:
            await idempotency.store_result(
                idempotency_key, actor_id(by), payload or {}, vars(result)
            )
    return result


async def register(
    session: dict, data: RegistrationInput, submission_key: str | None = None
) -> Registered:
    """A registration from the public page or API: the same rules for both.

    Raises ValidationError (field messages, or `session` when registration is
    not possible now) or idempotency.KeyReused.
    """
    payload = vars(data)
    key = f"register:{submission_key}" if submission_key else None
    result = None
    if key and (done := await idempotency.stored_result(key, None, payload)):
        result = Registered(**done)
    else:
        refusal = registration_refusal(session)
        if refusal:
            raise ValidationError({"session": refusal})
        person = await _check_person(session, data)
        result = await _write_registration(
            session["id"], person, by=None, idempotency_key=key, payload=payload
        )
    if result.already:  # the code goes only to whoever registered: a phone number is no key
        raise ValidationError({"phone": ALREADY_REGISTERED})
    return result


async def add_walk_in(viewer: Viewer, session_id: int, data: RegistrationInput) -> Registered:
    """Someone at the door: registered and checked in at once, past capacity if need be."""
    session = await get_session(viewer, session_id)
    if session["status"] in (SessionStatus.draft.value, SessionStatus.cancelled.value):
        raise ValidationError({"session": Msg("Check-in is only possible for published sessions.")})
    person = await _check_person({**session, "audience": Audience.anyone.value}, data)
    result = await _write_registration(session_id, person, by=viewer, walk_in=True)
    async with db.transaction():
        await audit.record(viewer.actor, "walk_in", "training_registration", result.registration_id)
    return result


async def register_members(
    viewer: Viewer, session_id: int, member_ids: list[int]
) -> BulkRegistration:
    """An organizer registers members of their scope; seats first, then the waiting list."""
    session = await get_session(viewer, session_id)
    if session["status"] not in TAKES_SEATS or session["starts_at"] <= now():
        raise ValidationError(
            {
                "session": Msg(
                    "Members can be registered for open or closed sessions that have not started."
                )
            }
        )
    federations = await orgs.federations_under(session["union_id"])
    result = BulkRegistration()
    for member_id in dict.fromkeys(member_ids):
        try:
            member = await members.get_member(viewer, member_id)
        except NotFound:
            result.refused += 1
            continue
        if member["status"] not in members.ACTIVE or member["federation"] not in federations:
            result.refused += 1
            continue
        secret = (
            await Member.select(
                Member.phone_hash, Member.phone_encrypted, Member.id_hash, Member.id_encrypted
            )
            .where(Member.id == member_id)
            .first()
            .run()
        )
        person = _Person(
            name=member["name"],
            phone_hash=secret["phone_hash"],
            phone_encrypted=secret["phone_encrypted"],
            phone_masked=member["phone_masked"],
            phone_tail=privacy.decrypt(secret["phone_encrypted"])[-4:],
            id_hash=secret["id_hash"],
            id_encrypted=secret["id_encrypted"],
            member_id=member_id,
            village_id=member["village"],
            cooperative_id=member["cooperative"],
        )
        done = await _write_registration(session_id, person, by=viewer)
        if done.already:
            result.already += 1
        elif done.status == RegistrationStatus.confirmed.value:
            result.confirmed += 1
        else:
            result.waitlisted += 1
    async with db.transaction():
        await audit.record(
            viewer.actor,
            "register_members",
            "training_session",
            session_id,
            f"confirmed={result.confirmed} waitlisted={result.waitlisted}",
        )
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
        .where(
            (Registration.session == session["id"]) & (Registration.code == code.strip().upper())
        )
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
                & (Registration.code == code.strip().upper())
                & (Registration.phone_hash == privacy.keyed_hash("phone", number))
            )
            .first()
            .run()
        )
    if row is None:
        raise ValidationError({"code": NO_MATCH})
    return row["code"]


async def cancel_by_registrant(session: dict, code: str, phone: str) -> str:
    found = await find_registration(session, code, phone)
    row = (
        await Registration.select(Registration.id)
        .where((Registration.session == session["id"]) & (Registration.code == found))
        .first()
        .run()
    )
    await _cancel(session["id"], row["id"])
    return found


# --- organizers' roster ----------------------------------------------------------------

ROSTER_COLUMNS = (
    Registration.id,
    Registration.session,
    Registration.number,
    Registration.code,
    Registration.name,
    Registration.phone_masked,
    Registration.status,
    Registration.walk_in,
    Registration.member,
    Registration.promoted_at,
    Registration.checked_in_at,
    Registration.notified_at,
    Registration.created_at,
    Registration.village.name.as_alias("village_name"),
    Registration.cooperative.name.as_alias("cooperative_name"),
)


async def _registrants_where(viewer: Viewer, session: dict | None = None):
    """Which registrants the viewer sees: all of a session they run; otherwise the people
    of their federations' villages and cooperatives (a town's session has other towns')."""
    if viewer.scope.everything or (session and session["can_manage"]):
        return None
    federations = list(await orgs.scope_federations(viewer.scope)) or [-1]
    towns = Union.select(Union.parent).where(Union.id.is_in(federations))
    return Registration.village.is_in(
        Village.select(Village.id).where(Village.town.is_in(towns))
    ) | Registration.cooperative.is_in(
        Cooperative.select(Cooperative.id).where(Cooperative.federation.is_in(federations))
    )


async def _registrations(viewer: Viewer, session_id: int, *columns):
    """A select of one session's registrations the viewer may see."""
    session = await get_session(viewer, session_id)
    query = Registration.select(*columns).where(Registration.session == session_id)
    where = await _registrants_where(viewer, session)
    return query.where(where) if where is not None else query


async def get_registration(viewer: Viewer, registration_id: int) -> dict:
    row = (
        await Registration.select(Registration.session)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None:
        raise NotFound
    query = await _registrations(viewer, row["session"], *ROSTER_COLUMNS)
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


async def _check_in_locked(session: dict, registration: dict, by: Viewer | None) -> None:
    """Check in under the session lock; someone from the waiting list at the door gets a seat."""
    seat = registration["status"] == RegistrationStatus.waitlisted.value
    await (
        Registration.update(
            {
                Registration.status: RegistrationStatus.confirmed.value,
                Registration.checked_in_at: now(),
                Registration.checked_in_by: actor_id(by),
            }
        )
        .where((Registration.id == registration["id"]) & Registration.checked_in_at.is_null())
        .run()
    )
    if seat:
        await (
            TrainingSession.update({TrainingSession.seats_taken: TrainingSession.seats_taken + 1})
            .where(TrainingSession.id == session["id"])
            .run()
        )


def _require_check_in(session: dict) -> None:
    if session["status"] in (SessionStatus.draft.value, SessionStatus.cancelled.value):
        raise ValidationError({"session": Msg("Check-in is only possible for published sessions.")})


async def check_in(viewer: Viewer, registration_id: int) -> dict:
    registration = await get_registration(viewer, registration_id)
    _require_check_in(await get_session(viewer, registration["session"]))
    if registration["status"] == RegistrationStatus.cancelled.value:
        raise ValidationError({"registration": Msg("This registration was cancelled.")})
    async with db.transaction():
        session = await _lock(registration["session"])
        current = (
            await Registration.select(Registration.id, Registration.status)
            .where(Registration.id == registration_id)
            .first()
            .run()
        )
        if current["status"] == RegistrationStatus.cancelled.value:  # cancelled a moment ago
            raise ValidationError({"registration": Msg("This registration was cancelled.")})
        await _check_in_locked(session, current, viewer)
    return await get_registration(viewer, registration_id)


async def check_in_by_code(viewer: Viewer, session_id: int, code: str) -> dict:
    await get_session(viewer, session_id)
    row = (
        await Registration.select(Registration.id)
        .where((Registration.session == session_id) & (Registration.code == code.strip().upper()))
        .first()
        .run()
    )
    if row is None:
        raise ValidationError({"code": Msg("No registration for this session has this code.")})
    return await check_in(viewer, row["id"])


async def undo_check_in(viewer: Viewer, registration_id: int) -> dict:
    registration = await get_registration(viewer, registration_id)
    async with db.transaction():
        await (
            Registration.update(
                {Registration.checked_in_at: None, Registration.checked_in_by: None}
            )
            .where(Registration.id == registration["id"])
            .run()
        )
    return await get_registration(viewer, registration_id)


async def cancel_registration(viewer: Viewer, registration_id: int) -> None:
    registration = await get_registration(viewer, registration_id)
    await _cancel(registration["session"], registration_id)
    async with db.transaction():
        await audit.record(viewer.actor, "cancel", "training_registration", registration_id)


async def _cancel(session_id: int, registration_id: int) -> None:
    """Cancel; a seat given back goes to the first person waiting."""
    async with db.transaction():
        await _lock(session_id)
        row = (
            await Registration.select(Registration.status, Registration.checked_in_at)
            .where(Registration.id == registration_id)
            .first()
            .run()
        )
        if row["status"] == RegistrationStatus.cancelled.value:
            return
        if row["checked_in_at"]:
            raise ValidationError({"code": ALREADY_HERE})
        await (
            Registration.update(
                {
                    Registration.status: RegistrationStatus.cancelled.value,
                    Registration.cancelled_at: now(),
                }
            )
            .where(Registration.id == registration_id)
            .run()
        )
        if row["status"] == RegistrationStatus.confirmed.value:
            await (
                TrainingSession.update(
                    {TrainingSession.seats_taken: TrainingSession.seats_taken - 1}
                )
                .where(TrainingSession.id == session_id)
                .run()
            )
            await _promote(session_id)


async def _promote(session_id: int) -> None:
    """Fill free seats from the waiting list, in order. Call under the session lock."""
    session = (
        await TrainingSession.select(
            TrainingSession.capacity,
            TrainingSession.seats_taken,
            TrainingSession.status,
            TrainingSession.starts_at,
        )
        .where(TrainingSession.id == session_id)
        .first()
        .run()
    )
    free = session["capacity"] - session["seats_taken"]
    if free <= 0 or session["status"] not in TAKES_SEATS or session["starts_at"] <= now():
        return
    waiting = (
        await Registration.select(Registration.id)
        .where(
            (Registration.session == session_id)
            & (Registration.status == RegistrationStatus.waitlisted.value)
        )
        .order_by(Registration.number)
        .limit(free)
        .run()
    )
    if not waiting:
        return
    await (
        Registration.update(
            {
                Registration.status: RegistrationStatus.confirmed.value,
                Registration.promoted_at: now(),
            }
        )
        .where(Registration.id.is_in([row["id"] for row in waiting]))
        .run()
    )
    await (
        TrainingSession.update(
            {TrainingSession.seats_taken: TrainingSession.seats_taken + len(waiting)}
        )
        .where(TrainingSession.id == session_id)
        .run()
    )


# --- leads, history, totals --------------------------------------------------------------


async def leads(viewer: Viewer) -> list[dict]:
    """Non-members who registered: people to enroll. Those enrolled since drop off the list."""
    unions = await visible_unions(viewer)
    await _link_enrolled()
    query = Registration.select(
        *ROSTER_COLUMNS,
        Registration.session.topic.as_alias("topic"),
        Registration.session.starts_at.as_alias("starts_at"),
    ).where(
        Registration.member.is_null() & (Registration.status != RegistrationStatus.cancelled.value)
    )
    if unions is not None:
        query = query.where(Registration.session.programme.union.is_in(list(unions) or [-1]))
    where = await _registrants_where(viewer)
    if where is not None:
        query = query.where(where)
    return await query.order_by(Registration.id, ascending=False).limit(500).run()


async def _link_enrolled() -> None:
    """Registrations by people who have since enrolled point at their member record."""
    for column in ("id_hash", "phone_hash"):
        async with db.transaction():
            await Registration.raw(
                f"UPDATE training_registration SET member = ("
                f" SELECT m.id FROM member m WHERE m.{column} = training_registration.{column}"
                f" ORDER BY m.id LIMIT 1)"
                f" WHERE member IS NULL AND {column} != '' AND EXISTS ("
                f" SELECT 1 FROM member m WHERE m.{column} = training_registration.{column})"
            )


async def lead_for_enrollment(viewer: Viewer, registration_id: int) -> dict:
    """What the registrant gave, to prefill the enrollment form."""
    require(viewer, ORGANIZERS)
    registration = await get_registration(viewer, registration_id)
    if registration["member"]:
        raise ValidationError({"registration": Msg("This person is already enrolled.")})
    secret = (
        await Registration.select(
            Registration.phone_encrypted, Registration.village, Registration.cooperative
        )
        .where(Registration.id == registration_id)
        .first()
        .run()
    )
    async with db.transaction():
        await audit.record(viewer.actor, "enroll_lead", "training_registration", registration_id)
    # The ID number is not carried over: the organizer types it from the person's card.
    return {
        "name": registration["name"],
        "phone": privacy.decrypt(secret["phone_encrypted"]),
        "village_id": secret["village"] or "",
        "cooperative_id": secret["cooperative"] or "",
    }


async def member_history(viewer: Viewer, member_id: int) -> list[dict]:
    """A member's trainings, newest first."""
    await members.get_member(viewer, member_id)
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
        .where(Registration.member == member_id)
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
