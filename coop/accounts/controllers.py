"""Signing in and out, choosing a language, and managing user accounts."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from coop import privacy
from coop.access import Scope, Viewer
from coop.accounts import domain, forms
from coop.accounts.guards import public_rate_limit
from coop.accounts.store import rotate_session
from coop.forms import read_all
from coop.guards import admin_only, load_viewer, provide_viewer
from coop.i18n import LOCALES, translate
from coop.orgs import domain as orgs
from coop.orgs.tables import Union
from coop.validation import Msg, ValidationError
from coop.web import (
    FormState,
    flash,
    flash_refusal,
    form_or_stash,
    invalid,
    page,
    redirect,
    safe_next,
)

LOCALE_COOKIE = "coop_locale"
# A browser that signed in as a user is spared that username's lock (domain.authenticate).
KNOWN_CLIENT_COOKIE = "coop_known_client"
# The longest input each form takes, for the fields' maxlength (the domain's limits).
LIMITS = {
    "username_max": domain.USERNAME_MAX,
    "display_name_max": domain.DISPLAY_NAME_MAX,
    "password_max": domain.PASSWORD_MAX,
}


async def _login_page() -> dict:
    """The sign-in page's context, for its GET and for a refused sign-in."""
    return {"demo_logins": await domain.demo_logins(), "role_names": domain.ROLE_NAMES, **LIMITS}


def field_keys(request: Request) -> dict[str, str]:
    """What field.js needs to keep one organizer's drafts and outbox from the next on a
    shared phone: an owner tag for its records and a key to seal outbox bodies (which hold
    ID numbers). Both come from the user's id and the instance's hash key, so neither is
    guessable nor the username. The key is per user rather than per session so that an
    enrollment queued offline is still sent after its organizer signs in again; it reaches
    only that user's own pages (never cached), so a signed-out phone holds ciphertext only."""
    viewer = request.scope.get("state", {}).get("viewer")
    if viewer is None:
        return {}
    return {
        "owner": privacy.keyed_hash("field-owner", str(viewer.id))[:32],
        "key": privacy.keyed_hash("field-key", str(viewer.id)),
    }


