"""Who may reach a route. Scope (which records) is enforced in the domain queries."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from coop.accounts import ratelimit
from coop.accounts.domain import Role, Viewer, viewer_for, viewer_for_token
from coop.accounts.ratelimit import client_address
from coop.accounts.store import GENERATION
from coop.web import stash_form


async def load_viewer(connection: ASGIConnection) -> Viewer | None:
    """The signed-in user, loaded once per request."""
    state = connection.scope.setdefault("state", {})
    if "viewer" not in state:
        user_id = connection.session.get("user_id") if "session" in connection.scope else None
        seen = state.get(GENERATION)  # read with the session, for the viewer cache
        state["viewer"] = await viewer_for(user_id, seen) if isinstance(user_id, int) else None
    return state["viewer"]


async def _require_viewer(connection: ASGIConnection) -> Viewer:
    viewer = await load_viewer(connection)
    if viewer is None:
        if connection.scope.get("method") == "POST":
            # The session ran out mid-form: keep what was typed for after sign-in.
            request = Request(connection.scope, connection.receive)
            stash_form(request, await request.form())
        raise NotAuthorizedException
    return viewer


async def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await _require_viewer(connection)


def role_in(*roles: Role):
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        viewer = await _require_viewer(connection)
        if viewer.role not in roles:
            raise PermissionDeniedException

    return guard


admin_only = role_in(Role.union_admin)
organizers = role_in(Role.union_admin, Role.federation_organizer, Role.village_organizer)


async def provide_viewer(request: Request) -> Viewer:
    viewer = await load_viewer(request)
    assert viewer is not None, "route needs the signed_in guard"
    return viewer


async def api_token(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """JSON API routes: the user comes from an `Authorization: Bearer …` token; what the
    user's role may do is checked by the domain, as for the pages."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    viewer = await viewer_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if viewer is None:
        raise NotAuthorizedException("A valid bearer token is required.")
    connection.scope.setdefault("state", {})["viewer"] = viewer


async def public_rate_limit(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Pages anyone may open: a budget of requests per client address (RateLimited)."""
    settings = connection.app.state.settings
    peer = connection.client.host if connection.client else ""
    address = client_address(
        peer, connection.headers.get("x-forwarded-for", ""), settings.trusted_proxies
    )
    await ratelimit.hit("public", address, settings.public_rate_limit, settings.public_rate_window)
