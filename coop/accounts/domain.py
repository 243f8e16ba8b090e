"""Accounts: who signs in, with which role, over which part of the union tree."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import json
import re
import secrets
import weakref
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from coop import db, generation, privacy
from coop.access import ADMINS, Role, Scope, Viewer, now, require
from coop.accounts import ratelimit
from coop.accounts.tables import ApiToken, StoredValue, User, UserScope
from coop.audit import domain as audit
from coop.orgs.tables import Cooperative, Union, Village
from coop.validation import Msg, NotFound, ValidationError

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,49}$")
USERNAME_MAX = 50  # the longest USERNAME_PATTERN takes
DISPLAY_NAME_MAX = 100
PASSWORD_MIN, PASSWORD_MAX = 8, 200
TOKEN_LABEL_MAX = 100
TOKEN_EXPIRES_DAYS = range(1, 3651)
TOKEN_USE_RECORDED_EVERY = 60  # seconds: last_used_at is written at most this often
MAX_FAILURES = 5
LOCK_MINUTES = 15
ROLE_NAMES = {  # keyed by Role; a Role is also equal to its string value
    Role.union_admin: Msg("Union admin"),
    Role.federation_organizer: Msg("Federation organizer"),
    Role.village_organizer: Msg("Village organizer"),
    Role.judge: Msg("Judge"),
}

hasher = PasswordHasher()


@functools.cache
def dummy_hash() -> str:
    """Verifying against this when the username is unknown keeps response times alike."""
    return hasher.hash("not a password")


@dataclass
class UserInput:
    username: str
    display_name: str
    role: Role
    federation_id: int | None = None
    cooperative_ids: list[int] = field(default_factory=list)
    village_ids: list[int] = field(default_factory=list)
    password: str | None = None  # only when creating


class SignInRefused(Exception):
    def __init__(self, message: Msg):
        super().__init__(message.text)
        self.message = message


def check_password(errors: dict[str, Msg], password: str) -> None:
    if len(password) < PASSWORD_MIN:
        errors["password"] = Msg("At least {min} characters.", min=PASSWORD_MIN)
    elif len(password) > PASSWORD_MAX:
        errors["password"] = Msg("At most {max} characters.", max=PASSWORD_MAX)


def scope_for(role: Role, rows: list[dict]) -> Scope:
    if role is Role.union_admin:
        return Scope(everything=True, can_manage=True)
    if role is Role.federation_organizer:
        return Scope(
            federation_ids=frozenset(r["federation"] for r in rows if r["federation"]),
            can_manage=True,
        )
    if role is Role.village_organizer:
        return Scope(
            cooperative_ids=frozenset(r["cooperative"] for r in rows if r["cooperative"]),
            village_ids=frozenset(r["village"] for r in rows if r["village"]),
        )
    return Scope()


_viewers = generation.Cache()


async def viewer_for(
    user_id: int, seen: bytes | None = None, session_epoch: int | None = None
) -> Viewer | None:
    """The active user with this ID, or None (deactivated users are signed out at once).

    `seen`: the access generation read with the session. A viewer read under the same
    generation is reused: every change to users and scopes replaces the generation.
    `session_epoch`: the user's session epoch the session was started under; a session
    from before a deactivation is no session, even once the user is active again.
    """
    cached = _viewers.get((user_id, session_epoch), seen)
    if cached is not None:
        return cached
    where = (User.id == user_id) & (User.is_active.eq(True))
    if session_epoch is not None:
        where &= User.session_epoch == session_epoch
    user = await User.select().where(where).first().run()
    if user is None:
        return None
    rows = await UserScope.select().where(UserScope.user == user_id).run()
    role = Role(user["role"])
    viewer = Viewer(
        id=user["id"],
        username=user["username"],
        display_name=user["display_name"],
        role=role,
        locale=user["locale"],
        scope=scope_for(role, rows),
        generation=seen,
    )
    _viewers.put((user_id, session_epoch), seen, viewer)
    return viewer


# --- signing in -----------------------------------------------------------------
#
# Guessing is throttled twice, on counts kept in rate_count under keyed hashes (a username
# is never stored as typed): per username and client (MAX_FAILURES attempts per LOCK_MINUTES),
# and per username from any client not known to it (USERNAME_MAX_FAILURES, more slowly).
# A browser that once signed in as the user carries a signed mark (a cookie) that spares it
# the per-username lock, so nobody can lock the real user out of a browser they use.
# Attempts are counted before the password is checked, in one statement each, so parallel
# attempts can check no more passwords than the limit.

USERNAME_MAX_FAILURES = 20
HASHING_SLOTS = 2  # argon2 runs in this many threads at once (~50 ms of CPU each)
HASHING_QUEUE = 20  # sign-ins waiting for a slot beyond which the next one is turned away
_MARK_MAX = 200

_limiters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class SignInBusy(SignInRefused):
    """Too many sign-ins are waiting for a password check: try again in a moment."""

    def __init__(self):
        super().__init__(Msg("Many people are signing in right now. Try again in a moment."))


def _hashing_slots() -> anyio.CapacityLimiter:
    """The slots of the running event loop (a limiter belongs to one loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(HASHING_SLOTS)
    return _limiters[loop]


def hashing_waiting() -> int:
    """How many password checks are waiting for a slot."""
    return _hashing_slots().statistics().tasks_waiting


async def password_work(work, *args):
    """Run `work` (a password hash or check) in a worker thread, HASHING_SLOTS at a time, so
    the event loop keeps answering; SignInBusy when HASHING_QUEUE are already waiting."""
    slots = _hashing_slots()
    if slots.statistics().tasks_waiting >= HASHING_QUEUE:
        raise SignInBusy
    return await anyio.to_thread.run_sync(work, *args, limiter=slots)


async def hash_password(password: str) -> str:
    return await password_work(hasher.hash, password)


def known_client_mark(username: str) -> str:
    """What a browser keeps after signing in as `username`: a random nonce and its signature."""
    nonce = secrets.token_hex(16)
    return f"{nonce}.{privacy.keyed_hash('known_client', f'{nonce}:{username}')}"


def _known_nonce(mark: str, username: str) -> str | None:
    """The nonce of a valid mark for this username, else None."""
    nonce, _, signature = mark[:_MARK_MAX].partition(".")
    expected = privacy.keyed_hash("known_client", f"{nonce}:{username}")
    return nonce if nonce and hmac.compare_digest(signature, expected) else None


def _locked(seconds: int) -> SignInRefused:
    minutes = max(1, round(seconds / 60))
    return SignInRefused(
        Msg("Too many failed sign-ins. Try again in {minutes} minutes.", minutes=minutes)
    )


@dataclass
class SignedIn:
    viewer: Viewer
    known_client: str  # the mark for the browser (known_client_mark)
    session_epoch: int = 0  # for the session to carry (viewer_for)


async def authenticate(
    username: str, password: str, client: str = "", known_client: str = ""
) -> SignedIn:
    """The user with these credentials, or SignInRefused with a message to show.

    `client`: the client's address; `known_client`: the mark the browser carries, if any.
    The input's lengths were checked by the form (forms.sign_in). Locks apply whether or not
    the username exists, so a lock tells an attacker nothing.
    """
    username = username.strip().lower()
    if hashing_waiting() >= HASHING_QUEUE:
        raise SignInBusy
    nonce = _known_nonce(known_client, username)
    pair = privacy.keyed_hash("sign_in", f"{username}\n{nonce or 'address:' + client}")
    attempts, seconds = await ratelimit.count_attempt(f"sign-in:{pair}", LOCK_MINUTES * 60)
    if attempts > MAX_FAILURES:
        raise _locked(seconds)
    if nonce is None:
        user_key = f"sign-in-user:{privacy.keyed_hash('sign_in_user', username)}"
        tries, user_seconds = await ratelimit.count_attempt(user_key, LOCK_MINUTES * 60)
        if tries > USERNAME_MAX_FAILURES:
            raise _locked(user_seconds)
    user = await User.select().where(User.username == username).first().run()
    try:
        await password_work(
            hasher.verify, user["password_hash"] if user else dummy_hash(), password
        )
        ok = user is not None and user["is_active"]
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok:
        await audit.record(
            audit.Actor(user["id"] if user else None, username),
            "sign_in_failed",
            "user",
            user["id"] if user else "",
        )
        if attempts >= MAX_FAILURES:
            raise _locked(seconds)
        raise SignInRefused(Msg("Wrong username or password."))
    await ratelimit.forget(f"sign-in:{pair}")
    if hasher.check_needs_rehash(user["password_hash"]):
        await (
            User.update({User.password_hash: await hash_password(password)})
            .where(User.id == user["id"])
            .run()
        )
    await audit.record(audit.Actor(user["id"], username), "sign_in", "user", user["id"])
    viewer = await viewer_for(user["id"])
    assert viewer is not None
    return SignedIn(
        viewer, known_client if nonce else known_client_mark(username), user["session_epoch"]
    )


async def set_locale(user_id: int, locale: str) -> None:
    async with db.transaction():
        await User.update({User.locale: locale}).where(User.id == user_id).run()
        await generation.bump()


# --- managing accounts (union admins) --------------------------------------------


async def list_users(viewer: Viewer) -> list[dict]:
    require(viewer, ADMINS)
    users = (
        await User.select(User.all_columns(exclude=[User.password_hash]))
        .order_by(User.username)
        .run()
    )
    scopes = await UserScope.select(
        UserScope.user,
        UserScope.federation.name.as_alias("federation_name"),
        UserScope.cooperative.name.as_alias("cooperative_name"),
        UserScope.village.name.as_alias("village_name"),
    ).run()
    for user in users:
        user["scope_names"] = [
            s["federation_name"] or s["cooperative_name"] or s["village_name"]
            for s in scopes
            if s["user"] == user["id"]
        ]
    return users


async def get_user(viewer: Viewer, user_id: int) -> dict:
    require(viewer, ADMINS)
    user = (
        await User.select(User.all_columns(exclude=[User.password_hash]))
        .where(User.id == user_id)
        .first()
        .run()
    )
    if user is None:
        raise NotFound
    rows = await UserScope.select().where(UserScope.user == user_id).run()
    user["federation_id"] = next((r["federation"] for r in rows if r["federation"]), None)
    user["cooperative_ids"] = [r["cooperative"] for r in rows if r["cooperative"]]
    user["village_ids"] = [r["village"] for r in rows if r["village"]]
    return user


async def _check_scope(errors: dict[str, Msg], data: UserInput) -> list[UserScope]:
    """The scope rows for this role, checking every referenced record exists."""
    if data.role is Role.federation_organizer:
        federation = (
            await Union.exists()
            .where(
                (Union.id == (data.federation_id or -1))
                # A town union's staff work as a federation's do: members held at the
                # township union (transfers where the new employer has no union).
                & Union.level.is_in([Union.Level.federation.value, Union.Level.town.value])
            )
            .run()
        )
        if not federation:
            errors["federation_id"] = Msg("Choose the federation this organizer works for.")
        return [UserScope(federation=data.federation_id)]
    if data.role is Role.village_organizer:
        if not data.cooperative_ids and not data.village_ids:
            errors["cooperative_ids"] = Msg("Choose at least one cooperative or village.")
        found = (
            await Cooperative.count()
            .where(Cooperative.id.is_in(data.cooperative_ids or [-1]))
            .run()
        )
        if data.cooperative_ids and found != len(set(data.cooperative_ids)):
            errors["cooperative_ids"] = Msg("Choose cooperatives from the list.")
        found = await Village.count().where(Village.id.is_in(data.village_ids or [-1])).run()
        if data.village_ids and found != len(set(data.village_ids)):
            errors["village_ids"] = Msg("Choose villages from the list.")
        return [UserScope(cooperative=c) for c in sorted(set(data.cooperative_ids))] + [
            UserScope(village=v) for v in sorted(set(data.village_ids))
        ]
    return []


async def save_user(
    viewer: Viewer,
    data: UserInput,
    user_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
) -> int:
    """Create a user (with a password) or change one's name, role and scope. `form_errors`
    (what the form already refused) are raised with the checks here, all at once."""
    require(viewer, ADMINS)
    errors: dict[str, Msg] = dict(form_errors or {})
    if "username" not in errors and not USERNAME_PATTERN.match(data.username):
        errors["username"] = Msg(
            "3 to 50 characters: lower-case letters, digits, dot, dash or underscore."
        )
    if user_id is None:
        check_password(errors, data.password or "")
    else:
        await get_user(viewer, user_id)
        if user_id == viewer.id and data.role is not Role.union_admin:
            errors.setdefault("role", Msg("You cannot take away your own admin role."))
    taken = User.exists().where(User.username == data.username)
    if user_id is not None:
        taken = taken.where(User.id != user_id)
    if "username" not in errors and await taken.run():
        errors["username"] = Msg("That username is taken.")
    scope_rows = await _check_scope(errors, data)
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        if user_id is None:
            user = User(
                username=data.username,
                display_name=data.display_name,
                role=data.role.value,
                password_hash=await hash_password(data.password or ""),
            )
            await User.insert(user).run()
            user_id = user.id
            action = "create"
        else:
            await (
                User.update(
                    {
                        User.username: data.username,
                        User.display_name: data.display_name,
                        User.role: data.role.value,
                    }
                )
                .where(User.id == user_id)
                .run()
            )
            await UserScope.delete().where(UserScope.user == user_id).run()
            action = "update"
        for row in scope_rows:
            row.user = user_id
        if scope_rows:
            await UserScope.insert(*scope_rows).run()
        await generation.bump()
        await audit.record(
            viewer.actor,
            action,
            "user",
            user_id,
            f"role={data.role.value} scope={len(scope_rows)}",
        )
    return user_id


async def set_active(viewer: Viewer, user_id: int, active: bool) -> None:
    require(viewer, ADMINS)
    await get_user(viewer, user_id)
    if user_id == viewer.id and not active:
        raise ValidationError({"is_active": Msg("You cannot deactivate your own account.")})
    changes: dict = {User.is_active: active}
    if not active:  # its sessions end for good: reactivating must not bring them back
        changes[User.session_epoch] = User.session_epoch + 1
    async with db.transaction():
        await User.update(changes).where(User.id == user_id).run()
        await generation.bump()
        await audit.record(viewer.actor, "activate" if active else "deactivate", "user", user_id)


async def reset_password(viewer: Viewer, user_id: int, password: str) -> None:
    require(viewer, ADMINS)
    errors: dict[str, Msg] = {}
    check_password(errors, password)
    if errors:
        raise ValidationError(errors)
    await get_user(viewer, user_id)
    async with db.transaction():
        await (
            User.update({User.password_hash: await hash_password(password)})
            .where(User.id == user_id)
            .run()
        )
        await audit.record(viewer.actor, "reset_password", "user", user_id)


def command_line_viewer() -> Viewer:
    """The operator at the `coop` command line acts with full rights."""
    return Viewer(
        id=0,
        username="command-line",
        display_name="command line",
        role=Role.union_admin,
        locale="",
        scope=Scope(everything=True, can_manage=True),
    )


DEMO_LOGINS_KEY = "demo_logins"


async def remember_demo_logins(logins: list[dict]) -> None:
    """`coop demo` records its accounts so the sign-in page can list them."""
    async with db.transaction():
        await StoredValue.delete().where(StoredValue.key == DEMO_LOGINS_KEY).run()
        await StoredValue.insert(
            StoredValue(key=DEMO_LOGINS_KEY, value=json.dumps(logins).encode())
        ).run()


async def demo_logins() -> list[dict]:
    row = (
        await StoredValue.select(StoredValue.value)
        .where(StoredValue.key == DEMO_LOGINS_KEY)
        .first()
        .run()
    )
    return json.loads(bytes(row["value"])) if row else []


# --- API tokens ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_api_token(username: str, label: str = "", expires_days: int | None = None) -> str:
    """A new bearer token for the user; only its hash is kept, so it is shown once.
    `expires_days`: checked by the caller to be within TOKEN_EXPIRES_DAYS."""
    user = await User.select(User.id).where(User.username == username.strip().lower()).first().run()
    if user is None:
        raise NotFound
    token = "coop_" + secrets.token_urlsafe(32)
    expires_at = now() + dt.timedelta(days=expires_days) if expires_days else None
    async with db.transaction():
        await ApiToken.insert(
            ApiToken(
                user=user["id"],
                token_hash=_token_hash(token),
                label=label[:TOKEN_LABEL_MAX],
                expires_at=expires_at,
            )
        ).run()
        await audit.record(command_line_viewer().actor, "create", "api_token", user["id"], label)
    return token


async def list_api_tokens() -> list[dict]:
    """Every token, without its hash (for `coop token list`)."""
    return (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.user.username.as_alias("username"),
            ApiToken.label,
            ApiToken.created_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .order_by(ApiToken.id)
        .run()
    )


async def revoke_api_token(token_id: int) -> None:
    """The token stops working at once; the row stays, to show when it was revoked."""
    async with db.transaction():
        revoked = (
            await ApiToken.update({ApiToken.revoked_at: now()})
            .where((ApiToken.id == token_id) & ApiToken.revoked_at.is_null())
            .returning(ApiToken.id)
            .run()
        )
        if not revoked:
            raise NotFound
        await audit.record(command_line_viewer().actor, "revoke", "api_token", token_id)


async def viewer_for_token(token: str) -> Viewer | None:
    """The token's user, or None for a token unknown, expired or revoked."""
    at = now()
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user)
        .where(
            (ApiToken.token_hash == _token_hash(token))
            & ApiToken.revoked_at.is_null()
            & (ApiToken.expires_at.is_null() | (ApiToken.expires_at > at))
        )
        .first()
        .run()
    )
    if row is None:
        return None
    # At most one write a minute per token, decided by the UPDATE itself, so parallel
    # requests with one token do not each write.
    await (
        ApiToken.update({ApiToken.last_used_at: at})
        .where(
            (ApiToken.id == row["id"])
            & (
                ApiToken.last_used_at.is_null()
                | (ApiToken.last_used_at <= at - dt.timedelta(seconds=TOKEN_USE_RECORDED_EVERY))
            )
        )
        .run()
    )
    return await viewer_for(row["user"])
