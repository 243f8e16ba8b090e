"""Reading typed values out of a submitted form; shared by every context's forms.py."""

from __future__ import annotations

import datetime as dt

from coop.validation import Msg


def choice_id(errors: dict[str, Msg], name: str, value: str | None, message: Msg) -> int:
    try:
        return int(value or "")
    except ValueError:
        errors[name] = message
        return 0


def id_list(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


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
