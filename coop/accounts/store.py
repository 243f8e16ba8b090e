"""Litestar's Store interface on a table, so every worker and host shares sessions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.stores.base import NamespacedStore

from coop import db, generation, privacy
from coop.accounts.tables import StoredValue

ROTATE_SESSION = "coop.rotate_session"
GENERATION = "coop.generation"  # in a request's state: the access generation (coop.generation)
SESSION_FOUND = "coop.session_found"  # in a request's state: the cookie named a live session
NEW_SESSION_ID = "coop.new_session_id"
SESSION_ID = re.compile(r"[0-9a-f]{64}")  # what generate_session_id makes (32 random bytes)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _expiry(expires_in: int | dt.timedelta | None) -> dt.datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in
    return _now() + dt.timedelta(seconds=seconds)


def _far_enough(stored: dt.datetime | None, wanted: dt.datetime | None) -> bool:
    """Whether a stored expiry is at least half as far off as the one asked for."""
    if stored is None or wanted is None:
        return stored is wanted
    now = _now()
    return stored - now >= (wanted - now) / 2


# The session (or other value) and the access generation, read together on every page view.
_GET = (
    "SELECT id, value, expires_at, (SELECT value FROM stored_value WHERE key = {}) AS generation"
    " FROM stored_value WHERE key = {}"
)


class DatabaseStore(NamespacedStore):
    """Sessions are saved after every response; most responses change nothing, so an
    unchanged value whose expiry is still more than half its lifetime away is not
    written again. That keeps page views from queueing for the database's write lock.
    """

    SEEN_MAX = 10_000

    def __init__(self, namespace: str = "coop") -> None:
        self.namespace = namespace
        self._seen: dict[str, tuple[bytes, dt.datetime | None]] = {}

    def _remember(self, full_key: str, data: bytes, expires_at: dt.datetime | None) -> None:
        if len(self._seen) >= self.SEEN_MAX:
            self._seen.clear()
        self._seen[full_key] = (data, expires_at)

    @staticmethod
    def _seal(data: bytes) -> bytes:
        """Values are stored encrypted: a session may hold a stashed form with ID numbers."""
        return privacy.encrypt(data.decode()).encode()

    @staticmethod
    def _open(sealed: bytes) -> bytes | None:
        """The value, or None for one that does not decrypt (stored before encryption)."""
        try:
            return privacy.decrypt(sealed.decode()).encode()
        except (InvalidTag, ValueError):
            return None

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(f"{self.namespace}:{namespace}")

    def _key(self, key: str) -> str:
        """Keys (session IDs) are stored hashed: a copy of the database signs nobody in."""
        return f"{self.namespace}:{privacy.keyed_hash('store_key', key)}"

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None):
        data = value.encode() if isinstance(value, str) else value
        full_key, expires_at = self._key(key), _expiry(expires_in)
        seen = self._seen.get(full_key)
        if seen and seen[0] == data and _far_enough(seen[1], expires_at):
            return
        async with db.transaction():
            updated = (
                await StoredValue.update(
                    {StoredValue.value: self._seal(data), StoredValue.expires_at: expires_at}
                )
                .where(StoredValue.key == full_key)
                .returning(StoredValue.id)
                .run()
            )
            if not updated:
                await StoredValue.insert(
                    StoredValue(key=full_key, value=self._seal(data), expires_at=expires_at)
                ).run()
        self._remember(full_key, data, expires_at)

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        return (await self.get_with_generation(key, renew_for))[0]

    async def get_with_generation(
        self, key: str, renew_for: int | dt.timedelta | None = None
    ) -> tuple[bytes | None, bytes | None]:
        """The value, and in the same statement the access generation (coop.generation)
        when the value exists: every page view reads both, so they cost one query."""
        rows = await db.read(db.placeholders(_GET), [generation.KEY, self._key(key)])
        if not rows:
            return None, None
        row = rows[0]
        if row["expires_at"] is not None and row["expires_at"] <= _now():
            await self.delete(key)
            return None, None
        value = self._open(bytes(row["value"]))
        if value is None:
            await self.delete(key)
            return None, None
        if renew_for is not None and row["expires_at"] is not None:
            await (
                StoredValue.update({StoredValue.expires_at: _expiry(renew_for)})
                .where(StoredValue.id == row["id"])
                .run()
            )
        self._remember(self._key(key), value, row["expires_at"])
        seen = row["generation"]
        return value, bytes(seen) if seen is not None else None

    async def delete(self, key: str) -> None:
        self._seen.pop(self._key(key), None)
        await StoredValue.delete().where(StoredValue.key == self._key(key)).run()

    async def delete_all(self) -> None:
        await StoredValue.delete().where(StoredValue.key.like(f"{self.namespace}:%")).run()

    async def delete_expired(self) -> None:
        await StoredValue.delete().where(StoredValue.expires_at < _now()).run()

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = (
            await StoredValue.select(StoredValue.expires_at)
            .where(StoredValue.key == self._key(key))
            .first()
            .run()
        )
        if row is None or row["expires_at"] is None:
            return None
        return max(0, int((row["expires_at"] - _now()).total_seconds()))


class RotatingSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, with three rules of ours:

    - a session is stored only when it holds something (a sign-in, a flash, a stashed form),
      so anonymous page views write nothing;
    - only an ID this server issued and still holds is used again; a malformed or unknown ID
      from the client is never stored, a fresh one is issued instead;
    - a fresh ID at sign-in, so an ID planted before sign-in is worthless.
    """

    def get_session_id(self, connection: ASGIConnection) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE_SESSION) is True:
            state[ROTATE_SESSION] = self.generate_session_id()
        if state.get(ROTATE_SESSION):
            return state[ROTATE_SESSION]
        if state.get(SESSION_FOUND):
            return connection.cookies[self.config.key]
        if not state.get(NEW_SESSION_ID):
            state[NEW_SESSION_ID] = self.generate_session_id()
        return state[NEW_SESSION_ID]

    async def load_from_connection(self, connection: ASGIConnection) -> dict:
        """As Litestar's, and keeps the access generation read with the session in the
        request's state, where the viewer cache (coop.accounts.guards) looks for it."""
        session_id = connection.cookies.get(self.config.key)
        state = connection.scope.setdefault("state", {})
        if not session_id or not SESSION_ID.fullmatch(session_id):
            return {}
        store = self.config.get_store_from_app(connection.scope["app"])
        max_age = int(self.config.max_age) if self.config.max_age is not None else None
        renew_for = max_age if self.config.renew_on_access else None
        data, seen = await store.get_with_generation(session_id, renew_for)
        state[GENERATION] = seen
        state[SESSION_FOUND] = data is not None
        return self.deserialize_data(data) if data is not None else {}

    async def store_in_message(self, scope_session, message, connection) -> None:
        state = connection.scope.get("state", {})
        old = connection.cookies.get(self.config.key)
        if not scope_session:  # nothing to keep: no row, and no cookie
            if old:
                if state.get(SESSION_FOUND):
                    await self.delete(old, store=self.config.get_store_from_app(connection.app))
                headers = MutableScopeHeaders.from_message(message)
                cookie = Cookie(value="null", key=self.config.key, expires=0, **self._cookie())
                headers.add("Set-Cookie", cookie.to_header(header=""))
            return
        await super().store_in_message(scope_session, message, connection)
        if old and state.get(SESSION_FOUND) and state.get(ROTATE_SESSION) not in (None, old):
            await self.delete(old, store=self.config.get_store_from_app(connection.app))

    def _cookie(self) -> dict:
        return {
            name: getattr(self.config, name)
            for name in ("path", "domain", "secure", "httponly", "samesite")
            if getattr(self.config, name) is not None
        }


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class: type[ServerSideSessionBackend] = field(
        default=RotatingSessionBackend, init=False
    )


def rotate_session(connection: ASGIConnection) -> None:
    connection.scope.setdefault("state", {})[ROTATE_SESSION] = True
