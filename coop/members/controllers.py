"""Member pages: list and search, enroll, member page, approve, welcome packs, posts, leaving."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from coop.access import MANAGERS, Viewer, require, today
from coop.codes.gb_t_2260 import region_name
from coop.forms import id_list, read_all, whole_number
from coop.guards import organizers, provide_viewer
from coop.i18n import local_day, translate
from coop.members import choices, domain, exports, forms, imports, queries
from coop.members.domain import export_profiles
from coop.members.identity import age_on, check_resident_id
from coop.orgs import domain as orgs
from coop.spreadsheets import CSV_TYPE, XLSX_TYPE, attachment
from coop.validation import Msg, ValidationError
from coop.web import (
    DOWNLOAD_COOKIE,
    FormState,
    download_token,
    flash,
    form_or_stash,
    htmx_target,
    is_htmx,
    new_form_key,
    page,
    redirect,
    refuse,
    safe_next,
)

_FILTERS = (
    "q",
    "cooperative_id",
    "village_id",
    "status",
    "backbone",
    "first_batch",
    "welcome_pack_pending",
    "worker_post",
)


def _names() -> dict:
    return {
        "status_names": choices.STATUSES,
        "post_names": choices.POSTS,
        "sex_names": choices.SEXES,
        "ethnicity_names": choices.ETHNICITIES,
        "education_names": choices.EDUCATION,
        "coded": choices.CODED,
        "region_name": region_name,
        "event_names": choices.EVENTS,
    }


async def _places(viewer: Viewer) -> dict:
    return await orgs.places(viewer.scope, viewer.generation)


def _id_check(typed: str) -> dict:
    """What the ID number typed so far says (`checked`), and the age it gives."""
    checked = check_resident_id(typed) if typed.strip() else None
    return {"checked": checked, "age": checked.age_on(today()) if checked else None}


async def _enroll_page(
    viewer: Viewer, form: FormState, *, status_code: int = 200, taken=None
) -> object:
    cooperative_id = form.get("cooperative_id")
    recruiters = await queries.backbone_members(viewer, whole_number(cooperative_id))
    return page(
        "members/enroll.html",
        status_code=status_code,
        form=form,
        taken=taken,
        **_id_check(str(form.get("resident_id") or "")),
        recruiters=recruiters,
        can_approve=viewer.can_approve,
        **await _places(viewer),
        **_names(),
    )


def _import_upload_page(form: FormState, *, status_code: int = 200) -> object:
    return page(
        "members/import.html",
        status_code=status_code,
        form=form,
        max_mb=imports.MAX_BYTES // 1_000_000,
        max_rows=imports.MAX_ROWS,
    )


IMPORT_PAGE_ROWS = 100


async def _import_preview_page(
    viewer: Viewer, token: str, params, errors: dict | None = None, *, status_code: int = 200
) -> object:
    """The columns as matched, and what importing would do to each row (a page at a time)."""
    filename, sheet = await imports.load_upload(viewer, token)
    mapping = forms.import_mapping(params)
    if mapping is None:
        mapping = imports.guess_mapping(sheet.header)
    defaults = forms.import_defaults(params)
    form = FormState(
        {
            **{f"column_{name}": index for name, index in mapping.items()},
            "default_cooperative_id": defaults.cooperative_id or "",
            "default_village_id": defaults.village_id or "",
        },
        dict(errors or {}),
    )
    found = None
    try:
        found = await imports.preview(viewer, sheet, mapping, defaults)
    except ValidationError as error:
        form.errors.update({f"column_{name}": message for name, message in error.errors.items()})
        status_code = 422
    show = params.get("show") if params.get("show") in ("new", "existing", "error") else ""
    rows = [row for row in found.rows if not show or row.outcome == show] if found else []
    number = max(1, whole_number(params.get("page"), 1))
    start = (number - 1) * IMPORT_PAGE_ROWS
    query = {k: v for k, v in form.values.items() if v != ""}
    return page(
        "members/import_preview.html",
        status_code=status_code,
        token=token,
        filename=filename,
        columns=[(i, title or f"#{i + 1}") for i, title in enumerate(sheet.header)],
        fields=imports.FIELDS,
        form=form,
        found=found,
        show=show,
        rows=rows[start : start + IMPORT_PAGE_ROWS],
        page_number=number,
        has_next=len(rows) > start + IMPORT_PAGE_ROWS,
        page_link=lambda **change: "?" + urlencode({**query, "show": show, **change}),
        **await _places(viewer),
    )


def _profiles(request: Request) -> dict:
    """The export profiles: the built-in one and every good file of the data folder."""
    folder = request.app.state.settings.data_dir / "export-profiles"
    return export_profiles.load(folder, exports.profile_fields())[0]


async def _export_page(
    viewer: Viewer,
    params,
    form: FormState,
    *,
    keys: list[str] | None = None,
    status_code: int = 200,
    profiles: dict | None = None,
) -> object:
    """The export form for the list's filters in `params`; its columns `keys` as sent, else
    those of the template `params` names, else the standard set."""
    templates = await queries.roster_templates(viewer)
    if keys is None:
        wanted = params.get("template")
        keys = next((t["columns"] for t in templates if t["name"] == wanted), [])
    return page(
        "members/export.html",
        status_code=status_code,
        where=forms.member_filter(params),
        filters={k: v for k, v in params.items() if k in _FILTERS and v},
        columns={k: c for k, c in exports.COLUMNS.items() if k in exports.chosen([k], viewer)},
        chosen=exports.chosen(keys, viewer),
        profiles=profiles or {},
        templates=templates,
        can_see_full=viewer.can_approve,
        form=form,
        **await _places(viewer),
        **_names(),
    )


async def _changes_page(
    viewer: Viewer, member: dict, form: FormState, *, status_code: int = 200
) -> object:
    allowed = domain.allowed_changes(member["status"])
    return page(
        "members/changes.html",
        status_code=status_code,
        member=member,
        form=form,
        history=await queries.membership_changes(viewer, member["id"]),
        allowed=[c.value for c in allowed],
        kind_options=[(c.value, translate(choices.CHANGES[c.value])) for c in allowed],
        reason_options=[(code, f"{code} {translate(n)}") for code, n in choices.REASONS.items()],
        union_options=[
            (u["id"], u["name"])
            for u in await domain.receiving_unions(exclude=member["federation"])
        ],
        change_names=choices.CHANGES,
        reason_names=choices.REASONS,
        **_names(),
    )


async def _transfer_page(
    viewer: Viewer, transfer: dict, form: FormState, *, status_code: int = 200
) -> object:
    places = await domain.receiving_places(transfer["to_union"])
    return page(
        "members/transfer.html",
        status_code=status_code,
        transfer=transfer,
        form=form,
        places=places,
        village_options=[(v["id"], v["name"]) for v in places["villages"]],
        reason_names=choices.REASONS,
        transfer_status_names=choices.TRANSFER_STATUSES,
    )


def _policy_page(
    federation: dict, rules: dict, form: FormState, *, status_code: int = 200
) -> object:
    return page(
        "members/policy.html",
        status_code=status_code,
        federation=federation,
        rules=rules,
        form=form,
    )


class MemberController(Controller):
    include_in_schema = False
    path = "/members"
    guards = [organizers]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="members")
    async def list(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        where = forms.member_filter(request.query_params)
        found = await queries.search(viewer, where)
        query = {k: v for k, v in request.query_params.items() if k != "page" and v}
        context = dict(
            found=found,
            where=where,
            query=query,
            page_link=lambda n: "/members/?" + urlencode({**query, "page": n}),
            **_names(),
        )
        if htmx_target(request) == "results":
            return page("members/_rows.html", **context)
        return page("members/list.html", **await _places(viewer), **context)

    @get("/enroll")
    async def enroll_form(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        cooperatives = await orgs.cooperatives(viewer.scope)
        initial = {"submission_key": new_form_key()}
        if len(cooperatives) == 1:  # a village organizer's own cooperative, pre-selected
            initial |= {
                "cooperative_id": cooperatives[0]["id"],
                "village_id": cooperatives[0]["village"],
            }
        form = await form_or_stash(request, initial)
        if not form.get("submission_key"):
            form.values["submission_key"] = new_form_key()
        return await _enroll_page(viewer, form)

    @post("/enroll")
    async def enroll(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        data = await request.form()
        form = FormState.from_multidict(data)
        try:
            refused: dict = {}
            person = read_all(refused, forms.enrollment, data)
            member_id = await domain.enroll(viewer, person, data.get("submission_key"), refused)
        except ValidationError as error:
            form.errors = error.errors
            return await _enroll_page(viewer, form, status_code=422)
        except domain.AlreadyRegistered as taken:
            return await _enroll_page(viewer, form, status_code=409, taken=taken)
        flash(request, Msg("Saved as an applicant."))
        return redirect(request, f"/members/{member_id}")

    @post("/id-check")
    async def id_check(self, request: Request) -> object:
        """What the ID number typed so far says, for the live feedback under the field."""
        data = await request.form()
        return page("members/_id_check.html", **_id_check(data.get("resident_id", "")), **_names())

    @get("/recruiters")
    async def recruiters(
        self,
        viewer: NamedDependency[Viewer],
        cooperative_id: FromQuery[int] = 0,
        q: FromQuery[str] = "",
    ) -> object:
        return page(
            "members/_recruiters.html",
            recruiters=await queries.backbone_members(viewer, cooperative_id or None, q),
            form=FormState({}),
        )

    @get("/{member_id:int}")
    async def detail(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        return await _member_page(request, viewer, member_id)

    @post("/{member_id:int}/reveal")
    async def reveal(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        full_id = await domain.reveal_resident_id(viewer, member_id)
        return await _member_page(request, viewer, member_id, full_id=full_id)

    @post("/{member_id:int}/phone")
    async def phone(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        return await _member_page(
            request, viewer, member_id, full_phone=await domain.reveal_phone(viewer, member_id)
        )

    @post("/{member_id:int}/approve")
    async def approve_one(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        await queries.get_member(viewer, member_id)  # out of scope: 404
        result = await domain.approve(viewer, [member_id])
        if result.refused:
            flash(request, result.refused[member_id])
        else:
            flash(request, Msg("Approved."))
        return redirect(request, f"/members/{member_id}")

    @post("/approve")
    async def approve_many(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        data = await request.form()
        ids = id_list(data.getall("member_ids", []))
        result = await domain.approve(viewer, ids)
        if result.approved:
            flash(request, Msg("{n} approved.", n=len(result.approved)))
        for message in dict.fromkeys(result.refused.values()):
            count = sum(1 for m in result.refused.values() if m == message)
            flash(request, Msg("{n} not approved: {reason}", n=count, reason=translate(message)))
        if not ids:
            flash(request, Msg("Tick the applicants to approve."))
        return redirect(request, safe_next(data.get("next"), "/members/?status=applicant"))

    @get("/export")
    async def export_form(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        """Choose the format and columns of a roster of the list's current filters."""
        return await _export_page(
            viewer, request.query_params, FormState({}), profiles=_profiles(request)
        )

    @post("/export", status_code=200)
    async def export(self, request: Request, viewer: NamedDependency[Viewer]) -> Response:
        """The roster as a download, streamed; full numbers only when confirmed."""
        data = await request.form()
        where = forms.member_filter(data)
        keys = exports.chosen(data.getall("columns", []), viewer)
        full = data.get("full_numbers") == "1"
        file_format = "xlsx" if data.get("format") == "xlsx" else "csv"
        profile = _profiles(request).get(data.get("profile") or "")
        export = exports.RosterExport(viewer, where, keys, full, file_format, profile=profile)
        try:
            if name := forms.template_name(data):
                await domain.save_roster_template(viewer, name, keys)
            await queries.check_roster(viewer, where, full_numbers=full)
            if full and data.get("confirm") != "1":
                raise ValidationError({"confirm": Msg("Confirm that you need the full numbers.")})
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            return await _export_page(
                viewer, data, form, keys=keys, status_code=422, profiles=_profiles(request)
            )
        answer = Stream(
            export.chunks(),
            media_type=XLSX_TYPE if file_format == "xlsx" else CSV_TYPE,
            headers=attachment(exports.filename(file_format)),
        )
        if token := download_token(data.get("download")):
            # static/field.js watches for it: the file has started, "preparing…" can go
            answer.set_cookie(DOWNLOAD_COOKIE, token, max_age=60, httponly=False, samesite="lax")
        return answer

    @get("/import")
    async def import_form(self, viewer: NamedDependency[Viewer]) -> object:
        require(viewer, MANAGERS)
        return _import_upload_page(FormState({}))

    @post("/import")
    async def upload_roster(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        """Read the uploaded roster and keep its rows for the preview."""
        require(viewer, MANAGERS)
        upload = (await request.form()).get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationError({"file": Msg("Choose a file.")})
            sheet = await imports.read_upload(await upload.read())
        except ValidationError as error:
            return _import_upload_page(FormState({}, error.errors), status_code=422)
        token = await imports.save_upload(viewer, upload.filename, sheet)
        return redirect(request, f"/members/import/{token}")

    @get("/import/{token:str}")
    async def import_preview(
        self, request: Request, viewer: NamedDependency[Viewer], token: FromPath[str]
    ) -> object:
        return await _import_preview_page(viewer, token, request.query_params)

    @post("/import/{token:str}")
    async def import_roster(
        self, request: Request, viewer: NamedDependency[Viewer], token: FromPath[str]
    ) -> object:
        """Import the previewed rows, all in one transaction, then show them in the list."""
        data = await request.form()
        filename, sheet = await imports.load_upload(viewer, token)
        try:
            result = await imports.commit(
                viewer,
                sheet,
                forms.import_mapping(data) or {},
                forms.import_defaults(data),
                skip_errors=data.get("skip_errors") == "1",
                expected_new=whole_number(data.get("expected_new"), 0),
                filename=filename,
                upload_token=token,
            )
        except ValidationError as error:
            return await _import_preview_page(viewer, token, data, error.errors, status_code=422)
        flash(
            request,
            Msg(
                "Imported {created} new applicants; {existing} already registered, "
                "{skipped} rows with errors left out.",
                created=result.created,
                existing=result.existing,
                skipped=result.skipped,
            ),
        )
        return redirect(request, "/members/?status=applicant")

    @post("/import/{token:str}/drop")
    async def drop_import(
        self, request: Request, viewer: NamedDependency[Viewer], token: FromPath[str]
    ) -> object:
        await imports.drop_upload(viewer, token)
        flash(request, Msg("The import was dropped; nothing was imported."))
        return redirect(request, "/members/import")

    @get("/welcome-packs")
    async def welcome_packs(
        self,
        viewer: NamedDependency[Viewer],
        village_id: FromQuery[int] = 0,
        issued_id: FromQuery[int] = 0,
    ) -> object:
        """The members waiting for their pack; `issued_id`: the one just ticked without
        JavaScript, named at the top with its undo button."""
        issued = None
        if issued_id:
            issued = await queries.get_member(viewer, issued_id)
            if not issued["welcome_pack_at"] or local_day(issued["welcome_pack_at"]) != today():
                issued = None
        return page(
            "members/welcome_packs.html",
            members=await queries.pending_welcome_packs(viewer, village_id or None),
            pending=await queries.pending_welcome_pack_count(viewer, village_id or None),
            issued=issued,
            today=today(),
            village_id=village_id,
            villages=await orgs.villages(viewer.scope),
            **_names(),
        )

    @post("/{member_id:int}/welcome-pack")
    async def issue_welcome_pack(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        return await _welcome_pack_answer(request, viewer, member_id, domain.issue_welcome_pack)

    @post("/{member_id:int}/welcome-pack/undo")
    async def undo_welcome_pack(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        return await _welcome_pack_answer(request, viewer, member_id, domain.undo_welcome_pack)

    @post("/{member_id:int}/post")
    async def record_post(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        data = await request.form()
        try:
            await domain.record_post(viewer, member_id, *forms.new_post(data))
        except ValidationError as error:
            return await _member_page(
                request, viewer, member_id, post_form=FormState.from_multidict(data, error.errors)
            )
        flash(request, Msg("Saved."))
        return redirect(request, f"/members/{member_id}")

    @get("/{member_id:int}/edit")
    async def edit_form(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        member = await queries.get_member(viewer, member_id)
        initial = {
            **member,
            "phone": "",  # shown masked; left empty, the stored number stays
            "village_id": member["village"],
            "recruited_by_id": member["recruited_by"] or "",
            "is_backbone": "1" if member["is_backbone"] else "",
            "migrant_worker": "1" if member["migrant_worker"] else "",
        }
        form = await form_or_stash(request, initial)
        return await _edit_page(viewer, member, form)

    @post("/{member_id:int}/edit/phone")
    async def edit_with_phone(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        """The edit form again, as typed so far, with the full phone number in it (audited)."""
        member = await queries.get_member(viewer, member_id)
        form = FormState.from_multidict(await request.form())
        form.values["phone"] = await domain.reveal_phone(viewer, member_id)
        return await _edit_page(viewer, member, form)

    @post("/{member_id:int}/edit")
    async def update(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        member = await queries.get_member(viewer, member_id)
        data = await request.form()
        try:
            refused: dict = {}
            changes = read_all(refused, forms.changes, data)
            await domain.update_member(viewer, member_id, changes, refused)
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            if "version" in error.errors:  # show the current details beside what was typed
                form.values["version"] = member["version"]
            return await _edit_page(viewer, member, form, status_code=422)
        flash(request, Msg("Saved."))
        return redirect(request, f"/members/{member_id}")

    @get("/{member_id:int}/changes")
    async def changes_form(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        member = await queries.get_member(viewer, member_id)
        require(viewer, MANAGERS)
        form = await form_or_stash(
            request, {"on_date": today().isoformat(), "version": member["version"]}
        )
        return await _changes_page(viewer, member, form)

    @post("/{member_id:int}/changes")
    async def record_change(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        member = await queries.get_member(viewer, member_id)
        require(viewer, MANAGERS)
        data = await request.form()
        try:
            change = forms.membership_change(data)
            await domain.record_change(viewer, member_id, change)
        except ValidationError as error:
            form = FormState.from_multidict(data, error.errors)
            if "version" in error.errors:
                form.values["version"] = member["version"]
            return await _changes_page(viewer, member, form, status_code=422)
        if change.kind == domain.Change.transfer_out and change.to_union_id:
            flash(request, Msg("Transfer sent: it waits for the receiving union to accept it."))
        else:
            flash(request, Msg("Saved."))
        return redirect(request, f"/members/{member_id}/changes")

    @get("/transfers", name="transfers")
    async def transfers(self, viewer: NamedDependency[Viewer]) -> object:
        found = await domain.transfers(viewer)
        return page(
            "members/transfers.html",
            **found,
            reason_names=choices.REASONS,
            transfer_status_names=choices.TRANSFER_STATUSES,
        )

    @get("/transfers/{transfer_id:int}")
    async def transfer(
        self, request: Request, viewer: NamedDependency[Viewer], transfer_id: FromPath[int]
    ) -> object:
        transfer = await domain.get_transfer(viewer, transfer_id)
        return await _transfer_page(viewer, transfer, await form_or_stash(request, {}))

    @post("/transfers/{transfer_id:int}/accept")
    async def accept_transfer(
        self, request: Request, viewer: NamedDependency[Viewer], transfer_id: FromPath[int]
    ) -> object:
        return await _decide_transfer(request, viewer, transfer_id, "accept")

    @post("/transfers/{transfer_id:int}/refuse")
    async def refuse_transfer(
        self, request: Request, viewer: NamedDependency[Viewer], transfer_id: FromPath[int]
    ) -> object:
        return await _decide_transfer(request, viewer, transfer_id, "refuse")

    @post("/transfers/{transfer_id:int}/cancel")
    async def cancel_transfer(
        self, request: Request, viewer: NamedDependency[Viewer], transfer_id: FromPath[int]
    ) -> object:
        return await _decide_transfer(request, viewer, transfer_id, "cancel")

    @get("/policy/{federation_id:int}")
    async def policy_form(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        federation = await orgs.federation_for_edit(viewer.scope, federation_id)
        rules = await queries.policy(viewer, federation_id)
        form = await form_or_stash(
            request,
            {
                "card_prefix": rules["card_prefix"],
                "backbone_first": "1" if rules["backbone_first"] else "",
            },
        )
        return _policy_page(federation, rules, form)

    @post("/policy/{federation_id:int}")
    async def set_policy(
        self, request: Request, viewer: NamedDependency[Viewer], federation_id: FromPath[int]
    ) -> object:
        federation = await orgs.federation_for_edit(viewer.scope, federation_id)
        data = await request.form()
        try:
            await domain.set_policy(
                viewer,
                federation_id,
                data.get("card_prefix", ""),
                data.get("backbone_first") == "1",
            )
        except ValidationError as error:
            rules = await queries.policy(viewer, federation_id)
            form = FormState.from_multidict(data, error.errors)
            return _policy_page(federation, rules, form, status_code=422)
        flash(request, Msg("Saved."))
        return redirect(request, f"/members/policy/{federation_id}")


async def _member_page(
    request: Request,
    viewer: Viewer,
    member_id: int,
    *,
    full_id: str = "",
    full_phone: str = "",
    post_form: FormState | None = None,
) -> object:
    record = await queries.member_record(viewer, member_id)
    member = record.member
    return page(
        "members/detail.html",
        status_code=422 if post_form else 200,
        member=member,
        full_id=full_id,
        full_phone=full_phone,
        age=age_on(member["birth_date"], today()),
        events=record.events,
        recruits=record.recruits,
        posts=record.posts,
        post_form=post_form or FormState({"started_on": today().isoformat()}),
        can_approve=viewer.can_approve,
        today=today(),
        **_names(),
    )


async def _welcome_pack_answer(request: Request, viewer: Viewer, member_id: int, action) -> object:
    """htmx swaps the button in place; a plain POST goes back to where it came from."""
    data = await request.form()
    error = None
    try:
        member = await action(viewer, member_id)
    except ValidationError as refused:
        member = await queries.get_member(viewer, member_id)
        error = next(iter(refused.errors.values()))
    back = urlsplit(safe_next(data.get("next"), f"/members/{member_id}"))
    from_list = back.path == "/members/welcome-packs"
    village_id = whole_number(dict(parse_qsl(back.query)).get("village_id", "")) or None
    if is_htmx(request):
        return page(
            "members/_welcome_pack.html",
            member=member,
            pack_error=error,
            today=today(),
            next=data.get("next", ""),
            pending_oob=await queries.pending_welcome_pack_count(viewer, village_id)
            if from_list
            else None,
        )
    if error:
        refuse(request, error)
    elif from_list and action is domain.issue_welcome_pack:
        query = [(k, v) for k, v in parse_qsl(back.query) if k != "issued_id"]
        back = back._replace(query=urlencode([*query, ("issued_id", member_id)]))
    elif from_list:
        flash(
            request,
            Msg("The welcome pack of {name} is no longer marked issued.", name=member["name"]),
        )
    return redirect(request, urlunsplit(back))


async def _decide_transfer(
    request: Request, viewer: Viewer, transfer_id: int, action: str
) -> object:
    """Accept, refuse or cancel; a second tap, or the other side deciding first, comes back
    with the decision already made, and nothing changes twice."""
    transfer = await domain.get_transfer(viewer, transfer_id)
    data = await request.form()
    try:
        if action == "accept":
            await domain.accept_transfer(viewer, transfer_id, *forms.acceptance(data))
            done = Msg("Transfer accepted: the member is on your roll with a new card number.")
        elif action == "refuse":
            await domain.refuse_transfer(viewer, transfer_id, data.get("refusal", ""))
            done = Msg("Transfer refused.")
        else:
            await domain.cancel_transfer(viewer, transfer_id)
            done = Msg("Transfer cancelled.")
    except ValidationError as error:
        transfer = await domain.get_transfer(viewer, transfer_id)
        form = FormState.from_multidict(data, error.errors)
        return await _transfer_page(viewer, transfer, form, status_code=422)
    flash(request, done)
    return redirect(request, "/members/transfers")


async def _edit_page(
    viewer: Viewer, member: dict, form: FormState, *, status_code: int = 200
) -> object:
    return page(
        "members/edit.html",
        status_code=status_code,
        member=member,
        form=form,
        recruiters=[
            r
            for r in await queries.backbone_members(viewer, member["cooperative"])
            if r["id"] != member["id"]
        ],
        villages=await orgs.villages(viewer.scope),
        can_approve=viewer.can_approve,
        **_names(),
    )
