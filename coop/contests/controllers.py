"""Contest pages: set-up and results for organizers, scoring for judges, public results."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException
from litestar.params import FromPath, FromQuery

from coop.access import MANAGERS, Viewer, require
from coop.accounts import idempotency
from coop.accounts.guards import public_rate_limit
from coop.contests import domain, exports, forms
from coop.contests.tables import Contest, Criterion
from coop.forms import as_local_input, id_list, read_all, whole_number
from coop.guards import organizers, provide_viewer, signed_in
from coop.i18n import translate
from coop.members import domain as members
from coop.orgs import domain as orgs
from coop.spreadsheets import XLSX_TYPE, attachment, xlsx
from coop.validation import Msg, NotFound, ValidationError
from coop.web import (
    FormState,
    flash,
    flash_refusal,
    form_or_stash,
    is_htmx,
    new_form_key,
    page,
    redirect,
)

STATUSES = {
    Contest.Status.draft.value: Msg("Draft"),
    Contest.Status.entries_open.value: Msg("Entries open"),
    Contest.Status.judging.value: Msg("Judging"),
    Contest.Status.locked.value: Msg("Results locked"),
    Contest.Status.published.value: Msg("Results published"),
}
NEXT_STEP = {
    Contest.Status.draft.value: Msg("Open entries"),
    Contest.Status.entries_open.value: Msg("Open judging (freezes the scheme and the judges)"),
    Contest.Status.judging.value: Msg("Lock the results"),
    Contest.Status.locked.value: Msg("Publish the results"),
}
# What each step does: asked before it (the confirmation page), said after it (the flash).
STEP_CONSEQUENCE = {
    Contest.Status.draft.value: Msg("Once entries are open, members can be entered."),
    Contest.Status.entries_open.value: Msg(
        "Once judging starts, the marking scheme and the judge panel are frozen and cannot "
        "change; the judges can start scoring."
    ),
    Contest.Status.judging.value: Msg(
        "Once locked, no score or figure can change; every entry's total, place and award "
        "are stored."
    ),
    Contest.Status.locked.value: Msg(
        "Once published, anyone with the link can see the results page."
    ),
}
STEP_DONE = {
    Contest.Status.entries_open.value: Msg("Entries are open: members can now be entered."),
    Contest.Status.judging.value: Msg(
        "Judging has started: the marking scheme and the judge panel are frozen."
    ),
    Contest.Status.locked.value: Msg(
        "The results are locked: no score or figure can change any more."
    ),
    Contest.Status.published.value: Msg(
        "The results are published: anyone with the link can see them."
    ),
}
KINDS = {
    Criterion.Kind.judged.value: Msg("Judged: each judge scores"),
    Criterion.Kind.measured.value: Msg("Measured: a figure entered once"),
}
# The forms' input limits, from the domain (for the templates' maxlength attributes).
LIMITS = dict(
    title=domain.TITLE_MAX,
    text=domain.TEXT_MAX,
    criterion_name=domain.CRITERION_NAME_MAX,
    unit=domain.UNIT_MAX,
    products=domain.PRODUCTS_MAX,
    link=domain.LINK_MAX,
    search=domain.SEARCH_MAX,
    tie_breaks=domain.TIE_BREAKS,
)
NAMES = dict(statuses=STATUSES, next_step=NEXT_STEP, kinds=KINDS, limits=LIMITS)
WINDOWS = ("entries_open_at", "entries_close_at", "judging_open_at", "judging_close_at")


def _tiers_text(tiers) -> str:
    return "\n".join(f"{name} {count}" if count else name for name, count in tiers)


def _contest_form_values(contest: domain.ContestView) -> dict:
    values = {"title": contest.title, "description": contest.description}
    values |= {"version": contest.version, "union_id": contest.union}
    values |= {name: as_local_input(getattr(contest, name)) for name in WINDOWS}
    values |= {
        "award_tiers": _tiers_text(contest.tiers),
        "allow_teams": "1" if contest.allow_teams else "",
        "trimmed_mean": "1" if contest.trimmed_mean else "",
        "ties_go_up": "1" if contest.ties_go_up else "0",
    }
    return values


def _bounced(data, error: ValidationError) -> FormState:
    """A refused form with what was typed; a form key already used for other content is
    replaced, so the corrected form can go."""
    form = FormState.from_multidict(data, error.errors)
    if "submission_key" in error.errors:
        form.values["submission_key"] = new_form_key()
    return form


def _measured(scheme: list[dict]) -> list[dict]:
    return [c for c in scheme if c["kind"] == Criterion.Kind.measured]


def _submission_key(data) -> str | None:
    """The form's one-time key; one no form of ours could have sent is a bad request."""
    key = data.get("submission_key")
    if not idempotency.usable_key(key):
        raise HTTPException(status_code=400)
    return key


