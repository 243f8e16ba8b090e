"""Reading typed values out of a submitted form; shared by every context's forms.py."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from coop.i18n import TIME_ZONE
from coop.validation import Msg, ValidationError

INT_MAX = 2**31 - 1  # the largest value a database integer column holds

# Full-width forms (U+FF01-U+FF5E: digits, letters, ＋－（）) are what a Chinese keyboard types
# in full-width mode; they map one to one onto ASCII. The ideographic space becomes a space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_DIGITS = re.compile(r"[0-9]+")
_CODE = re.compile(r"[0-9A-Z]+")
_DECIMAL = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?")


def half_width(text: str) -> str:
    """Full-width forms as ASCII, and nothing else changed.

    Not NFKC: NFKC keeps NKo, Devanagari and Arabic-Indic digits (which `isdigit()`, `int()`
    and `\\d` all accept) and turns ① and 𝟏 into 1. Here they stay as typed, so every check
    below, which knows only [0-9], refuses them."""
    return text.translate(_FULL_WIDTH)


def is_digits(text: str) -> bool:
    """Only the ASCII digits 0-9, at least one (read `half_width` text)."""
    return _DIGITS.fullmatch(text) is not None


def whole_number(value: object, default=None):
    """A typed whole number: ASCII or full-width digits that fit a database integer;
    else `default`."""
    text = half_width(str(value if value is not None else "")).strip()
    if is_digits(text) and len(text) <= 10 and int(text) <= INT_MAX:
        return int(text)
    return default


def typed_code(value: str | None) -> str:
    """A code read out or copied (a registration or check-in code): full-width as ASCII,
    spaces and dashes dropped, upper case; empty, which no code is, unless only ASCII
    letters and digits are left (a NUL byte would otherwise reach PostgreSQL's query)."""
    text = re.sub(r"[\s\-]", "", half_width(value or "")).upper()
    return text if _CODE.fullmatch(text) else ""


def decimal_number(value: str | None) -> Decimal | None:
    """A typed decimal number: ASCII or full-width digits, a sign and a point; else None.
    (`Decimal()` alone also reads other scripts' digits, exponents and underscores.)"""
    text = half_width(value or "").strip()
    return Decimal(text) if _DECIMAL.fullmatch(text) else None


def raise_all(errors: dict[str, Msg], partial=None):
    """`partial` when no field was refused; else one ValidationError carrying every error,
    and `partial` (what could be read) so that later checks can still run on it."""
    if errors:
        raise ValidationError(errors, partial=partial)
    return partial


def read_all(errors: dict[str, Msg], read, *args, **kwargs):
    """What `read(...)` returns; when it refuses, its errors join `errors` (a field's first
    message stays) and its partial value is returned, so every check of a form runs and the
    user sees all errors at once, not one per submit."""
    try:
        return read(*args, **kwargs)
    except ValidationError as error:
        merge_errors(errors, error.errors)
        return error.partial


def merge_errors(errors: dict[str, Msg], more: dict[str, Msg]) -> dict[str, Msg]:
    """`more` added to `errors`; a field that already has a message keeps it."""
    for name, message in more.items():
        errors.setdefault(name, message)
    return errors


def choice_id(errors: dict[str, Msg], name: str, value: str | None, message: Msg) -> int:
    number = whole_number(value)
    if number is None:
        errors[name] = message
        return 0
    return number


def id_list(values: list[str]) -> list[int]:
    return [n for n in (whole_number(v) for v in values) if n is not None]


def optional_date(errors: dict[str, Msg], name: str, value: str | None) -> dt.date | None:
    value = half_width(value or "").strip()
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
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
    value = half_width(value or "").strip()
    if not value:
        if required:
            errors[name] = Msg("This field is required.")
        return None
    try:
        if not _MOMENT.fullmatch(value):
            raise ValueError(value)
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
