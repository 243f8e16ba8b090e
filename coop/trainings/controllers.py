"""Training pages: programmes and sessions for organizers, check-in at the door, and
the public registration pages opened from a QR code."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from coop.access import Viewer
from coop.accounts import idempotency
from coop.accounts.guards import public_rate_limit
from coop.forms import as_local_input, id_list
from coop.guards import organizers, provide_viewer
from coop.i18n import format_moment, translate
from coop.members import choices as member_choices
from coop.members import domain as members
from coop.members import forms as member_forms
from coop.orgs import domain as orgs
from coop.spreadsheets import XLSX_TYPE, attachment, xlsx
from coop.trainings import domain, forms
from coop.trainings.tables import Registration, TrainingSession
from coop.validation import Msg, ValidationError
from coop.web import (
    STASHED_FORM,
    FormState,
    flash,
    flash_refusal,
    form_or_stash,
    invalid,
    is_htmx,
    new_form_key,
    page,
    redirect,
    safe_next,
)

SESSION_STATUSES = {
    TrainingSession.Status.draft.value: Msg("Draft"),
    TrainingSession.Status.open.value: Msg("Open for registration"),
    TrainingSession.Status.closed.value: Msg("Registration closed"),
    TrainingSession.Status.held.value: Msg("Held"),
    TrainingSession.Status.cancelled.value: Msg("Cancelled"),
}
AUDIENCES = {
    TrainingSession.Audience.members.value: Msg("Members of the union only"),
    TrainingSession.Audience.anyone.value: Msg("Anyone (non-members become enrollment leads)"),
}
REGISTRATION_STATUSES = {
    Registration.Status.confirmed.value: Msg("Confirmed"),
    Registration.Status.waitlisted.value: Msg("Waiting list"),
    Registration.Status.cancelled.value: Msg("Cancelled"),
}
NAMES = dict(
    session_statuses=SESSION_STATUSES,
    audiences=AUDIENCES,
    registration_statuses=REGISTRATION_STATUSES,
)


def _values(data) -> dict:
    return {k: data.getall(k) for k in data}


def public_url(request: Request, session: dict) -> str:
    return f"{str(request.base_url).rstrip('/')}/r/{session['slug']}"


def _session_form_values(session: dict) -> dict:
    values = {k: v for k, v in session.items() if isinstance(v, str | int)}
    for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
        values[name] = as_local_input(session[name], session["time_zone"])
    return values


# --- organizers --------------------------------------------------------------------


class TrainingController(Controller):
    include_in_schema = False
    path = "/trainings"
    guards = [organizers]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="trainings")
    async def index(self, viewer: NamedDependency[Viewer]) -> object:
        return page(
            "trainings/index.html",
            programmes=await domain.programmes(viewer),
            upcoming=await domain.sessions(viewer, upcoming=True),
            can_manage=viewer.can_approve,
            **NAMES,
        )

    @get("/programmes/new")
    async def new_programme(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        unions = await domain.owning_unions(viewer)
        initial = {"union_id": unions[0]["id"]} if len(unions) == 1 else {}
        initial["submission_key"] = new_form_key()
        return page(
            "trainings/programme_form.html",
            form=await form_or_stash(request, initial),
            unions=unions,
            programme=None,
        )

    @post("/programmes/new")
    async def create_programme(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        data = await request.form()
        try:
            programme_id = await idempotency.created_once(
                data.get("submission_key"),
                viewer.id,
                _values(data),
                lambda: domain.save_programme(viewer, forms.programme(data)),
            )
        except ValidationError as error:
            unions = await domain.owning_unions(viewer)
            return invalid(
                "trainings/programme_form.html", data, error, unions=unions, programme=None
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/programmes/{programme_id}")

    @get("/programmes/{programme_id:int}")
    async def programme(
        self, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        return page(
            "trainings/programme.html",
            programme=await domain.get_programme(viewer, programme_id),
            sessions=await domain.sessions(viewer, programme_id),
            totals=await domain.programme_totals(viewer, programme_id),
            **NAMES,
        )

    @get("/programmes/{programme_id:int}/edit")
    async def edit_programme(
        self, request: Request, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        programme = await domain.programme_for_edit(viewer, programme_id)
        initial = {**programme, "union_id": programme["union"]}
        return page(
            "trainings/programme_form.html",
            form=await form_or_stash(request, initial),
            unions=await domain.owning_unions(viewer),
            programme=programme,
        )

    @post("/programmes/{programme_id:int}/edit")
    async def update_programme(
        self, request: Request, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        programme = await domain.programme_for_edit(viewer, programme_id)
        data = await request.form()
        try:
            await domain.save_programme(viewer, forms.programme(data), programme_id)
        except ValidationError as error:
            unions = await domain.owning_unions(viewer)
            return invalid(
                "trainings/programme_form.html", data, error, unions=unions, programme=programme
            )
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
        programme = await domain.programme_for_edit(viewer, programme_id)
        initial = {"capacity": "50", "status": "draft", "audience": "members"}
        if copy:
            source = await domain.get_session(viewer, copy)
            initial = {**_session_form_values(source), "status": "draft"}
        initial["submission_key"] = new_form_key()
        return page(
            "trainings/session_form.html",
            form=await form_or_stash(request, initial),
            programme=programme,
            session=None,
            **NAMES,
        )

    @post("/programmes/{programme_id:int}/sessions/new")
    async def create_session(
        self, request: Request, viewer: NamedDependency[Viewer], programme_id: FromPath[int]
    ) -> object:
        programme = await domain.programme_for_edit(viewer, programme_id)
        data = await request.form()
        try:
            session_id = await idempotency.created_once(
                data.get("submission_key"),
                viewer.id,
                _values(data),
                lambda: domain.create_session(viewer, programme_id, forms.session(data)),
            )
        except ValidationError as error:
            return invalid(
                "trainings/session_form.html",
                data,
                error,
                programme=programme,
                session=None,
                **NAMES,
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/sessions/{session_id}")

    @get("/sessions/{session_id:int}")
    async def session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await domain.get_session(viewer, session_id)
        return page(
            "trainings/session.html",
            session=session,
            figures=await domain.figures(session_id),
            registrations=await domain.roster(viewer, session_id),
            public_url=public_url(request, session),
            **NAMES,
        )

    @get("/sessions/{session_id:int}/edit")
    async def edit_session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await domain.session_for_edit(viewer, session_id)
        return page(
            "trainings/session_form.html",
            form=await form_or_stash(request, _session_form_values(session)),
            programme={"id": session["programme"], "title": session["programme_title"]},
            session=session,
            **NAMES,
        )

    @post("/sessions/{session_id:int}/edit")
    async def update_session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await domain.session_for_edit(viewer, session_id)
        data = await request.form()
        try:
            await domain.update_session(viewer, session_id, forms.session(data))
        except ValidationError as error:
            return invalid(
                "trainings/session_form.html",
                data,
                error,
                programme={"id": session["programme"], "title": session["programme_title"]},
                session=await domain.get_session(viewer, session_id),
                **NAMES,
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/trainings/sessions/{session_id}")

    @post("/sessions/{session_id:int}/cancel")
    async def cancel_session(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        try:
            await domain.cancel_session(viewer, session_id)
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
        session = await domain.get_session(viewer, session_id)
        q = q.strip()[:40]
        context = dict(
            session=session,
            q=q,
            registrations=await domain.roster(viewer, session_id, q),
            figures=await domain.figures(session_id),
            **NAMES,
        )
        if request.headers.get("hx-target", "").endswith("#roster"):
            return page("trainings/_roster.html", **context)
        places = await domain.places(session)
        return page(
            "trainings/check_in.html",
            form=await form_or_stash(request, {}),
            **places,
            **context,
        )

    @post("/sessions/{session_id:int}/check-in-code")
    async def check_in_code(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        data = await request.form()
        try:
            registration = await domain.check_in_by_code(viewer, session_id, data.get("code", ""))
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("{name} is checked in.", name=registration["name"]))
        return redirect(request, f"/trainings/sessions/{session_id}/check-in")

    @post("/sessions/{session_id:int}/walk-in")
    async def walk_in(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await domain.get_session(viewer, session_id)
        data = await request.form()
        try:
            await domain.add_walk_in(viewer, session_id, forms.registration(data))
        except ValidationError as error:
            return invalid(
                "trainings/check_in.html",
                data,
                error,
                session=session,
                q="",
                registrations=await domain.roster(viewer, session_id),
                figures=await domain.figures(session_id),
                **await domain.places(session),
                **NAMES,
            )
        flash(request, Msg("Added and checked in."))
        return redirect(request, f"/trainings/sessions/{session_id}/check-in")

    @post("/registrations/{registration_id:int}/check-in")
    async def check_in(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        return await _roster_answer(request, viewer, registration_id, domain.check_in)

    @post("/registrations/{registration_id:int}/undo-check-in")
    async def undo_check_in(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        return await _roster_answer(request, viewer, registration_id, domain.undo_check_in)

    @post("/registrations/{registration_id:int}/cancel")
    async def cancel_registration(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        registration = await domain.get_registration(viewer, registration_id)
        try:
            await domain.cancel_registration(viewer, registration_id)
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("Registration of {name} cancelled.", name=registration["name"]))
        data = await request.form()
        return redirect(
            request,
            safe_next(data.get("next"), f"/trainings/sessions/{registration['session']}"),
        )

    @post("/registrations/{registration_id:int}/notified")
    async def notified(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        registration = await domain.mark_notified(viewer, registration_id)
        return redirect(request, f"/trainings/sessions/{registration['session']}")

    @get("/sessions/{session_id:int}/poster")
    async def poster(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await domain.get_session(viewer, session_id)
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
            session=await domain.get_session(viewer, session_id),
            registrations=await domain.full_roster(viewer, session_id),
        )

    @get("/sessions/{session_id:int}/sign-in-sheet.xlsx")
    async def sign_in_sheet_xlsx(
        self, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> Response:
        session = await domain.get_session(viewer, session_id)
        registrations = await domain.full_roster(viewer, session_id)
        header = [
            translate(name)
            for name in (
                Msg("No."),
                Msg("Full name"),
                Msg("Village"),
                Msg("Cooperative"),
                Msg("Mobile"),
                Msg("Walk-in"),
                Msg("Checked in"),
                Msg("Signature"),
            )
        ]
        yes = translate(Msg("Yes"))
        rows = (
            [
                n,
                r["name"],
                r["village_name"] or "",
                r["cooperative_name"] or "",
                r["phone_masked"],
                yes if r["walk_in"] else "",
                format_moment(r["checked_in_at"], "short", session["time_zone"]),
                "",
            ]
            for n, r in enumerate(registrations, start=1)
        )
        day = format_moment(session["starts_at"], "yyyy-MM-dd", session["time_zone"])
        return Response(
            xlsx(translate(Msg("Sign-in sheet")), header, rows),
            media_type=XLSX_TYPE,
            headers=attachment(f"{translate(Msg('Sign-in sheet'))} {day} {session['topic']}.xlsx"),
        )

    @get("/sessions/{session_id:int}/add-members")
    async def add_members_page(
        self, request: Request, viewer: NamedDependency[Viewer], session_id: FromPath[int]
    ) -> object:
        session = await domain.get_session(viewer, session_id)
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
        await domain.get_session(viewer, session_id)  # out of scope: 404, ticked or not
        data = await request.form()
        ids = id_list(data.getall("member_ids", []))
        if not ids:
            flash(request, Msg("Tick the members to register."))
            return redirect(request, f"/trainings/sessions/{session_id}/add-members")
        try:
            result = await domain.register_members(viewer, session_id, ids)
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
        return page("trainings/leads.html", leads=await domain.leads(viewer), **NAMES)

    @post("/registrations/{registration_id:int}/enroll")
    async def enroll_lead(
        self, request: Request, viewer: NamedDependency[Viewer], registration_id: FromPath[int]
    ) -> object:
        """Open the enrollment form filled in with what the registrant gave."""
        try:
            lead = await domain.lead_for_enrollment(viewer, registration_id)
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
        history = await domain.member_history(viewer, member_id)
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
        registration = await action(viewer, registration_id)
    except ValidationError as error:
        flash_refusal(request, error)
        registration = await domain.get_registration(viewer, registration_id)
        return redirect(request, f"/trainings/sessions/{registration['session']}/check-in")
    session_id = registration["session"]
    if is_htmx(request):
        return page(
            "trainings/_registration.html",
            r=registration,
            session=await domain.get_session(viewer, session_id),
            figures=await domain.figures(session_id),
            oob=True,
            **NAMES,
        )
    back = f"/trainings/sessions/{session_id}/check-in"
    return redirect(request, safe_next(data.get("next"), back))


# --- the public ----------------------------------------------------------------------


class PublicRegistrationController(Controller):
    """No account: a farmer opens the page from a QR code, registers, and may cancel."""

    include_in_schema = False
    path = "/r"
    guards = [public_rate_limit]

    @get("/{slug:str}")
    async def session_page(self, request: Request, slug: FromPath[str]) -> object:
        session = await domain.public_session(slug)
        form = await form_or_stash(request, {})
        form.values.setdefault("submission_key", idempotency.new_signed_key())
        return await _public_page(session, form)

    @post("/{slug:str}")
    async def register(self, request: Request, slug: FromPath[str]) -> object:
        session = await domain.public_session(slug)
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
            registered = await domain.register(session, forms.registration(data), key)
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            if not idempotency.is_signed_key(key) or isinstance(error, idempotency.KeyReused):
                form.values["submission_key"] = idempotency.new_signed_key()
            return await _public_page(session, form, status_code=422)
        return redirect(request, f"/r/{slug}/registration/{registered.code}")

    @get("/{slug:str}/registration/{code:str}")
    async def registration(self, slug: FromPath[str], code: FromPath[str]) -> object:
        session = await domain.public_session(slug)
        return page(
            "trainings/public_status.html",
            session=session,
            registration=await domain.registration_by_code(session, code[:20]),
            form=FormState({}),
            **NAMES,
        )

    @post("/{slug:str}/cancel")
    async def cancel(self, request: Request, slug: FromPath[str]) -> object:
        session = await domain.public_session(slug)
        data = await request.form()
        code = data.get("code", "")[:20]
        try:
            await domain.cancel_by_registrant(session, code, data.get("phone", "")[:40])
        except ValidationError as error:
            return page(
                "trainings/public_find.html",
                status_code=422,
                session=session,
                form=FormState.from_multidict(data, error.errors),
                cancelling=True,
            )
        flash(request, Msg("Your registration is cancelled."))
        return redirect(request, f"/r/{slug}/registration/{code.strip().upper()}")

    @get("/{slug:str}/find")
    async def find_form(self, slug: FromPath[str]) -> object:
        return page(
            "trainings/public_find.html",
            session=await domain.public_session(slug),
            form=FormState({}),
            cancelling=False,
        )

    @post("/{slug:str}/find")
    async def find(self, request: Request, slug: FromPath[str]) -> object:
        session = await domain.public_session(slug)
        data = await request.form()
        try:
            code = await domain.find_registration(
                session, data.get("code", "")[:20], data.get("phone", "")[:40]
            )
        except ValidationError as error:
            return page(
                "trainings/public_find.html",
                status_code=422,
                session=session,
                form=FormState.from_multidict(data, error.errors),
                cancelling=False,
            )
        return redirect(request, f"/r/{slug}/registration/{code}")

    @get("/{slug:str}/qr.svg")
    async def qr_code(self, request: Request, slug: FromPath[str]) -> Response:
        session = await domain.public_session(slug)
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
    return page(
        "trainings/public.html",
        status_code=status_code,
        session=session,
        form=form,
        refusal=domain.registration_refusal(session),
        seats_left=max(0, session["capacity"] - session["seats_taken"]),
        **await domain.places(session),
        **NAMES,
    )
