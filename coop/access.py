"""Who may do what: the roles, the role sets each kind of action needs, the acting user's id,
the clock, and the one test for a lost unique-index race. The one policy module.

The `Viewer` is the signed-in user (built by coop.accounts); its `Scope` says which records
they may see, and every query takes it, so a record outside it is NotFound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from coop.i18n import local_today
from coop.validation import Forbidden


class Role(StrEnum):
    union_admin = "union_admin"
    federation_organizer = "federation_organizer"
    village_organizer = "village_organizer"
    judge = "judge"


ADMINS = frozenset({Role.union_admin})
# Federation staff: approve and end memberships, run trainings and contests, see full numbers.
MANAGERS = frozenset({Role.union_admin, Role.federation_organizer})
# Everyone who works with members in the field.
ORGANIZERS = MANAGERS | {Role.village_organizer}
JUDGES = frozenset({Role.judge})


@dataclass(frozen=True)
class Scope:
    """What a user may see; `can_manage` says whether they may also change it."""

    everything: bool = False
    federation_ids: frozenset[int] = frozenset()
    cooperative_ids: frozenset[int] = frozenset()
    village_ids: frozenset[int] = frozenset()
    can_manage: bool = False


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the audit log names them: a user, or a name for anonymous events."""

    id: int | None
    name: str


@dataclass(frozen=True)
class Viewer:
    """The signed-in user, with the scope every query is limited to."""

    id: int
    username: str
    display_name: str
    role: Role
    locale: str
    scope: Scope
    # The access generation this was read under (coop.generation), for the caches keyed
    # by it; None: not cached.
    generation: bytes | None = field(default=None, compare=False)

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.username)

    # What the viewer may do, for templates and controllers (the rules: coop.access).
    @property
    def is_admin(self) -> bool:
        return self.role in ADMINS

    @property
    def can_approve(self) -> bool:
        """Federation staff: approve, end memberships, run trainings and contests."""
        return self.role in MANAGERS

    @property
    def is_organizer(self) -> bool:
        return self.role in ORGANIZERS

    @property
    def is_judge(self) -> bool:
        return self.role in JUDGES


def require(viewer: Viewer, roles: Collection[Role]) -> None:
    """Refuse (Forbidden) a user whose role is not among `roles`."""
    if viewer.role not in roles:
        raise Forbidden


def actor_id(viewer: Viewer | None) -> int | None:
    """The user id to record as the one who acted; None for the public and the command line."""
    return (viewer.id or None) if viewer is not None else None


def now() -> dt.datetime:
    """The current moment (UTC, aware): every stored time comes from here."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today where the union works (China), whatever the server's clock zone."""
    return local_today()


def is_unique_violation(error: BaseException) -> bool:
    """A unique index refused a write: another request got there first (both engines)."""
    return "unique" in str(error).lower()
