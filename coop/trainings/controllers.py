"""Training pages: programmes and sessions for organizers, check-in at the door, and
the public registration pages opened from a QR code."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery

from coop.access import Viewer
from coop.accounts import idempotency
from coop.accounts.guards import public_rate_limit
from coop.forms import as_local_input, id_list, read_all
from coop.guards import organizers, provide_viewer
from coop.i18n import translate
from coop.members import choices as member_choices
from coop.members import domain as members
from coop.members import forms as member_forms
from coop.orgs import domain as orgs
from coop.spreadsheets import XLSX_TYPE, attachment, xlsx
from coop.trainings import exports, forms, queries
from coop.trainings.choices import NAMES
from coop.trainings.domain import (
    attendance,
    lead_enrollment,
    member_registration,
    planning,
    registration,
)
from coop.trainings.domain.inputs import (
    CODE_TYPED_MAX,
    OTHER_VILLAGE,
    SEARCH_MAX,
    VILLAGE_OTHER_MAX,
)
from coop.validation import Msg, ValidationError
from coop.web import (
    STASHED_FORM,
    FormState,
    flash,
    flash_refusal,
    form_or_stash,
    htmx_target,
    invalid,
    is_htmx,
    new_form_key,
    page,
    redirect,
    safe_next,
)

PROGRAMME_FORM = "trainings/programme_form.html"
SESSION_FORM = "trainings/session_form.html"
CHECK_IN = "trainings/check_in.html"


def _values(data) -> dict:
    return {k: data.getall(k) for k in data}


def public_url(request: Request, session: dict) -> str:
    return f"{str(request.base_url).rstrip('/')}/r/{session['slug']}"


def _session_form_values(session: dict) -> dict:
    values = {k: v for k, v in session.items() if isinstance(v, str | int)}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        values[name] = as_local_input(session[name], session["time_zone"])
    return values


# --- the form pages: one context per page, for its GET and for its 422 answer --------------


async def _programme_form(viewer: Viewer, programme: dict | None) -> dict:
    return dict(unions=await queries.owning_unions(viewer), programme=programme)


def _session_form(programme: dict, session: dict | None) -> dict:
    return dict(programme=programme, session=session, **NAMES)


def _programme_of(session: dict) -> dict:
    return {"id": session["programme"], "title": session["programme_title"]}


async def _check_in(viewer: Viewer, session: dict, q: str = "") -> dict:
    """The check-in page's roster and figures (the whole of `_roster.html`)."""
    return dict(
        session=session,
        q=q,
        registrations=await queries.roster(viewer, session["id"], q),
        figures=await queries.figures(session["id"]),
        **NAMES,
    )


# --- organizers --------------------------------------------------------------------


def _submission_key(data) -> str | None:
    """The form's one-time key; one no form of ours could have sent is a bad request."""
    key = data.get("submission_key")
    if not idempotency.usable_key(key):
        raise HTTPException(status_code=400)
    return key


