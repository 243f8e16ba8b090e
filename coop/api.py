"""What every JSON API route shares: errors as RFC 9457 problem details.

`application/problem+json` with `type`, `title`, `status` and `detail` (in the caller's
language, from `Accept-Language`), plus `errors` (field → message) on a 422. The app's
exception handlers answer every request under /api/ through `problem_for`, whatever the
error, so no API route ever answers with an HTML page.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException

from coop.i18n import translate
from coop.validation import Forbidden, Msg, NotFound, RateLimited, ValidationError

PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("coop")


def is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def problem(status: int, detail: Msg | str, headers: dict | None = None, **extra) -> Response:
    """An RFC 9457 problem: `extra` adds members (`errors`, `member_id`…)."""
    return Response(
        {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "detail": translate(detail) if isinstance(detail, Msg) else detail,
            **extra,
        },
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def problem_for(request: Request, error: Exception) -> Response:
    """The problem answering `error` on an API route."""
    if isinstance(error, ValidationError):
        errors = {name: translate(message) for name, message in error.errors.items()}
        return problem(422, next(iter(error.errors.values())), errors=errors)
    if isinstance(error, NotFound):
        return problem(404, Msg("Not found."))
    if isinstance(error, NotAuthorizedException):
        return problem(401, Msg("A valid bearer token is required."))
    if isinstance(error, Forbidden | PermissionDeniedException):
        return problem(403, Msg("Your role does not allow this."))
    if isinstance(error, RateLimited):
        message = Msg(
            "Too many requests from your network. Try again in {n} seconds.", n=error.retry_after
        )
        return problem(429, message, headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, RecursionError):  # a JSON body nested past any sense
        return problem(400, Msg("This request could not be handled."))
    if isinstance(error, HTTPException) and error.status_code < 500:
        if error.status_code == 404:
            return problem(404, Msg("Not found."))
        return problem(error.status_code, Msg("This request could not be handled."))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, Msg("Something went wrong on our side. Please try again."))
