"""What organizers and registrants give, as the domain takes it: the input types and
the limits of their fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TITLE_MAX = 100  # a programme's title, a session's topic and trainer
DESCRIPTION_MAX = 2000
PLACE_MAX = 200
LINK_MAX = 500  # a session's online link
CAPACITY_MAX = 100_000
NAME_MAX = 50  # a registrant's name
VILLAGE_OTHER_MAX = 50  # 其他村 / 外地: a village or place as typed
OTHER_VILLAGE = "other"  # the village list's 其他村 / 外地 choice
# As typed, before checking: a mobile or ID number (spaces, +86), a registration code, a
# roster search. Longer input is cut there: nothing valid is that long.
NUMBER_TYPED_MAX = 40
CODE_TYPED_MAX = 20
SEARCH_MAX = 40


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
    id_tail: str = ""  # a member's confirmation: the last 4 characters of their ID number
    village_other: str = ""  # open sessions: 其他村 / 外地, as typed, when no village chosen
