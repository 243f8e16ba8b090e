"""What every JSON API route shares: errors as RFC 9457 problem details.

`application/problem+json` with `type`, `title`, `status` and `detail` (in the caller's
language, from `Accept-Language`), plus `errors` (field → message) on a 422. The app's
exception handlers answer every request under /api/ through `problem_for`, whatever the
error, so no API route ever answers with an HTML page.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Annotated

import msgspec
from litestar import Litestar, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from coop.forms import INT_MAX
from coop.i18n import translate
from coop.validation import Forbidden, Msg, NotFound, RateLimited, ValidationError

PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"

# A row id as the API reads it: within a database integer's range, so a number no column can
# hold is refused at the door (400), not passed to the database (500). In a body, whether it
# names a row is the domain's answer (422, with the other fields' errors); msgspec checks
# `RowId` in bodies, the framework checks `Parameter` in paths and queries.
RowId = Annotated[int, msgspec.Meta(ge=-INT_MAX, le=INT_MAX)]
RowIdParameter = Annotated[int, Parameter(ge=1, le=INT_MAX)]
OptionalRowIdParameter = Annotated[int | None, Parameter(ge=1, le=INT_MAX)]


class Problem(msgspec.Struct, omit_defaults=True):
    """What every API error answers with (RFC 9457); `errors`: field → message."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] = {}


_PROBLEMS = {
    400: "The request cannot be read: a value of the wrong type or out of range",
    401: "No valid bearer token",
    403: "The token owner's role does not allow this",
    404: "Not found, or outside the token owner's scope",
    409: "The request conflicts with the current state",
    422: "A value is not valid; `errors` names each field",
    429: "Too many requests; `Retry-After` says when to try again",
}


def document_problems(app: Litestar) -> None:
    """Declare the problem answers on every API operation, so the schema says what comes back."""
    for route in app.routes:
        if not route.path.startswith(PREFIX):
            continue
        for handler in getattr(route, "route_handlers", ()):
            handler.responses = {
                status: ResponseSpec(
                    data_container=Problem, description=description, media_type=PROBLEM_JSON
                )
                for status, description in _PROBLEMS.items()
            } | dict(handler.responses or {})


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
    if isinstance(error, ValidationException):  # the framework could not read a value
        errors = {
            item["key"]: item["message"]
            for item in error.extra or ()
            if isinstance(item, dict) and item.get("key")
        }
        if errors:
            detail = Msg("These values cannot be read: {fields}.", fields=", ".join(errors))
            return problem(400, detail, errors=errors)
        return problem(400, Msg("This request could not be handled."))
    if isinstance(error, RecursionError):  # a JSON body nested past any sense
        return problem(400, Msg("This request could not be handled."))
    if isinstance(error, HTTPException) and error.status_code < 500:
        if error.status_code == 404:
            return problem(404, Msg("Not found."))
        return problem(error.status_code, Msg("This request could not be handled."))
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, Msg("Something went wrong on our side. Please try again."))
