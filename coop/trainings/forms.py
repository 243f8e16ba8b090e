"""Typed input for the programme, session and registration forms."""

from __future__ import annotations

from collections.abc import Mapping

from coop.forms import choice_id, local_moment, whole_number
from coop.members.identity import check_mobile, check_resident_id
from coop.trainings.domain.inputs import ProgrammeInput, RegistrationInput, SessionInput
from coop.validation import Msg, ValidationError, clean_text

TITLE_MAX = 100
DESCRIPTION_MAX = 2000
PLACE_MAX = 200
LINK_MAX = 500
NAME_MAX = 50
HONEYPOT = "homepage"  # hidden from people; a bot that fills it is refused


def programme(data: Mapping) -> ProgrammeInput:
    errors: dict[str, Msg] = {}
    result = ProgrammeInput(
        title=clean_text(errors, "title", data.get("title"), max_length=TITLE_MAX),
        description=_paragraphs(errors, "description", data.get("description")),
        union_id=choice_id(
            errors, "union_id", data.get("union_id"), Msg("Choose a union from the list.")
        ),
    )
    if errors:
        raise ValidationError(errors)
    return result


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
    errors: dict[str, Msg] = {}
    capacity = (data.get("capacity") or "").strip()
    version = data.get("version") or ""
    result = SessionInput(
        topic=clean_text(errors, "topic", data.get("topic"), max_length=TITLE_MAX),
        trainer=clean_text(
            errors, "trainer", data.get("trainer"), max_length=TITLE_MAX, required=False
        ),
        starts_at=local_moment(errors, "starts_at", data.get("starts_at"), required=True),
        ends_at=local_moment(errors, "ends_at", data.get("ends_at"), required=True),
        place=clean_text(errors, "place", data.get("place"), max_length=PLACE_MAX, required=False),
        online_link=clean_text(
            errors, "online_link", data.get("online_link"), max_length=LINK_MAX, required=False
        ),
        capacity=whole_number(capacity, 0),
        audience=data.get("audience") or "",
        status=data.get("status") or "",
        registration_opens_at=local_moment(
            errors, "registration_opens_at", data.get("registration_opens_at"), required=False
        ),
        registration_closes_at=local_moment(
            errors, "registration_closes_at", data.get("registration_closes_at"), required=False
        ),
        version=whole_number(version, 0),
    )
    if whole_number(capacity) is None:
        errors["capacity"] = Msg("Enter a number of seats from 1 to {max}.", max=100_000)
    if errors:
        raise ValidationError(errors)
    return result


def registration(data: Mapping) -> RegistrationInput:
    errors: dict[str, Msg] = {}
    if data.get(HONEYPOT):
        errors["name"] = Msg("This registration could not be accepted.")
    village = (data.get("village_id") or "").strip()
    cooperative = (data.get("cooperative_id") or "").strip()
    result = RegistrationInput(
        name=clean_text(errors, "name", data.get("name"), max_length=NAME_MAX),
        phone=(data.get("phone") or "")[:40],
        village_id=whole_number(village),
        cooperative_id=whole_number(cooperative),
        resident_id=(data.get("resident_id") or "")[:40],
    )
    if whole_number(village) is None:
        errors["village_id"] = Msg("Choose a village from the list.")
    if errors:  # say everything wrong at once, not one field per attempt
        if error := check_mobile(result.phone)[1]:
            errors["phone"] = error
        if result.resident_id.strip() and (error := check_resident_id(result.resident_id).error):
            errors["resident_id"] = error
        raise ValidationError(errors)
    return result
