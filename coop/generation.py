"""Per-process caches of what every page view needs and rarely changes: the signed-in user
with their role and scope, and the cooperatives and villages in that scope.

Correctness across workers comes from a generation: a value the database keeps (a row of
`stored_value`) that every write to users, their scopes or the union tree replaces, in the
same transaction as the write (`bump`). Each request reads it in the statement that reads
its session (coop.accounts.store), and a cache entry made under another generation is not
used. So a deactivated user, a changed role or scope, or a renamed cooperative is seen on
the very next request, in every worker and on every host, at no extra query.

Entries also expire after MAX_AGE seconds: a change made outside the app (an SQL console, a
restored backup) is picked up within that time.
"""

from __future__ import annotations

import secrets
from time import monotonic

from coop import db

KEY = "generation:access"
MAX_AGE = 10.0
# A random new value, not a counter: two concurrent writers can never leave a value that a
# cache has already seen, and no read-modify-write is needed.
_BUMP = (
    "INSERT INTO stored_value (key, value, expires_at) VALUES ({}, {}, NULL) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


_START = (
    "INSERT INTO stored_value (key, value, expires_at) VALUES ({}, {}, NULL) "
    "ON CONFLICT (key) DO NOTHING"
)


async def start() -> None:
    """At start-up: give a database without a generation one (until then nothing is cached),
    a random one, so no entry can ever match a generation of another database."""
    await db.fetch(db.placeholders(_START), [KEY, secrets.token_bytes(8)])


async def bump() -> None:
    """Call inside the transaction that changes users, scopes or the union tree."""
    await db.fetch(db.placeholders(_BUMP), [KEY, secrets.token_bytes(8)])


class Cache:
    """Values by key, each valid for the generation it was made under, at most MAX_AGE."""

    SIZE_MAX = 10_000

    def __init__(self) -> None:
        self._entries: dict = {}

    def get(self, key, generation: bytes | None):
        if generation is None:
            return None
        entry = self._entries.get(key)
        if entry is None or entry[0] != generation or entry[1] < monotonic():
            return None
        return entry[2]

    def put(self, key, generation: bytes | None, value) -> None:
        if generation is None:
            return
        if len(self._entries) >= self.SIZE_MAX:
            self._entries.clear()
        self._entries[key] = (generation, monotonic() + MAX_AGE, value)

    def clear(self) -> None:
        self._entries.clear()
