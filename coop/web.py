"""Small helpers every controller shares: rendering, redirects, form round-trips."""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState as ConnectionState
from markupsafe import escape

from coop.i18n import translate
from coop.validation import Msg, ValidationError

STASHED_FORM = "stashed_form"
# Never carried through a stashed form: secrets, and the token of the old form.
UNSTASHED_FIELDS = {"_csrf_token", "password", "password_confirm"}
REFUSED = "coop.refused"  # in a request's state: why its action was refused


DOWNLOAD_COOKIE = "coop_download"
_DOWNLOAD_TOKEN = re.compile(r"[A-Za-z0-9]{8,32}", re.ASCII)


def download_token(value: object) -> str | None:
    """The page's mark for a download it waits for (DOWNLOAD_COOKIE), when well formed."""
    return value if isinstance(value, str) and _DOWNLOAD_TOKEN.fullmatch(value) else None


def in_wechat(request: Request) -> bool:
    """WeChat's in-app browser, which does not download files: pages say how to leave it."""
    return "MicroMessenger" in request.headers.get("user-agent", "")


def new_form_key() -> str:
    """A form's one-time key: a retried submission takes effect once (accounts.idempotency)."""
    return secrets.token_urlsafe(18)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def htmx_page(request: Request) -> str:
    """The page (path and query) an htmx request came from, from its HX-Current-URL; empty
    when that is not a usable path on this site."""
    try:
        current = urlsplit(request.headers.get("hx-current-url", ""))
    except ValueError:
        return ""
    path = current.path + (f"?{current.query}" if current.query else "")
    return safe_next(path, default="")


def htmx_target(request: Request) -> str:
    """The id of the element an htmx request will swap into (htmx 4 sends `tag#id`)."""
    return request.headers.get("hx-target", "").rpartition("#")[2]


# Characters a path of ours may hold as they are; anything else is percent-encoded, so a
# Location or HX-Redirect header never carries a control character or a backslash.
_PATH_SAFE = "/?&=%#:;,+@!$'()*~-._"


def safe_next(target: str | None, default: str = "/") -> str:
    """A path on this site to go to next; anything else (another host, `//…`, `/\\…`, which
    browsers read as `//…`, control characters) goes to `default`. The one check for every
    `next`, whether it ends in a Location or an HX-Redirect header."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return default
    return quote(target, safe=_PATH_SAFE)


def redirect(request: Request, url: str) -> Response:
    """303 after a plain POST; HX-Redirect after an htmx one, so htmx loads the whole page;
    Coop-Location to static/field.js, which follows it itself (the flash waits for that page),
    with 409 and the reason when the action was refused (`refuse`), so its outbox says so."""
    if request.headers.get("coop-outbox"):
        refused = request.scope.get("state", {}).get(REFUSED)
        if refused is not None:
            reason = f'<main><p role="alert">{escape(translate(refused))}</p></main>'
            return Response(
                content=reason,
                status_code=409,
                headers={"Coop-Location": url},
                media_type="text/html",
            )
        return Response(
            content="", status_code=200, headers={"Coop-Location": url}, media_type="text/html"
        )
    if is_htmx(request):
        return Response(
            content="", status_code=200, headers={"HX-Redirect": url}, media_type="text/html"
        )
    return Redirect(path=url, status_code=303)


def page(template: str, *, status_code: int = 200, **context) -> Template:
    # Explicit: handlers return several response kinds, so Litestar cannot infer HTML.
    return Template(
        template_name=template, context=context, status_code=status_code, media_type="text/html"
    )


def flash(request: Request, message: Msg, kind: str = "") -> None:
    """A message for the next page; `kind` "warning" shows it as one (not as a success)."""
    request.session.setdefault("flash", []).append([message.text, message.params, kind])


def refuse(request: Request, message: Msg) -> None:
    """A refused action, answered by `redirect`: its reason as a flash on the next page, or
    to static/field.js (which sends the outbox) in the answer itself."""
    if request.headers.get("coop-outbox"):
        request.scope.setdefault("state", {})[REFUSED] = message
    else:
        flash(request, message)


def flash_refusal(request: Request, error: ValidationError) -> None:
    """A refused action on a page without a form: its first reason (see `refuse`)."""
    refuse(request, next(iter(error.errors.values())))


def take_flashes(request: Request) -> list[tuple[Msg, str]]:
    """The messages for this page, each with its kind ("" or "warning")."""
    if "session" not in request.scope or not request.session.get("flash"):
        return []
    return [
        (Msg(text, **params), (kind or [""])[0])
        for text, params, *kind in request.session.pop("flash")
    ]


def stash_form(request: Request, values: FormMultiDict) -> None:
    """Keep what was typed in a form that could not be accepted (expired session or token)."""
    kept = {k: values.getall(k) for k in values if k not in UNSTASHED_FIELDS}
    request.session[STASHED_FORM] = {"path": request.url.path, "values": kept}


def parsed_form(request: Request) -> FormMultiDict:
    """The form body already parsed by the CSRF check, for sync exception handlers."""
    form = ConnectionState.from_scope(request.scope).form
    return FormMultiDict.from_form_data(form if isinstance(form, dict) else {})


def take_stashed_form(request: Request) -> dict[str, list[str]] | None:
    """What was typed into the form at this path before it bounced, if anything."""
    if "session" not in request.scope:
        return None
    stashed = request.session.get(STASHED_FORM)
    if not stashed or stashed["path"] != request.url.path:
        return None
    request.session.pop(STASHED_FORM)
    return stashed["values"]


class FormState:
    """The values shown in a form, its errors, and whether it came back after a bounce."""

    def __init__(self, values: dict | None = None, errors: dict[str, Msg] | None = None):
        self.values = {k: v for k, v in (values or {}).items()}
        self.errors = errors or {}

    @property
    def errors(self) -> dict[str, Msg]:
        return self._errors

    @errors.setter
    def errors(self, errors: dict[str, Msg]) -> None:
        """In the order of the form's fields (as sent), so the error summary reads like it."""
        order = {name: place for place, name in enumerate(self.values)}
        self._errors = dict(sorted(errors.items(), key=lambda item: order.get(item[0], len(order))))

    @classmethod
    def from_multidict(cls, data: FormMultiDict | dict[str, list[str]], errors=None) -> FormState:
        getall = data.getall if isinstance(data, FormMultiDict) else data.get
        keys = list(data)
        values = {k: (getall(k) if len(getall(k)) > 1 else getall(k)[0]) for k in keys}
        return cls({k: v for k, v in values.items() if k not in UNSTASHED_FIELDS}, errors)

    def get(self, name: str, default="") -> str:
        value = self.values.get(name, default)
        return value[0] if isinstance(value, list) and value else value

    def getlist(self, name: str) -> list[str]:
        value = self.values.get(name, [])
        return value if isinstance(value, list) else [value]


async def form_or_stash(request: Request, initial: dict) -> FormState:
    stashed = take_stashed_form(request)
    if stashed is not None:
        return FormState.from_multidict(stashed)
    return FormState(initial)


def invalid(template: str, data: FormMultiDict, error: ValidationError, **context) -> Template:
    """The form again, with what was typed and a message next to each bad field.

    A form key already used for other content is replaced, so the corrected form can go."""
    form = FormState.from_multidict(data, error.errors)
    if "submission_key" in error.errors:
        form.values["submission_key"] = new_form_key()
    return page(template, status_code=422, form=form, **context)
