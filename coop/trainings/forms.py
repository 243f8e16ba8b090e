"""Typed input for the programme, session and registration forms.

`session_input` and `registration_input` take typed values and are the one check the HTML
forms and the JSON API (api.py) share: the same limits, the same field messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields

from coop.forms import choice_id, local_moment, raise_all, whole_number
from coop.members.identity import check_mobile, check_resident_id
from coop.trainings.domain.inputs import (
    CAPACITY_MAX,
    CODE_TYPED_MAX,
    DESCRIPTION_MAX,
    LINK_MAX,
    NAME_MAX,
    NUMBER_TYPED_MAX,
    OTHER_VILLAGE,
    PLACE_MAX,
    TITLE_MAX,
    VILLAGE_OTHER_MAX,
    ProgrammeInput,
    RegistrationInput,
    SessionInput,
)
from coop.validation import Msg, clean_text

HONEYPOT = "homepage"  # hidden from people; a bot that fills it is refused
SESSION_FIELDS = tuple(field.name for field in fields(SessionInput))  # the page's order


def programme(data: Mapping) -> ProgrammeInput:
    errors: dict[str, Msg] = {}
    result = ProgrammeInput(
        title=clean_text(errors, "title", data.get("title"), max_length=TITLE_MAX),
        description=_paragraphs(errors, "description", data.get("description")),
        union_id=choice_id(
            errors, "union_id", data.get("union_id"), Msg("Choose a union from the list.")
        ),
    )
    return raise_all(errors, result)


def _paragraphs(errors: dict[str, Msg], name: str, value: str | None) -> str:
    lines = [
        clean_text(errors, name, line, max_length=DESCRIPTION_MAX, required=False)
        for line in (value or "").splitlines()
    ]
    text = "\n".join(lines).strip()
    if len(text) > DESCRIPTION_MAX:
        errors[name] = Msg("At most {max} characters.", max=DESCRIPTION_MAX)
    return text


def session(data: Mapping) -> SessionInput:
    """The session form: times read on the union's clock, then `session_input`."""
    errors: dict[str, Msg] = {}
    return session_input(
        errors,
        topic=data.get("topic"),
        trainer=data.get("trainer"),
        starts_at=local_moment(errors, "starts_at", data.get("starts_at"), required=True),
        ends_at=local_moment(errors, "ends_at", data.get("ends_at"), required=True),
        place=data.get("place"),
        online_link=data.get("online_link"),
        capacity=whole_number(data.get("capacity")),
        audience=data.get("audience") or "",
        status=data.get("status") or "",
        registration_opens_at=local_moment(
            errors, "registration_opens_at", data.get("registration_opens_at"), required=False
        ),
        registration_closes_at=local_moment(
            errors, "registration_closes_at", data.get("registration_closes_at"), required=False
        ),
        version=whole_number(data.get("version"), 0),
    )


def session_input(
    errors: dict[str, Msg],
    *,
    topic: str | None,
    trainer: str | None,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    place: str | None,
    online_link: str | None,
    capacity: int | None,
    audience: str,
    status: str,
    registration_opens_at: dt.datetime | None = None,
    registration_closes_at: dt.datetime | None = None,
    version: int = 0,
) -> SessionInput:
    """A session as typed: text cleaned and held to its limits. `errors` holds what was
    found while reading the values; raises ValidationError naming every bad field."""
    result = SessionInput(
        topic=clean_text(errors, "topic", topic, max_length=TITLE_MAX),
        trainer=clean_text(errors, "trainer", trainer, max_length=TITLE_MAX, required=False),
        starts_at=starts_at,
        ends_at=ends_at,
        place=clean_text(errors, "place", place, max_length=PLACE_MAX, required=False),
        online_link=clean_text(
            errors, "online_link", online_link, max_length=LINK_MAX, required=False
        ),
        capacity=capacity if capacity is not None else 0,
        audience=audience,
        status=status,
        registration_opens_at=registration_opens_at,
        registration_closes_at=registration_closes_at,
        version=version,
    )
    for name, moment in (("starts_at", starts_at), ("ends_at", ends_at)):
        if moment is None:
            errors.setdefault(name, Msg("This field is required."))
    if capacity is None:
        errors["capacity"] = Msg("Enter a number of seats from 1 to {max}.", max=CAPACITY_MAX)
    # in the order of the page's fields
    return raise_all({name: errors[name] for name in SESSION_FIELDS if name in errors}, result)


def registration(data: Mapping, *, open_to_anyone: bool = False) -> RegistrationInput:
    """The public and walk-in forms: a bot's honeypot, the ids read, then
    `registration_input`. A session open to anyone also takes 其他村 / 外地 (the list's
    "other" choice, with the place as typed) or no village at all."""
    errors: dict[str, Msg] = {}
    if data.get(HONEYPOT):
        errors["name"] = Msg("This registration could not be accepted.")
    other = open_to_anyone and data.get("village_id") in ("", None, OTHER_VILLAGE)
    return registration_input(
        errors,
        name=data.get("name"),
        phone=data.get("phone") or "",
        village_id=None if other else whole_number(data.get("village_id")),
        cooperative_id=whole_number(data.get("cooperative_id")),
        resident_id=data.get("resident_id") or "",
        id_tail=data.get("id_tail") or "",
        village_other=data.get("village_other") or "",
        village_required=not open_to_anyone,
    )


def registration_input(
    errors: dict[str, Msg],
    *,
    name: str | None,
    phone: str,
    village_id: int | None,
    cooperative_id: int | None = None,
    resident_id: str = "",
    id_tail: str = "",
    village_other: str = "",
    village_required: bool = True,
) -> RegistrationInput:
    """A registrant as typed; raises ValidationError naming every bad field at once.
    Without `village_required` (a session open to anyone) the village may be none of the
    list's: `village_other` then keeps the place as typed."""
    other = clean_text(
        errors, "village_other", village_other, max_length=VILLAGE_OTHER_MAX, required=False
    )
    result = RegistrationInput(
        name=clean_text(errors, "name", name, max_length=NAME_MAX),
        phone=phone[:NUMBER_TYPED_MAX],
        village_id=village_id,
        cooperative_id=cooperative_id,
        resident_id=resident_id[:NUMBER_TYPED_MAX],
        id_tail=id_tail[:NUMBER_TYPED_MAX],
        village_other=other if village_id is None else "",
    )
    if village_id is None and village_required:
        errors["village_id"] = Msg("Choose a village from the list.")
    if errors:  # say everything wrong at once, not one field per attempt
        if error := check_mobile(result.phone)[1]:
            errors["phone"] = error
        if result.resident_id.strip() and (error := check_resident_id(result.resident_id).error):
            errors["resident_id"] = error
    return raise_all(errors, result)


def lookup(data: Mapping) -> tuple[str, str]:
    """A registrant finding or cancelling their registration: the code and the mobile number
    they typed."""
    code = (data.get("code") or "")[:CODE_TYPED_MAX]
    return code, (data.get("phone") or "")[:NUMBER_TYPED_MAX]
