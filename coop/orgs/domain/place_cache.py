"""The cooperatives and villages a user may choose from, kept per process: the filters and
forms of every context ask for them on each page, and the tree changes rarely."""

from __future__ import annotations

from coop import generation
from coop.access import Scope
from coop.orgs.queries import cooperatives, villages

_places = generation.Cache()


async def places(scope: Scope, seen: bytes | None = None) -> dict[str, list[dict]]:
    """The cooperatives and villages in scope, for filters and forms. Reused while the
    access generation `seen` (coop.generation) is unchanged: the tree changes rarely."""
    found = _places.get(scope, seen)
    if found is None:
        found = {"cooperatives": await cooperatives(scope), "villages": await villages(scope)}
        _places.put(scope, seen, found)
    return found