class ContestController(Controller):
    include_in_schema = False
    path = "/contests"
    guards = [organizers]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="contests")
    async def index(self, viewer: NamedDependency[Viewer]) -> object:
        return page(
            "contests/index.html",
            contests=await domain.contests(viewer),
            can_manage=viewer.can_approve,
            **NAMES,
        )

    @get("/new")
    async def new(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        require(viewer, MANAGERS)
        unions = await orgs.running_unions(viewer.scope)
        initial = {
            "award_tiers": "一等奖 1\n二等奖 2\n三等奖 3\n优秀奖",
            "ties_go_up": "1",
            "union_id": unions[0]["id"] if len(unions) == 1 else "",
            "submission_key": new_form_key(),
        }
        form = await form_or_stash(request, initial)
        return await _contest_page(viewer, form, None, unions=unions)

    @post("/new")
    async def create(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        data = await request.form()
        refused: dict = {}
        try:
            contest_id = await idempotency.created_once(
                _submission_key(data),
                viewer.id,
                {k: data.getall(k) for k in data},
                lambda: domain.save_contest(
                    viewer, read_all(refused, forms.contest, data), form_errors=refused
                ),
            )
        except ValidationError as error:
            return await _contest_page(viewer, _bounced(data, error), None, status_code=422)
        flash(request, Msg("Saved. Now set the marking scheme and the judges."))
        return redirect(request, f"/contests/{contest_id}/scheme")

    @get("/{contest_id:int}")
    async def detail(self, viewer: NamedDependency[Viewer], contest_id: FromPath[int]) -> object:
        contest = await domain.get_contest(viewer, contest_id)
        scheme = await domain.criteria(contest_id)
        return page(
            "contests/detail.html",
            contest=contest,
            criteria=scheme,
            weights=domain.weights_total(scheme),
            judges=await domain.judges(contest_id),
            entries=await domain.visible_entries(viewer, contest),
            counts=await domain.entry_counts(viewer, contest),
            **NAMES,
        )

    @get("/{contest_id:int}/edit")
    async def edit(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        contest = await domain.contest_for_edit(viewer, contest_id)
        form = await form_or_stash(request, _contest_form_values(contest))
        return await _contest_page(viewer, form, contest)

    @post("/{contest_id:int}/edit")
    async def update(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        contest = await domain.contest_for_edit(viewer, contest_id)
        data = await request.form()
        try:
            refused: dict = {}
            changes = read_all(refused, forms.contest, data)
            await domain.save_contest(viewer, changes, contest_id, refused)
        except ValidationError as error:
            return await _contest_page(viewer, _bounced(data, error), contest, status_code=422)
        flash(request, Msg("Saved."))
        return redirect(request, f"/contests/{contest_id}")

    @get("/{contest_id:int}/advance")
    async def confirm_advance(
        self, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        """The second tap of a step that cannot be undone: what it will do, then confirm."""
        contest = await domain.contest_for_edit(viewer, contest_id)
        if contest.status not in NEXT_STEP:
            raise NotFound
        return page(
            "contests/advance.html",
            contest=contest,
            consequence=STEP_CONSEQUENCE[contest.status],
            **NAMES,
        )

    @post("/{contest_id:int}/advance")
    async def advance(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        data = await request.form()
        expected = data.get("expected")
        try:
            status = await domain.advance(
                viewer, contest_id, expected=expected if expected in STATUSES else None
            )
        except ValidationError as error:
            for message in error.errors.values():
                flash(request, message)
        else:
            flash(request, STEP_DONE[status])
        return redirect(request, f"/contests/{contest_id}")

    # --- marking scheme and judges ---------------------------------------------------

    @get("/{contest_id:int}/scheme")
    async def scheme(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        initial = {"kind": "judged", "submission_key": new_form_key()}
        return await _scheme_page(viewer, contest_id, await form_or_stash(request, initial))

    @post("/{contest_id:int}/criteria")
    async def add_criterion(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        await domain.contest_for_edit(viewer, contest_id)
        data = await request.form()
        refused: dict = {}
        try:
            await idempotency.created_once(
                _submission_key(data),
                viewer.id,
                {k: data.getall(k) for k in data},
                lambda: domain.save_criterion(
                    viewer, contest_id, read_all(refused, forms.criterion, data), None, refused
                ),
            )
        except ValidationError as error:
            return await _scheme_page(viewer, contest_id, _bounced(data, error), status_code=422)
        return redirect(request, f"/contests/{contest_id}/scheme")

    @post("/{contest_id:int}/criteria/{criterion_id:int}/delete")
    async def delete_criterion(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        criterion_id: FromPath[int],
    ) -> object:
        try:
            await domain.delete_criterion(viewer, contest_id, criterion_id)
        except ValidationError as error:
            flash_refusal(request, error)
        return redirect(request, f"/contests/{contest_id}/scheme")

    @post("/{contest_id:int}/tie-breaks")
    async def tie_breaks(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        data = await request.form()
        chosen = [data.get(f"tie_break_{n}", "") for n in range(1, domain.TIE_BREAKS + 1)]
        try:
            await domain.set_tie_breaks(viewer, contest_id, id_list(chosen))
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("Saved."))
        return redirect(request, f"/contests/{contest_id}/scheme")

    @post("/{contest_id:int}/judges")
    async def add_judge(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        data = await request.form()
        user_id = data.get("user_id", "")
        try:
            await domain.add_judge(viewer, contest_id, whole_number(user_id, 0))
        except ValidationError as error:
            flash_refusal(request, error)
        return redirect(request, f"/contests/{contest_id}/scheme")

    @post("/{contest_id:int}/judges/{user_id:int}/remove")
    async def remove_judge(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        user_id: FromPath[int],
    ) -> object:
        try:
            await domain.remove_judge(viewer, contest_id, user_id)
        except ValidationError as error:
            flash_refusal(request, error)
        return redirect(request, f"/contests/{contest_id}/scheme")

    @post("/{contest_id:int}/judges/{user_id:int}/reopen")
    async def reopen_sheet(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        user_id: FromPath[int],
    ) -> object:
        try:
            await domain.reopen_sheet(viewer, contest_id, user_id)
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("The judge's sheet is open again."))
        return redirect(request, f"/contests/{contest_id}/results")

    # --- entries ---------------------------------------------------------------------

    @get("/{contest_id:int}/entries/new")
    async def new_entry(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        q: FromQuery[str] = "",
        member_id: FromQuery[int] = 0,
    ) -> object:
        initial = {"member_ids": [str(member_id)]} if member_id else {}
        form = await form_or_stash(request, initial)
        return await _entry_page(viewer, contest_id, form, q.strip()[: domain.SEARCH_MAX])

    @post("/{contest_id:int}/entries/new")
    async def create_entry(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        data = await request.form()
        try:
            refused: dict = {}
            entry = read_all(refused, forms.entry, data)
            await domain.enter(viewer, contest_id, entry, refused)
        except ValidationError as error:
            return await _entry_page(viewer, contest_id, _bounced(data, error), "", status_code=422)
        flash(request, Msg("Entered."))
        return redirect(request, f"/contests/{contest_id}")

    @get("/{contest_id:int}/entries/{entry_id:int}")
    async def entry(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        entry_id: FromPath[int],
    ) -> object:
        return await _figures_page(viewer, contest_id, entry_id, await form_or_stash(request, {}))

    @post("/{contest_id:int}/entries/{entry_id:int}/figures")
    async def record_figures(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        entry_id: FromPath[int],
    ) -> object:
        await domain.contest_for_edit(viewer, contest_id)
        data = await request.form()
        try:
            values = forms.figures(data, _measured(await domain.criteria(contest_id)))
            for criterion_id, figure in values.items():
                await domain.record_figure(viewer, contest_id, entry_id, criterion_id, figure)
        except ValidationError as error:
            form = _bounced(data, error)
            return await _figures_page(viewer, contest_id, entry_id, form, status_code=422)
        flash(request, Msg("Saved."))
        return redirect(request, f"/contests/{contest_id}/entries/{entry_id}")

    # --- results ---------------------------------------------------------------------

    @get("/{contest_id:int}/results")
    async def results(self, viewer: NamedDependency[Viewer], contest_id: FromPath[int]) -> object:
        return page(
            "contests/results.html",
            sheet=await domain.results_sheet(viewer, contest_id),
            **NAMES,
        )

    @get("/{contest_id:int}/results/print")
    async def results_print(
        self, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        return page(
            "contests/results_print.html",
            sheet=await domain.results_sheet(viewer, contest_id),
            **NAMES,
        )

    @get("/{contest_id:int}/results.xlsx")
    async def results_xlsx(
        self, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> Response:
        sheet = await domain.results_sheet(viewer, contest_id)
        title = translate(Msg("Results"))
        return Response(
            xlsx(title, exports.results_header(sheet), exports.results_rows(sheet)),
            media_type=XLSX_TYPE,
            headers=attachment(f"{sheet.contest.title} {title}.xlsx"),
        )

    @get("/members/{member_id:int}")
    async def member_entries(
        self, request: Request, viewer: NamedDependency[Viewer], member_id: FromPath[int]
    ) -> object:
        """A member's contest entries and awards: part of the member page, or its own page."""
        template = "contests/_member_entries.html" if is_htmx(request) else "contests/member.html"
        return page(
            template,
            member=await members.get_member(viewer, member_id),
            rows=await domain.member_entries(viewer, member_id),
            open_contests=[
                c
                for c in await domain.contests(viewer)
                if c["status"] == Contest.Status.entries_open.value
            ],
            **NAMES,
        )


async def _contest_page(
    viewer: Viewer,
    form: FormState,
    contest: domain.ContestView | None,
    status_code: int = 200,
    unions: list[dict] | None = None,
) -> object:
    """The contest form: new (contest None) or editing one."""
    require(viewer, MANAGERS)
    return page(
        "contests/form.html",
        status_code=status_code,
        form=form,
        unions=unions if unions is not None else await orgs.running_unions(viewer.scope),
        contest=contest,
        **NAMES,
    )


async def _scheme_page(
    viewer: Viewer, contest_id: int, form: FormState, status_code: int = 200
) -> object:
    contest = await domain.get_contest(viewer, contest_id)
    scheme = await domain.criteria(contest_id)
    return page(
        "contests/scheme.html",
        status_code=status_code,
        contest=contest,
        criteria=scheme,
        weights=domain.weights_total(scheme),
        judges=await domain.judges(contest_id),
        candidates=await domain.judge_candidates(viewer) if contest.can_manage else [],
        form=form,
        **NAMES,
    )


async def _entry_page(
    viewer: Viewer, contest_id: int, form: FormState, q: str, status_code: int = 200
) -> object:
    contest = await domain.get_contest(viewer, contest_id)
    found = await members.search(viewer, members.MemberFilter(q=q, status="member"))
    chosen = set(id_list([str(v) for v in form.getlist("member_ids")]))
    listed = {m["id"] for m in found.rows}
    extra = []
    for member_id in chosen - listed:
        try:
            extra.append(await members.get_member(viewer, member_id))
        except NotFound:  # not theirs to enter; the form comes back without it
            continue
    return page(
        "contests/entry_form.html",
        status_code=status_code,
        contest=contest,
        form=form,
        q=q,
        candidates=extra + found.rows,
        chosen=chosen,
        **NAMES,
    )


async def _figures_page(
    viewer: Viewer, contest_id: int, entry_id: int, form: FormState, status_code: int = 200
) -> object:
    contest = await domain.get_contest(viewer, contest_id)
    entry = await domain.get_entry(viewer, contest_id, entry_id)
    measured = _measured(await domain.criteria(contest_id))
    recorded = await domain.figures(contest_id)
    if not form.values:
        form = FormState(
            {f"figure_{c['id']}": str(recorded.get((entry_id, c["id"]), "")) for c in measured}
        )
    return page(
        "contests/entry.html",
        status_code=status_code,
        contest=contest,
        entry=entry,
        measured=measured,
        form=form,
        **NAMES,
    )


# --- judges ----------------------------------------------------------------------------


class JudgingController(Controller):
    """A judge's own sheet, on a phone: one entry at a time, large inputs, own scores only."""

    include_in_schema = False
    path = "/judging"
    guards = [signed_in]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="judging")
    async def index(self, viewer: NamedDependency[Viewer]) -> object:
        panels = set(await domain.panel_contests(viewer))
        return page(
            "contests/judging.html",
            contests=[c for c in await domain.contests(viewer) if c["id"] in panels],
            **NAMES,
        )

    @get("/{contest_id:int}")
    async def sheet(self, viewer: NamedDependency[Viewer], contest_id: FromPath[int]) -> object:
        sheet = await domain.judge_sheet(viewer, contest_id)
        return page("contests/sheet.html", sheet=sheet, **NAMES)

    @get("/{contest_id:int}/entries/{entry_id:int}")
    async def score_form(
        self,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        entry_id: FromPath[int],
    ) -> object:
        return _score_page(await domain.entry_scores(viewer, contest_id, entry_id), None)

    @post("/{contest_id:int}/entries/{entry_id:int}")
    async def save_scores(
        self,
        request: Request,
        viewer: NamedDependency[Viewer],
        contest_id: FromPath[int],
        entry_id: FromPath[int],
    ) -> object:
        data = await request.form()
        current = await domain.entry_scores(viewer, contest_id, entry_id)  # read once a save
        try:
            values, versions = forms.scores(data, current.criteria)
        except ValidationError as error:
            return _score_page(current, FormState.from_multidict(data, error.errors), 422)
        try:
            saved = await domain.save_scores(
                viewer, contest_id, entry_id, values, versions, sheet=current
            )
        except ValidationError as error:  # refused by what is stored: show it as it is now
            current = await domain.entry_scores(viewer, contest_id, entry_id)
            return _score_page(current, FormState.from_multidict(data, error.errors), 422)
        empty = len(current.criteria) - len(saved)
        if empty:  # a skipped field is easy to miss on a phone: stay on this entry
            flash(request, Msg("Saved; {n} scores for this entry are still empty.", n=empty))
            return redirect(request, f"/judging/{contest_id}/entries/{entry_id}")
        flash(request, Msg("Scores saved."))
        following = current.next_id
        target = (
            f"/judging/{contest_id}/entries/{following}" if following else f"/judging/{contest_id}"
        )
        return redirect(request, target)

    @post("/{contest_id:int}/submit")
    async def submit(
        self, request: Request, viewer: NamedDependency[Viewer], contest_id: FromPath[int]
    ) -> object:
        try:
            await domain.submit_sheet(viewer, contest_id)
        except ValidationError as error:
            flash_refusal(request, error)
        else:
            flash(request, Msg("Your sheet is handed in. Thank you."))
        return redirect(request, f"/judging/{contest_id}")


def _score_page(current: domain.JudgeEntry, form: FormState | None, status_code=200) -> object:
    """One entry's scoring page, from the judge's sheet read for this request."""
    stored = current.scores
    fresh = {f"score_{c}": str(s.score) for c, s in stored.items()}
    versions = {f"version_{c}": str(s.version) for c, s in stored.items()}
    if form is None:
        form = FormState({**fresh, **versions})
    else:  # typed values kept; versions are the current ones, so a corrected save goes in
        form.values |= versions
    return page("contests/score.html", status_code=status_code, form=form, sheet=current, **NAMES)


# --- the public ------------------------------------------------------------------------


class PublicResultsController(Controller):
    include_in_schema = False
    path = "/results"
    guards = [public_rate_limit]

    @get("/{slug:str}")
    async def results(self, slug: FromPath[str]) -> object:
        return page("contests/public.html", **await domain.public_results(slug))
