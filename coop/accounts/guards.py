"""The accounts side of route guards: the user behind a session or a bearer token, and the
public pages' rate limit. The guards every controller uses are in coop.guards."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers import BaseRouteHandler

from coop.access import Viewer
from coop.accounts import ratelimit
from coop.accounts.domain import viewer_for, viewer_for_token
from coop.accounts.store import GENERATION


async def viewer_from_session(connection: ASGIConnection) -> Viewer | None:
    """The user signed in on this session, or None (`app.state.load_viewer`)."""
    session = connection.session if "session" in connection.scope else {}
    user_id, epoch = session.get("user_id"), session.get("session_epoch", 0)
    seen = connection.scope.get("state", {}).get(GENERATION)  # read with the session
    if not isinstance(user_id, int) or not isinstance(epoch, int):
        return None
    return await viewer_for(user_id, seen, epoch)


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
    # The server resolved forwarded headers from trusted proxies only (cli.proxy_options).
    address = connection.client.host if connection.client else ""
    await ratelimit.hit("public", address, settings.public_rate_limit, settings.public_rate_window)
