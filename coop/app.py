"""create_app(settings): the one place the web application is assembled."""

from __future__ import annotations

import asyncio
import logging
import os
import re
from urllib.parse import quote

from jinja2 import Template as JinjaTemplate
from jinja2 import TemplateNotFound
from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    TemplateNotFoundException,
)
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from coop import api, db, generation, housekeeping, i18n, privacy
from coop.accounts.controllers import (
    LOCALE_COOKIE,
    SessionController,
    UserController,
    field_keys,
)
from coop.accounts.domain import dummy_hash
from coop.accounts.guards import viewer_from_session
from coop.accounts.store import DatabaseStore, SessionConfig
from coop.assets import asset_url, static_file
from coop.contests.api import ContestApiController
from coop.contests.controllers import (
    ContestController,
    JudgingController,
    PublicResultsController,
)
from coop.forms import is_digits
from coop.home.controllers import (
    HomeController,
    SiteFileController,
    anything_else,
    favicon,
    healthz,
)
from coop.members import imports
from coop.members.api import MemberApiController, TransferApiController
from coop.members.controllers import MemberController
from coop.members.identity import name_keys
from coop.orgs.controllers import OrgController
from coop.orgs.domain import LEVEL_NAMES
from coop.reports.api import ReportApiController
from coop.reports.controllers import ReportController
from coop.settings import Settings
from coop.trainings.api import TrainingApiController
from coop.trainings.controllers import PublicRegistrationController, TrainingController
from coop.validation import Forbidden, Msg, NotFound, RateLimited, ValidationError
from coop.web import (
    flash,
    htmx_page,
    in_wechat,
    is_htmx,
    page,
    parsed_form,
    redirect,
    refuse,
    stash_form,
    take_flashes,
)

log = logging.getLogger("coop")

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    ),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
]


def security_headers(app):
    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in SECURITY_HEADERS:
                    headers[name.decode()] = value.decode()
                if "cache-control" not in headers:  # pages carry personal data
                    headers["cache-control"] = "no-store"
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


# A number in a path names a row; ids are 32-bit on PostgreSQL, so a larger one names nothing.
ID_MAX = 2**31 - 1
_NUMBER_IN_PATH = re.compile(r"/(-?[0-9]+)(?=/|$)")


def _names_no_row(number: str) -> bool:
    # the length first: int() refuses more than 4,300 digits
    # (a negative one can name a row not yet saved: the standard checklist's default items)
    return len(number) > 11 or not -ID_MAX <= int(number) <= ID_MAX


def _odd_number(segment: str) -> bool:
    """A path segment Litestar's `{…:int}` parser (`int()`) reads as a number though it is not
    ASCII digits: "१", "߁", " 1", "+1", "1_0" would all name row 1 or 10. A minus sign is
    kept (the standards checklist numbers its unsaved default items -1, -2, …)."""
    if is_digits(segment.removeprefix("-")):
        return False
    try:
        int(segment)
    except ValueError:
        return False
    return True


def malformed_requests(app):
    """What no page can mean is refused at the door, before it reaches a database:
    a NUL byte in the address (400), a path number no row id can be or written in anything
    but ASCII digits (404)."""

    async def middleware(scope, receive, send):
        if scope["type"] == "http":
            path, query = scope["path"], scope.get("query_string", b"")
            if "\x00" in path or b"%00" in query or b"\x00" in query:
                raise HTTPException(status_code=400)
            if any(_names_no_row(n) for n in _NUMBER_IN_PATH.findall(path)) or any(
                _odd_number(segment) for segment in path.split("/")
            ):
                raise NotFound
        await app(scope, receive, send)

    return middleware


def locale_middleware(app):
    """Every request speaks one language: the user's choice, the browser's, or Chinese."""

    async def middleware(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        request = Request(scope)
        token = i18n.current_locale.set(
            i18n.negotiate(
                request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language")
            )
        )
        try:
            await app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)

    return middleware


def csrf_recovery(app):
    """A form with an old or missing token comes back with what was typed and a message.

    Litestar's CSRF check runs inside the session middleware and outside the
    route's exception handlers, so this sits between them to reach the session.
    """

    async def middleware(scope, receive, send):
        try:
            await app(scope, receive, send)
        except PermissionDeniedException as error:
            if scope["type"] != "http" or scope["method"] != "POST" or "CSRF" not in error.detail:
                raise
            request = Request(scope)
            stash_form(request, parsed_form(request))
            refuse(request, Msg("This form had expired. Check it and send it again."))
            back = htmx_page(request) if is_htmx(request) else ""  # the page, not the fragment
            response = redirect(request, back or request.url.path)
            await response.to_asgi_response(app=None, request=request)(scope, receive, send)

    return middleware


def error_page(request: Request, status_code: int, message: Msg) -> Response:
    return page("error.html", status_code=status_code, message=message)


def not_found(request: Request, _: Exception) -> Response:
    return error_page(request, 404, Msg("There is nothing here, or it is not yours to see."))


def forbidden(request: Request, _: Exception) -> Response:
    return error_page(request, 403, Msg("Your role does not allow this."))


