"""The home page after signing in, the audit log, and the health check."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import File, Stream

from coop import db
from coop.access import Viewer, now
from coop.accounts.domain import ROLE_NAMES
from coop.assets import STATIC_DIR
from coop.audit import domain as audit
from coop.contests import domain as contests
from coop.guards import admin_only, load_viewer, provide_viewer, signed_in
from coop.home import sitefiles
from coop.i18n import format_moment, local_day, translate
from coop.members import domain as members
from coop.orgs import domain as orgs
from coop.orgs.tables import Union
from coop.spreadsheets import CSV_TYPE, attachment, csv_chunks
from coop.validation import Msg, NotFound, ValidationError
from coop.web import FormState, flash, page, redirect

AUDIT_PAGE_SIZE = 100


async def home_page(viewer: Viewer, moment: dt.datetime) -> dict:
    """The home page's context at `moment`: the viewer's part of the tree, their figures,
    and the day it is where the union works (China), whatever the server's clock zone."""
    scope = viewer.scope
    return {
        "federations": await orgs.unions_at_level(scope, Union.Level.federation),
        "cooperatives": await orgs.cooperatives(scope),
        "villages": await orgs.villages(scope),
        "role_name": ROLE_NAMES[viewer.role],
        "figures": await members.counts(viewer) if not viewer.is_judge else {},
        "to_score": await contests.contests_to_score(viewer) if viewer.is_judge else [],
        "today": local_day(moment),
    }


class HomeController(Controller):
    include_in_schema = False
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="home", guards=[signed_in])
    async def home(self, viewer: NamedDependency[Viewer]) -> object:
        return page("home/home.html", **await home_page(viewer, now()))

    @get("/audit", guards=[admin_only])
    async def audit_log(self, offset: FromQuery[int] = 0) -> object:
        offset = max(0, offset)
        entries = await audit.recent(AUDIT_PAGE_SIZE + 1, offset)
        return page(
            "home/audit.html",
            entries=entries[:AUDIT_PAGE_SIZE],
            offset=offset,
            next_offset=offset + AUDIT_PAGE_SIZE if len(entries) > AUDIT_PAGE_SIZE else None,
        )

    @get("/audit.csv", guards=[admin_only])
    async def audit_download(self, viewer: NamedDependency[Viewer]) -> Response:
        """The whole audit log as CSV, through the export machinery; itself audited."""
        await audit.record(viewer.actor, "export", "audit_log")
        header = [
            translate(Msg("When")),
            translate(Msg("Who")),
            translate(Msg("What")),
            translate(Msg("Record")),
            translate(Msg("Details")),
        ]

        async def rows():
            async for e in audit.every_entry():
                when = format_moment(e["at"], "yyyy-MM-dd HH:mm:ss")
                record = f"{e['record_type']} {e['record_id']}".strip()
                yield [when, e["actor_name"], e["action"], record, e["detail"]]

        return Stream(
            csv_chunks(header, rows()),
            media_type=CSV_TYPE,
            headers=attachment(f"{translate(Msg('Audit log'))}.csv"),
        )


@get("/healthz", include_in_schema=False)
async def healthz() -> dict:
    pending = await db.pending_migrations()
    return {
        "status": "ok",
        "engine": "sqlite" if db.is_sqlite() else "postgresql",
        "migrations_current": not pending,
        "pending_migrations": [f"{app}:{migration}" for app, migration in pending],
    }


class SiteFileController(Controller):
    """Files an admin puts at the web root: WeChat's domain check (coop.home.sitefiles)."""

    path = "/site-files"
    include_in_schema = False
    guards = [admin_only]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/")
    async def list(self, request: Request) -> object:
        return _site_files_page(request, FormState({}))

    @post("/")
    async def upload(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        upload = (await request.form()).get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationError({"file": Msg("Choose a file.")})
            content = await upload.read(sitefiles.MAX_BYTES + 1)
            await sitefiles.upload(viewer, _data_dir(request), upload.filename, content)
        except ValidationError as error:
            return _site_files_page(request, FormState({}, error.errors), status_code=422)
        flash(request, Msg("Saved."))
        return redirect(request, "/site-files/")

    @post("/{name:str}/delete")
    async def delete(
        self, request: Request, viewer: NamedDependency[Viewer], name: FromPath[str]
    ) -> object:
        await sitefiles.delete(viewer, _data_dir(request), name)
        flash(request, Msg("Removed."))
        return redirect(request, "/site-files/")


def _data_dir(request: Request):
    return request.app.state.settings.data_dir


def _site_files_page(request: Request, form: FormState, status_code: int = 200) -> object:
    return page(
        "home/site_files.html",
        status_code=status_code,
        form=form,
        files=sitefiles.listed(_data_dir(request)),
    )


@get("/favicon.ico", include_in_schema=False, sync_to_thread=False)
def favicon() -> File:
    return File(
        path=STATIC_DIR / "favicon.ico",
        filename="favicon.ico",
        content_disposition_type="inline",
        headers={"Cache-Control": "public, max-age=604800"},
    )


@get("/{path:path}", include_in_schema=False)
async def anything_else(request: Request, path: FromPath[str]) -> Response:
    """Any other address: an uploaded site file at the root, or "not found" with the menu
    (the viewer is loaded here, as no guard did it)."""
    content = sitefiles.read(_data_dir(request), path.lstrip("/"))
    if content is not None:
        return Response(content, media_type="text/plain", headers={"Cache-Control": "no-cache"})
    await load_viewer(request)
    raise NotFound
