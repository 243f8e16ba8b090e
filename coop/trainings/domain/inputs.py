"""What organizers and registrants give, as the domain takes it: the input types and
the limits of their fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CAPACITY_MAX = 100_000


@dataclass
class ProgrammeInput:
    title: str
    description: str
    union_id: int


@dataclass
class SessionInput:
    topic: str
    trainer: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    online_link: str
    capacity: int
    audience: str
    status: str
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    version: int = 0


@dataclass
class RegistrationInput:
    name: str
    phone: str
    village_id: int | None = None
    cooperative_id: int | None = None
    resident_id: str = ""