def not_signed_in(request: Request, _: Exception) -> Response:
    """To the sign-in page; a form posted after the session ran out comes back filled in."""
    if request.method == "POST":  # the guard has stashed the form
        flash(
            request,
            Msg("Your session has ended. Sign in again; what you typed has been kept."),
            "warning",
        )
    target = (
        request.url.path
        if request.method == "POST"
        else str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    )
    if is_htmx(request):  # back to the page, not to the fragment it was asking for
        target = htmx_page(request) or target
    return redirect(request, f"/login?next={quote(target)}")


def http_error(request: Request, error: HTTPException) -> Response:
    if error.status_code == 404:
        return not_found(request, error)
    if error.status_code >= 500:
        return server_error(request, error)
    if error.status_code == 413:
        return error_page(request, 413, imports.TOO_LARGE)
    return error_page(request, error.status_code, Msg("This request could not be handled."))


def unreadable(request: Request, _: Exception) -> Response:
    return error_page(request, 400, Msg("This request could not be handled."))


def rate_limited(request: Request, error: RateLimited) -> Response:
    headers = {"Retry-After": str(error.retry_after)}
    message = Msg(
        "Too many requests from your network. Try again in {n} seconds.", n=error.retry_after
    )
    return Template(
        template_name="error.html",
        context={"message": message},
        status_code=429,
        media_type="text/html",
        headers=headers,
    )


def server_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return error_page(request, 500, Msg("Something went wrong on our side. Please try again."))


def _api_or(page_handler):
    """The JSON API answers every error as a problem (coop.api); pages with a page."""

    def handler(request: Request, error: Exception) -> Response:
        if api.is_api(request):
            return api.problem_for(request, error)
        return page_handler(request, error)

    return handler


class LanguageTemplates(JinjaTemplateEngine):
    """Each language's own compiled templates (i18n.FixedWords), for the request's language."""

    def get_template(self, template_name: str) -> JinjaTemplate:
        try:
            return i18n.language_environment(i18n.current_locale.get()).get_template(template_name)
        except TemplateNotFound as error:
            raise TemplateNotFoundException(template_name=template_name) from error


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    os.environ.setdefault("PICCOLO_CONF", "coop.piccolo_conf")
    db.bind(db.engine_for(settings))
    secrets = settings.secrets()
    privacy.configure(secrets)
    secret = secrets["secret_key"]
    session_config = SessionConfig(
        store="sessions",
        key="coop_session",
        max_age=settings.session_max_age,
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )

    background: list[asyncio.Task] = []

    async def startup() -> None:
        await db.start(settings)
        await generation.start()
        await housekeeping.run_once()  # what ran out while the app was down
        background.append(asyncio.create_task(housekeeping.every()))
        # Loaded when first needed, as the export command needs neither; here, before the
        # first sign-in and enrollment would wait for them.
        dummy_hash()
        name_keys("张三")

    async def shutdown() -> None:
        for task in background:
            await housekeeping.stop(task)
        await db.stop(settings)

    env = i18n.jinja_environment()
    env.globals.update(
        viewer_of=lambda request: request.scope.get("state", {}).get("viewer"),
        field_keys=field_keys,
        flashes=take_flashes,
        level_names=LEVEL_NAMES,
        asset_url=asset_url,
        in_wechat=in_wechat,
    )
    app = Litestar(
        request_max_body_size=imports.MAX_BYTES + 100_000,  # a roster upload and its form
        route_handlers=[
            SessionController,
            UserController,
            HomeController,
            OrgController,
            MemberController,
            MemberApiController,
            TransferApiController,
            ReportApiController,
            TrainingController,
            PublicRegistrationController,
            TrainingApiController,
            ContestController,
            JudgingController,
            PublicResultsController,
            ContestApiController,
            ReportController,
            healthz,
            static_file,
            SiteFileController,
            favicon,
            anything_else,
        ],
        middleware=[
            security_headers,
            locale_middleware,
            malformed_requests,
            session_config.middleware,
            csrf_recovery,
        ],
        csrf_config=CSRFConfig(
            secret=secret,
            cookie_name="coop_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=["^/api/"],  # bearer tokens, not cookies: nothing to forge
        ),
        stores={"sessions": DatabaseStore("session")},
        template_config=TemplateConfig(instance=LanguageTemplates.from_environment(env)),
        compression_config=CompressionConfig(backend="gzip", minimum_size=500),
        exception_handlers={
            error: _api_or(handler)
            for error, handler in {
                NotFound: not_found,
                RateLimited: rate_limited,
                Forbidden: forbidden,
                NotAuthorizedException: not_signed_in,
                PermissionDeniedException: forbidden,
                ValidationError: server_error,  # pages handle their own; one that escapes is a bug
                RecursionError: unreadable,  # a request body nested past any sense
                HTTPException: http_error,
                Exception: server_error,
            }.items()
        },
        on_startup=[startup],
        on_shutdown=[shutdown],
        openapi_config=OpenAPIConfig(
            title="Coop Union API",
            version="1.0.0",
            path="/api/v1/schema",
            render_plugins=[JsonRenderPlugin()],  # no viewer: it would load scripts from a CDN
        ),
        state=State({"settings": settings, "load_viewer": viewer_from_session}),
        debug=settings.debug,
    )
    api.document_problems(app)
    return app