class SessionController(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(self, request: Request, next: FromQuery[str] = "") -> object:
        if await load_viewer(request):
            return redirect(request, safe_next(next))
        return page("accounts/login.html", form=FormState({"next": next}), **await _login_page())

    @post("/login", guards=[public_rate_limit])
    async def login(self, request: Request) -> object:
        data = await request.form()
        try:
            username, password = forms.sign_in(data)
            signed_in = await domain.authenticate(
                username,
                password,
                request.client.host if request.client else "",
                request.cookies.get(KNOWN_CLIENT_COOKIE, ""),
            )
        except (ValidationError, domain.SignInRefused) as refused:
            errors = (
                refused.errors
                if isinstance(refused, ValidationError)
                else {"password": refused.message}
            )
            busy = isinstance(refused, domain.SignInBusy)
            # What was typed comes back, but never more of it than a field takes.
            typed = {
                "username": [data.get("username", "")[: domain.USERNAME_MAX]],
                "next": [data.get("next", "")[:2000]],
            }
            response = page(
                "accounts/login.html",
                status_code=503 if busy else 422,
                form=FormState.from_multidict(typed, errors),
                **await _login_page(),
            )
            if busy:
                response.headers["Retry-After"] = "5"
            return response
        viewer = signed_in.viewer
        stashed = request.session.get("stashed_form")
        rotate_session(request)
        request.set_session({"user_id": viewer.id, "session_epoch": signed_in.session_epoch})
        if stashed:
            request.session["stashed_form"] = stashed
        response = redirect(request, safe_next(data.get("next")))
        if viewer.locale:
            response.set_cookie(LOCALE_COOKIE, viewer.locale, max_age=365 * 86400, samesite="lax")
        response.set_cookie(
            KNOWN_CLIENT_COOKIE,
            signed_in.known_client,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=request.app.state.settings.secure_cookies,
        )
        return response

    @post("/logout")
    async def logout(self, request: Request) -> object:
        request.clear_session()
        return redirect(request, "/login")

    @post("/language")
    async def choose_language(self, request: Request) -> object:
        data = await request.form()
        locale = data.get("locale", "")
        response = redirect(request, safe_next(data.get("next")))
        if locale in LOCALES:
            response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
            if viewer := await load_viewer(request):
                await domain.set_locale(viewer.id, locale)
        return response


async def _user_page(user: dict | None) -> dict:
    """The user form's context (None: a new user), for its GET and its 422 answers: the
    options for the role and scope fields, as (value, label) pairs."""
    everything = Scope(everything=True)
    federations = await orgs.unions_at_level(everything, Union.Level.federation)
    return {
        "user": user,
        **LIMITS,
        "role_options": [(role.value, translate(domain.ROLE_NAMES[role])) for role in domain.Role],
        "federation_options": [(f["id"], f["name"]) for f in federations],
        "cooperative_options": [
            (c["id"], f"{c['name']}（{c['village_name']}）")
            for c in await orgs.cooperatives(everything)
        ],
        "village_options": [
            (v["id"], f"{v['name']}（{v['town_name']}）") for v in await orgs.villages(everything)
        ],
    }


class UserController(Controller):
    include_in_schema = False
    path = "/accounts/users"
    guards = [admin_only]
    dependencies = {"viewer": Provide(provide_viewer)}

    @get("/", name="users")
    async def list(self, viewer: NamedDependency[Viewer]) -> object:
        return page(
            "accounts/list.html",
            users=await domain.list_users(viewer),
            role_names=domain.ROLE_NAMES,
        )

    @get("/new")
    async def new_form(self, request: Request) -> object:
        form = await form_or_stash(request, {"role": domain.Role.village_organizer.value})
        return page("accounts/form.html", form=form, **await _user_page(None))

    @post("/new")
    async def create(self, request: Request, viewer: NamedDependency[Viewer]) -> object:
        data = await request.form()
        try:
            refused: dict = {}
            person = read_all(refused, forms.user, data, creating=True)
            user_id = await domain.save_user(viewer, person, form_errors=refused)
        except ValidationError as error:
            return invalid("accounts/form.html", data, error, **await _user_page(None))
        flash(request, Msg("Saved."))
        return redirect(request, f"/accounts/users/{user_id}")

    @get("/{user_id:int}")
    async def edit_form(
        self, request: Request, viewer: NamedDependency[Viewer], user_id: FromPath[int]
    ) -> object:
        user = await domain.get_user(viewer, user_id)
        form = await form_or_stash(request, {**user, "role": user["role"]})
        return page("accounts/form.html", form=form, **await _user_page(user))

    @post("/{user_id:int}")
    async def update(
        self, request: Request, viewer: NamedDependency[Viewer], user_id: FromPath[int]
    ) -> object:
        user = await domain.get_user(viewer, user_id)
        data = await request.form()
        try:
            refused: dict = {}
            person = read_all(refused, forms.user, data, creating=False)
            await domain.save_user(viewer, person, user_id, refused)
        except ValidationError as error:
            return invalid("accounts/form.html", data, error, **await _user_page(user))
        flash(request, Msg("Saved."))
        return redirect(request, f"/accounts/users/{user_id}")

    @post("/{user_id:int}/active")
    async def set_active(
        self, request: Request, viewer: NamedDependency[Viewer], user_id: FromPath[int]
    ) -> object:
        data = await request.form()
        try:
            await domain.set_active(viewer, user_id, data.get("active") == "1")
            flash(request, Msg("Saved."))
        except ValidationError as error:
            flash_refusal(request, error)
        return redirect(request, f"/accounts/users/{user_id}")

    @post("/{user_id:int}/password")
    async def reset_password(
        self, request: Request, viewer: NamedDependency[Viewer], user_id: FromPath[int]
    ) -> object:
        user = await domain.get_user(viewer, user_id)
        data = await request.form()
        try:
            await domain.reset_password(viewer, user_id, data.get("password", ""))
        except ValidationError as error:
            form = FormState({**user, "role": user["role"]})
            return page(
                "accounts/form.html",
                status_code=422,
                form=form,
                password_errors=error.errors,
                **await _user_page(user),
            )
        flash(request, Msg("Password changed."))
        return redirect(request, f"/accounts/users/{user_id}")