class TrainingController(Controller):
    include_in_schema = False
    path = "/trainings"
    guards = [organizers]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="trainings")
    async def index(self, viewer: NamedDependency[Viewer]) -> object:
        return page(
            "trainings/index.html",
            programmes=await queries.programmes(viewer),
            upcoming=await queries.sessions(viewer, upcoming=True),
            can_manage=viewer.can_approve,
            **NAMES,
        )

    @get("/programmes/new")
    async def new_programme(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        context = await _programme_form(viewer, None)
        unions = context["unions"]
        initial = {"union_id": unions[0]["id"]} if len(unions) == 1 else {}
        initial["submission_key"] = new_form_key()
        return page(PROGRAMME_FORM, form=await form_or_stash(request, initial), **context)

    @post("/programmes/new")
    async def create_programme(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        data = await request.form()
        refused: dict = {}
        try:
            programme_id = await idempotency.created_once(
                _submission_key(data),
                viewer.id,
                _values(data),
                lambda: planning.save_programme(
                    viewer, read_all(refused, forms.programme, data), form_errors=refused
                ),
            )
        except ValidationError as error:
            return invalid(PROGRAMME_FORM, data, error, **await _programme_form(viewer, None))
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/programmes/{programme_id}")

    @get("/programmes/{programme_id:int}")
    async def programme(
        self, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        return page(
            "trainings/programme.html",
            programme=await queries.get_programme(viewer, programme_id),
            sessions=await queries.sessions(viewer, programme_id),
            totals=await queries.programme_totals(viewer, programme_id),
            **NAMES,
        )

    @get("/programmes/{programme_id:int}/edit")
    async def edit_programme(
        self, request: Request, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        programme = await queries.programme_for_edit(viewer, programme_id)
        initial = {**programme, "union_id": programme["union"]}
        return page(
            PROGRAMME_FORM,
            form=await form_or_stash(request, initial),
            **await _programme_form(viewer, programme),
        )

    @post("/programmes/{programme_id:int}/edit")
    async def update_programme(
        self, request: Request, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        programme = await queries.programme_for_edit(viewer, programme_id)
        data = await request.form()
        refused: dict = {}
        try:
            changes = read_all(refused, forms.programme, data)
            await planning.save_programme(viewer, changes, programme_id, refused)
        except ValidationError as error:
            return invalid(PROGRAMME_FORM, data, error, **await _programme_form(viewer, programme))
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/programmes/{programme_id}")

    @get("/programmes/{programme_id:int}/sessions/new")
    async def new_session(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        programme_id: FromPath[int],
        copy: FromQuery[int] = 0,
    ) -> object:
        """A new session; `copy` starts from an existing one (duplicate)."""
        programme = await queries.programme_for_edit(viewer, programme_id)
        initial = {"capacity": "50", "status": "draft", "audience": "members"}
        if copy:
            source = await queries.get_session(viewer, copy)
            initial = {**_session_form_values(source), "status": "draft"}
        initial["submission_key"] = new_form_key()
        form = await form_or_stash(request, initial)
        return page(SESSION_FORM, form=form, **_session_form(programme, None))

    @post("/programmes/{programme_id:int}/sessions/new")
    async def create_session(
        self, request: Request, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        programme = await queries.programme_for_edit(viewer, programme_id)
        data = await request.form()
        refused: dict = {}
        try:
            session_id = await idempotency.created_once(
                _submission_key(data),
                viewer.id,
                _values(data),
                lambda: planning.create_session(
                    viewer, programme_id, read_all(refused, forms.session, data), refused
                ),
            )
        except ValidationError as error:
            return invalid(SESSION_FORM, data, error, **_session_form(programme, None))
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/sessions/{session_id}")

    @get("/sessions/{session_id:int}")
    async def session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await queries.get_session(viewer, session_id)
        return page(
            "trainings/session.html",
            session=session,
            figures=await queries.figures(session_id),
            registrations=await queries.roster(viewer, session_id),
            public_url=public_url(request, session),
            **NAMES,
        )

    @get("/sessions/{session_id:int}/edit")
    async def edit_session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await queries.session_for_edit(viewer, session_id)
        form = await form_or_stash(request, _session_form_values(session))
        return page(SESSION_FORM, form=form, **_session_form(_programme_of(session), session))

    @post("/sessions/{session_id:int}/edit")
    async def update_session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await queries.session_for_edit(viewer, session_id)
        data = await request.form()
        refused: dict = {}
        try:
            changes = read_all(refused, forms.session, data)
            await planning.update_session(viewer, session_id, changes, refused)
        except ValidationError as error:
            current = await queries.get_session(viewer, session_id)  # the version saved meanwhile
            context = _session_form(_programme_of(session), current)
            return invalid(SESSION_FORM, data, error, **context)
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/sessions/{session_id}")

    @post("/sessions/{session_id:int}/cancel")
    async def cancel_session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        try:
            await planning.cancel_session(viewer, session_id)
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("The session is cancelled. Tell the people listed below."))
        return redirect(request, f"/trainings/sessions/{session_id}")

    @get("/sessions/{session_id:int}/check-in")
    async def check_in_page(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        session_id: FromPath[int],
        q: FromQuery[str] = "",
    ) -> object:
        session = await queries.get_session(viewer, session_id)
        context = await _check_in(viewer, session, q.strip()[:SEARCH_MAX])
        if htmx_target(request) == "roster":
            return page("trainings/_roster.html", **context)
        places = await queries.places(session)
        return page(CHECK_IN, form=await form_or_stash(request, {}), **places, **context)

    @post("/sessions/{session_id:int}/check-in-code")
    async def check_in_code(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        data = await request.form()
        try:
            found = await attendance.check_in_by_code(viewer, session_id, data.get("code", ""))
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("{name} is checked in.", name=found["name"]))
        return redirect(request, f"/trainings/sessions/{session_id}/check-in")

    @post("/sessions/{session_id:int}/walk-in")
    async def walk_in(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await queries.get_session(viewer, session_id)
        data = await request.form()
        try:
            refused: dict = {}
            person = read_all(refused, forms.registration, data)
            await attendance.add_walk_in(viewer, session_id, person, refused)
        except ValidationError as error:
            places = await queries.places(session)
            return invalid(CHECK_IN, data, error, **places, **await _check_in(viewer, session))
        flash(request, Msg("Added and checked in."))
        return redirect(request, f"/trainings/sessions/{session_id}/check-in")

    @post("/registrations/{registration_id:int}/check-in")
    async def check_in(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        return await _roster_answer(request, viewer, registration_id, attendance.check_in)

    @post("/registrations/{registration_id:int}/undo-check-in")
    async def undo_check_in(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        return await _roster_answer(request, viewer, registration_id, attendance.undo_check_in)

    @post("/registrations/{registration_id:int}/cancel")
    async def cancel_registration(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        found = await queries.get_registration(viewer, registration_id)
        try:
            await attendance.cancel_registration(viewer, registration_id)
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("Registration of {name} cancelled.", name=found["name"]))
        data = await request.form()
        back = f"/trainings/sessions/{found['session']}"
        return redirect(request, safe_next(data.get("next"), back))

    @post("/registrations/{registration_id:int}/notified")
    async def notified(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        found = await planning.mark_notified(viewer, registration_id)
        return redirect(request, f"/trainings/sessions/{found['session']}")

    @get("/sessions/{session_id:int}/poster")
    async def poster(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await queries.get_session(viewer, session_id)
        return page(
            "trainings/poster.html",
            session=session,
            public_url=public_url(request, session),
            **NAMES,
        )

    @get("/sessions/{session_id:int}/sign-in-sheet")
    async def sign_in_sheet(
        self, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        return page(
            "trainings/sign_in_sheet.html",
            session=await queries.get_session(viewer, session_id),
            registrations=await queries.full_roster(viewer, session_id),
        )

    @get("/sessions/{session_id:int}/sign-in-sheet.xlsx")
    async def sign_in_sheet_xlsx(
        self, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> Response:
        session = await queries.get_session(viewer, session_id)
        registrations = await queries.full_roster(viewer, session_id)
        header, rows = exports.sign_in_sheet(session, registrations)
        return Response(
            xlsx(translate(exports.SIGN_IN_SHEET), header, rows),
            media_type=XLSX_TYPE,
            headers=attachment(exports.sign_in_sheet_name(session)),
        )

    @get("/sessions/{session_id:int}/add-members")
    async def add_members_page(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await queries.get_session(viewer, session_id)
        where = member_forms.member_filter(request.query_params)
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return page(
            "trainings/add_members.html",
            session=session,
            where=where,
            page_link=lambda n: "?" + urlencode({**query, "page": n}),
            found=await members.search(viewer, where),
            cooperatives=await orgs.cooperatives(viewer.scope),
            villages=await orgs.villages(viewer.scope),
            status_names=member_choices.STATUSES,
            **NAMES,
        )

    @post("/sessions/{session_id:int}/add-members")
    async def add_members(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        await queries.get_session(viewer, session_id)  # out of scope: 404, ticked or not
        data = await request.form()
        ids = id_list(data.getall("member_ids", []))
        if not ids:
            flash(request, Msg("Tick the members to register."))
            return redirect(request, f"/trainings/sessions/{session_id}/add-members")
        try:
            result = await member_registration.register_members(viewer, session_id, ids)
        except ValidationError as error:
            flash_refusal(request, error)
            return redirect(request, f"/trainings/sessions/{session_id}")
        flash(
            request,
            Msg(
                "{confirmed} registered, {waitlisted} on the waiting list, "
                "{already} already registered, {refused} not eligible.",
                **vars(result),
            ),
        )
        return redirect(request, f"/trainings/sessions/{session_id}")

    @get("/leads")
    async def leads(self, viewer: NamedDependency[Viewer]) -> object:
        return page("trainings/leads.html", leads=await queries.leads(viewer), **NAMES)

    @post("/registrations/{registration_id:int}/enroll")
    async def enroll_lead(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        """Open the enrollment form filled in with what the registrant gave."""
        try:
            lead = await lead_enrollment.lead_for_enrollment(viewer, registration_id)
        except ValidationError as error:
            flash_refusal(request, error)
            return redirect(request, "/trainings/leads")
        values = {k: [str(v)] for k, v in lead.items()}
        request.session[STASHED_FORM] = {"path": "/members/enroll", "values": values}
        return redirect(request, "/members/enroll")

    @get("/members/{member_id:int}")
    async def member_history(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        """A member's trainings: a part of the member page, or a page of its own."""
        history = await queries.member_history(viewer, member_id)
        template = (
            "trainings/_member_history.html"
            if is_htmx(request)
            else "trainings/member_history.html"
        )
        member = await members.get_member(viewer, member_id)
        return page(template, history=history, member=member, **NAMES)


async def _roster_answer(request: Request, viewer: Viewer, registration_id: int, action) -> object:
    """One roster line after a tap: the new line for htmx, else the check-in page again."""
    data = await request.form()
    try:
        found = await action(viewer, registration_id)
    except ValidationError as error:
        flash_refusal(request, error)
        found = await queries.get_registration(viewer, registration_id, door=True)
        return redirect(request, f"/trainings/sessions/{found['session']}/check-in")
    session_id = found["session"]
    back = f"/trainings/sessions/{session_id}/check-in"
    if "code" not in found:  # someone else's person, checked in by code: their name only
        flash(request, Msg("Check-in of {name} undone.", name=found["name"]))
        return redirect(request, back)
    if is_htmx(request):
        return page(
            "trainings/_registration.html",
            r=found,
            session=await queries.get_session(viewer, session_id),
            figures=await queries.figures(session_id),
            oob=True,
            **NAMES,
        )
    return redirect(request, safe_next(data.get("next"), back))


# --- the public ----------------------------------------------------------------------


class PublicRegistrationController(Controller):
    """No account: a farmer opens the page from a QR code, registers, and may cancel.

    The page: queries.public_session, domain/registration.py, templates/trainings/public*.html.
    """

    include_in_schema = False
    path = "/r"
    guards = [public_rate_limit]

    @get("/{slug:str}")
    async def session_page(self, request: Request, slug: FromPath[str]) -> object:
        session = await queries.public_session(slug)
        form = await form_or_stash(request, {})
        form.values.setdefault("submission_key", idempotency.new_signed_key())
        return await _public_page(session, form)

    @post("/{slug:str}")
    async def register(self, request: Request, slug: FromPath[str]) -> object:
        session = await queries.public_session(slug)
        data = await request.form()
        key = data.get("submission_key", "")
        try:
            if not idempotency.is_signed_key(key):
                raise ValidationError(
                    {
                        "submission_key": Msg(
                            "This form is no longer valid. Check it and send it again."
                        )
                    }
                )
            refused: dict = {}
            person = read_all(
                refused,
                forms.registration,
                data,
                open_to_anyone=session["audience"] == queries.Audience.anyone.value,
            )
            registered = await registration.register(session, person, key, refused)
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            if not idempotency.is_signed_key(key) or isinstance(error, idempotency.KeyReused):
                form.values["submission_key"] = idempotency.new_signed_key()
            return await _public_page(session, form, status_code=422)
        return redirect(request, f"/r/{slug}/registration/{registered.code}")

    @get("/{slug:str}/registration/{code:str}")
    async def registration(self, slug: FromPath[str], code: FromPath[str]) -> object:
        session = await queries.public_session(slug)
        return page(
            "trainings/public_status.html",
            session=session,
            registration=await queries.registration_by_code(session, code[:CODE_TYPED_MAX]),
            form=FormState({}),
            **NAMES,
        )

    @post("/{slug:str}/cancel")
    async def cancel(self, request: Request, slug: FromPath[str]) -> object:
        session = await queries.public_session(slug)
        data = await request.form()
        code, phone = forms.lookup(data)
        try:
            await registration.cancel_by_registrant(session, code, phone)
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            return _find_page(session, form, cancelling=True, status_code=422)
        flash(request, Msg("Your registration is cancelled."))
        return redirect(request, f"/r/{slug}/registration/{code.strip().upper()}")

    @get("/{slug:str}/find")
    async def find_form(self, slug: FromPath[str]) -> object:
        return _find_page(await queries.public_session(slug), FormState({}), cancelling=False)

    @post("/{slug:str}/find")
    async def find(self, request: Request, slug: FromPath[str]) -> object:
        session = await queries.public_session(slug)
        data = await request.form()
        try:
            code = await queries.find_registration(session, *forms.lookup(data))
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            return _find_page(session, form, cancelling=False, status_code=422)
        return redirect(request, f"/r/{slug}/registration/{code}")

    @get("/{slug:str}/qr.svg")
    async def qr_code(self, request: Request, slug: FromPath[str]) -> Response:
        session = await queries.public_session(slug)
        buffer = io.BytesIO()
        segno.make(public_url(request, session), error="m").save(
            buffer, kind="svg", scale=8, border=2, xmldecl=False
        )
        return Response(
            buffer.getvalue(),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )


async def _public_page(session: dict, form: FormState, status_code: int = 200) -> object:
    """The registration page, for its GET and its 422 answer."""
    return page(
        "trainings/public.html",
        status_code=status_code,
        session=session,
        form=form,
        refusal=registration.registration_refusal(session),
        seats_left=max(0, session["capacity"] - session["seats_taken"]),
        other_village=OTHER_VILLAGE,
        village_other_max=VILLAGE_OTHER_MAX,
        **await queries.places(session),
        **NAMES,
    )


def _find_page(session: dict, form: FormState, *, cancelling: bool, status_code=200) -> object:
    """Finding (or cancelling) a registration by its code and mobile number."""
    return page(
        "trainings/public_find.html",
        status_code=status_code,
        session=session,
        form=form,
        cancelling=cancelling,
    )
