"""Reading typed values out of a submitted form; shared by every context's forms.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from coop.i18n import TIME_ZONE
from coop.validation import Msg

INT_MAX = 2**31 - 1  # the largest value a database integer column holds


def whole_number(value: object, default=None):
    """A typed whole number: ASCII digits that fit a database integer; else `default`."""
    text = str(value if value is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 10 and int(text) <= INT_MAX:
        return int(text)
    return default


def choice_id(errors: dict[str, Msg], name: str, value: str | None, message: Msg) -> int:
    number = whole_number(value)
    if number is None:
        errors[name] = message
        return 0
    return number


def id_list(values: list[str]) -> list[int]:
    return [n for n in (whole_number(v) for v in values) if n is not None]


def optional_date(errors: dict[str, Msg], name: str, value: str | None) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        errors[name] = Msg("Enter a date like 2022-06-30.")
        return None
    if not dt.date(1900, 1, 1) <= day <= dt.date.today() + dt.timedelta(days=366):
        errors[name] = Msg("Enter a date like 2022-06-30.")
        return None
    return day


def local_moment(
    errors: dict[str, Msg], name: str, value: str | None, *, required: bool
) -> dt.datetime | None:
    """A `datetime-local` value, read on the union's clock (China Standard Time)."""
    value = (value or "").strip()
    if not value:
        if required:
            errors[name] = Msg("This field is required.")
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        errors[name] = Msg("Enter a date and time like 2026-12-05 14:30.")
        return None
    if not 2000 <= moment.year <= 2100:
        errors[name] = Msg("Enter a date and time like 2026-12-05 14:30.")
        return None
    return moment.replace(tzinfo=ZoneInfo(TIME_ZONE)).astimezone(dt.UTC)


def as_local_input(moment: dt.datetime | None, time_zone: str = TIME_ZONE) -> str:
    """A stored moment as the value of a `datetime-local` input."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m-%dT%H:%M")
