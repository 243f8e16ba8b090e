"""Registering (报名) from the public page or the API: the window, a seat while there are
seats and then the waiting list, one registration per mobile number; and the registrant
cancelling with their code. Walk-ins and members registered by an organizer are written by
the same `_write_registration`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass

from coop import db, privacy
from coop.access import Viewer, actor_id, now
from coop.accounts import idempotency
from coop.forms import merge_errors, raise_all
from coop.members.identity import check_mobile, check_resident_id, name_keys
from coop.orgs import domain as orgs
from coop.trainings.domain.inputs import RegistrationInput
from coop.trainings.domain.seats import TAKES_SEATS, _cancel, _check_in_locked
from coop.trainings.queries import (
    Audience,
    RegistrationStatus,
    SessionStatus,
    _lock,
    _matching_member,
    find_registration,
    places,
)
from coop.trainings.tables import Registration, TrainingSession
from coop.validation import Msg, ValidationError

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud at the door
CODE_LENGTH = 8
ALREADY_REGISTERED = Msg(
    "This mobile number is already registered for this session. "
    "Use your registration code to see or cancel it."
)


@dataclass
class Registered:
    """The outcome a registrant sees: their code, and a seat or a place in the queue."""

    registration_id: int
    code: str
    status: str
    already: bool = False  # the phone was registered for this session before


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
    village_other: str = ""


async def _check_person(
    session: dict, data: RegistrationInput, form_errors: dict[str, Msg] | None = None
) -> _Person:
    """The registrant checked; `form_errors` (what the form already refused) are raised with
    every check here, so the page shows them all at once."""
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
    # Open to anyone means anyone: a village of the list, 其他村 / 外地 as typed, or none.
    anyone = session["audience"] == Audience.anyone.value
    if (data.village_id is None and not anyone) or (
        data.village_id is not None
        and data.village_id not in {v["id"] for v in choices["villages"]}
    ):
        errors["village_id"] = Msg("Choose a village from the list.")
    if data.cooperative_id is not None and data.cooperative_id not in {
        c["id"] for c in choices["cooperatives"]
    }:
        errors["cooperative_id"] = Msg("Choose a cooperative from the list.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
    person = _Person(
        name=data.name,
        phone_hash=privacy.keyed_hash("phone", phone),
        phone_encrypted=privacy.encrypt(phone),
        phone_masked=privacy.mask_phone(phone),
        phone_tail=phone[-4:],
        village_id=data.village_id,
        cooperative_id=data.cooperative_id,
        village_other=data.village_other if data.village_id is None else "",
    )
    if number:
        person.id_hash = privacy.keyed_hash("resident_id", number)
        person.id_encrypted = privacy.encrypt(number)
    member = await _matching_member(person.id_hash, person.phone_hash)
    federations = await orgs.federations_under(session["union_id"])
    # A mobile number alone confirms nobody: anyone may know a member's. Their whole ID
    # number does, or the mobile with its last 4 characters, which only they should know.
    if (
        member
        and member["federation"] in federations
        and (member["by_id"] or _id_tail(data.id_tail) == member["id_tail"])
    ):
        person.member_id = member["id"]
        person.village_id, person.cooperative_id = member["village"], member["cooperative"]
        person.village_other = ""
    elif session["audience"] == Audience.members.value:
        # The same answer whether or not the mobile number is a member's.
        raise ValidationError({"id_tail": _not_confirmed(session)})
    return person


def _not_confirmed(session: dict) -> Msg:
    return Msg(
        "This session is for members of {union} only. Give the mobile number the union has "
        "for you and the last 4 characters of your ID number, or your whole ID number.",
        union=session["union_name"],
    )


def _id_tail(typed: str) -> str:
    """The last 4 characters of an ID number as typed: full-width or spaced, x or X."""
    return "".join(unicodedata.normalize("NFKC", typed).split()).upper()[-4:]


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
    The same mobile number again returns the registration it already has, unless that one
    is not confirmed as a member's and this one is: then that one is disputed.
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
            await Registration.select(
                Registration.id, Registration.code, Registration.status, Registration.member
            )
            .where(
                (Registration.session == session_id)
                & (Registration.phone_hash == person.phone_hash)
                & Registration.disputed_at.is_null()
            )
            .first()
            .run()
        )
        if existing and person.member_id and not existing["member"]:
            # A confirmed member, and someone else gave their number first: that one is
            # disputed (the organizer sees it so), and the member gets their own.
            await (
                Registration.update({Registration.disputed_at: now()})
                .where(Registration.id == existing["id"])
                .run()
            )
            existing = None
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
                village_other=person.village_other,
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
    session: dict,
    data: RegistrationInput,
    submission_key: str | None = None,
    form_errors: dict[str, Msg] | None = None,
) -> Registered:
    """A registration from the public page or API: the same rules for both.

    Raises ValidationError (field messages, `form_errors` among them, or `session` when
    registration is not possible now) or idempotency.KeyReused.
    """
    payload = vars(data)
    key = f"register:{submission_key}" if submission_key and not form_errors else None
    result = None
    if key and (done := await idempotency.stored_result(key, None, payload)):
        result = Registered(**done)
    else:
        refusal = registration_refusal(session)
        if refusal:
            raise ValidationError({"session": refusal})
        person = await _check_person(session, data, form_errors)
        result = await _write_registration(
            session["id"], person, by=None, idempotency_key=key, payload=payload
        )
    if result.already:  # the code goes only to whoever registered: a phone number is no key
        raise ValidationError({"phone": ALREADY_REGISTERED})
    return result


# --- the registrant's own cancelling -----------------------------------------------


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
