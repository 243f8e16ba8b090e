"""Who may reach a route: the guards every context's controllers share.

The signed-in user is loaded once per request by the loader coop.accounts installs at
assembly (`app.state.load_viewer`), so no context below accounts has to import it. What a
role may do to which records is checked again by the domain.
"""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from coop.access import ADMINS, ORGANIZERS, Role, Viewer
from coop.web import stash_form


async def load_viewer(connection: ASGIConnection) -> Viewer | None:
    """The signed-in user (None: nobody), loaded once per request."""
    state = connection.scope.setdefault("state", {})
    if "viewer" not in state:
        state["viewer"] = await connection.app.state.load_viewer(connection)
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


def role_in(roles: frozenset[Role]):
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        viewer = await _require_viewer(connection)
        if viewer.role not in roles:
            raise PermissionDeniedException

    return guard


admin_only = role_in(ADMINS)
organizers = role_in(ORGANIZERS)


async def provide_viewer(request: Request) -> Viewer:
    viewer = await load_viewer(request)
    assert viewer is not None, "route needs a guard that signs the user in"
    return viewer
