"""JSON API for trainings: sessions for organizers (bearer token) and public registration."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromQuery, HeaderParameter, JSONBody

from coop.access import Viewer
from coop.accounts import idempotency
from coop.accounts.guards import api_token, public_rate_limit
from coop.accounts.idempotency import KeyReused
from coop.api import OptionalRowIdParameter, RowId, RowIdParameter, problem
from coop.guards import provide_viewer
from coop.trainings import forms, queries
from coop.trainings.domain import planning, registration
from coop.validation import Msg


class SessionOut(msgspec.Struct):
    id: int
    programme_id: int
    programme: str
    topic: str
    trainer: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    time_zone: str
    place: str
    online_link: str
    capacity: int
    seats_taken: int
    audience: str
    status: str
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None
    public_path: str


class SessionIn(msgspec.Struct):
    programme_id: RowId
    topic: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    trainer: str = ""
    place: str = ""
    online_link: str = ""
    audience: str = "members"
    status: str = "draft"
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None


class RegistrationOut(msgspec.Struct):
    id: int
    number: int
    name: str
    phone_masked: str
    status: str
    walk_in: bool
    member_id: int | None
    village: str | None
    cooperative: str | None
    created_at: dt.datetime
    checked_in_at: dt.datetime | None
    village_other: str = ""  # no village of the list: 其他村 / 外地, as typed


class RegistrationIn(msgspec.Struct):
    name: str
    phone: str
    village_id: RowId | None = None  # required for members-only sessions
    cooperative_id: RowId | None = None
    resident_id: str = ""
    id_tail: str = ""  # members-only sessions: the last 4 characters of the member's ID number
    village_other: str = ""  # open sessions, no village_id: 其他村 / 外地, where from


class RegisteredOut(msgspec.Struct):
    code: str
    status: str
    waiting_position: int | None
    already_registered: bool


def _session_out(s: dict) -> SessionOut:
    return SessionOut(
        id=s["id"],
        programme_id=s["programme"],
        programme=s["programme_title"],
        topic=s["topic"],
        trainer=s["trainer"],
        starts_at=s["starts_at"],
        ends_at=s["ends_at"],
        time_zone=s["time_zone"],
        place=s["place"],
        online_link=s["online_link"],
        capacity=s["capacity"],
        seats_taken=s["seats_taken"],
        audience=s["audience"],
        status=s["status"],
        registration_opens_at=s["registration_opens_at"],
        registration_closes_at=s["registration_closes_at"],
        public_path=f"/r/{s['slug']}",
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A time without a zone is read in the sessions' zone (China Standard Time)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    from zoneinfo import ZoneInfo

    return moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))


class TrainingApiController(Controller):
    """Organizers' routes take a bearer token; registering is public and rate-limited."""

    path = "/api/v1/trainings/sessions"
    tags = ["trainings"]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", guards=[api_token], summary="Sessions of the programmes in the token owner's scope")
    async def list_sessions(
        self,
        viewer: NamedDependency[Viewer],
        programme_id: OptionalRowIdParameter = None,
        status: FromQuery[str] = "",
        upcoming: FromQuery[bool] = False,
    ) -> list[SessionOut]:
        found = await queries.sessions(viewer, programme_id, upcoming=upcoming)
        return [_session_out(s) for s in found if not status or s["status"] == status]

    @post(
        "/",
        guards=[api_token],
        summary="Create a session in a programme the token owner runs",
        status_code=201,
    )
    async def create_session(
        self, viewer: NamedDependency[Viewer], data: JSONBody[SessionIn]
    ) -> Response[SessionOut]:
        session_id = await planning.create_session(
            viewer,
            data.programme_id,
            forms.session_input(
                {},
                topic=data.topic,
                trainer=data.trainer,
                starts_at=_aware(data.starts_at),
                ends_at=_aware(data.ends_at),
                place=data.place,
                online_link=data.online_link,
                capacity=data.capacity,
                audience=data.audience,
                status=data.status,
                registration_opens_at=_aware(data.registration_opens_at),
                registration_closes_at=_aware(data.registration_closes_at),
            ),
        )
        session = await queries.get_session(viewer, session_id)
        return Response(
            _session_out(session),
            status_code=201,
            headers={"Location": f"/api/v1/trainings/sessions/{session_id}/registrations"},
        )

    @get(
        "/{session_id:int}/registrations",
        guards=[api_token],
        summary="A session's registrations, in order",
    )
    async def list_registrations(
        self, viewer: NamedDependency[Viewer], session_id: RowIdParameter
    ) -> list[RegistrationOut]:
        rows = await queries.full_registrations(viewer, session_id)
        return [
            RegistrationOut(
                id=r["id"],
                number=r["number"],
                name=r["name"],
                phone_masked=r["phone_masked"],
                status=r["status"],
                walk_in=bool(r["walk_in"]),
                member_id=r["member"],
                village=r["village_name"],
                cooperative=r["cooperative_name"],
                created_at=r["created_at"],
                checked_in_at=r["checked_in_at"],
                village_other=r["village_other"],
            )
            for r in rows
        ]

    @post(
        "/{session_id:int}/registrations",
        guards=[public_rate_limit],
        summary="Register for a session (no account; rate-limited)",
        status_code=201,
    )
    async def register(
        self,
        session_id: RowIdParameter,
        data: JSONBody[RegistrationIn],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", max_length=200)
        ] = None,
    ) -> Response[RegisteredOut]:
        """The public page's rules: window, capacity then waiting list, one registration
        per mobile number. With an Idempotency-Key a retry returns the first answer."""
        if not idempotency.usable_key(idempotency_key):
            raise HTTPException(status_code=400)
        session = await queries.public_session(session_id=session_id)
        registrant = forms.registration_input(
            {},
            name=data.name,
            phone=data.phone,
            village_id=data.village_id,
            cooperative_id=data.cooperative_id,
            resident_id=data.resident_id,
            id_tail=data.id_tail,
            village_other=data.village_other,
            village_required=session["audience"] != queries.Audience.anyone.value,
        )
        key = f"api:{idempotency_key}" if idempotency_key else None
        try:
            done = await registration.register(session, registrant, key)
        except KeyReused:
            detail = Msg("This Idempotency-Key was already used with different content.")
            return problem(422, detail)
        found = await queries.registration_by_code(session, done.code)
        return Response(
            RegisteredOut(
                code=done.code,
                status=done.status,
                waiting_position=found["position"],
                already_registered=done.already,
            ),
            status_code=200 if done.already else 201,
        )
