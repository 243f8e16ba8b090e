"""What a resident ID number (GB 11643-1999), a phone number and a name tell us.

Plain functions, no database: checked as the organizer types.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum import numdb
from stdnum.cn import ric

from coop.forms import half_width, is_digits
from coop.i18n import local_today
from coop.validation import Msg

MOBILE = re.compile(r"1[3-9][0-9]{9}")  # with fullmatch; [0-9] is ASCII only, unlike \d


@dataclass(frozen=True)
class ResidentId:
    """A checked ID number and what it says. `error` set means it is unusable."""

    number: str
    error: Msg | None = None
    warning: Msg | None = None
    sex: str = ""  # "M" or "F"
    birth_date: dt.date | None = None
    birth_place: str = ""

    def age_on(self, day: dt.date) -> int | None:
        return age_on(self.birth_date, day) if self.birth_date else None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years of age on `day`."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def normalise_digits(raw: str) -> str:
    """Full-width digits and letters to ASCII, every kind of space and dash removed; any
    other script's digits are left for the checks to refuse (one person, one number)."""
    return re.sub(r"[\s\-‐‑–—]", "", half_width(raw or ""))


def _place(code: str, year: int) -> tuple[str, bool]:
    """Birth place for an area code, and whether a person born in `year` can carry it.

    A code is given when a person is first registered, often years after birth,
    so a code created after the birth year is normal; one retired before the
    birth year cannot have been given to them.
    """
    info = {k: v for _, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    if "county" not in info:
        return "", False
    counties = info["county"].split(",")
    for county in counties:
        if not county.startswith("["):
            return f"{info.get('province', '')}{county}", True
        span, name = county[1:].split("]")
        end = span.split("-")[1]
        if not end or year <= int(end):
            return f"{info.get('province', '')}{name}", True
    return f"{info.get('province', '')}{counties[-1].split(']')[-1]}", False


def check_resident_id(raw: str, today: dt.date | None = None) -> ResidentId:
    """Length, characters, birth date and check digit reject; an unknown area code only warns."""
    number = normalise_digits(raw).upper()
    if not number:
        return ResidentId(number, error=Msg("This field is required."))
    if len(number) != 18:
        return ResidentId(
            number, error=Msg("An ID number has 18 characters; this one has {n}.", n=len(number))
        )
    if not is_digits(number[:17]) or not (is_digits(number[17]) or number[17] == "X"):
        return ResidentId(number, error=Msg("Only digits, with X allowed as the last character."))
    try:
        birth_date = ric.get_birth_date(number)
    except Exception:
        birth_date = None
    today = today or local_today()
    if birth_date is None or not dt.date(1900, 1, 1) <= birth_date <= today:
        return ResidentId(
            number,
            error=Msg(
                "The birth date in it ({date}) is impossible.",
                date=f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
            ),
        )
    if number[17] != ric.calc_check_digit(number):
        return ResidentId(
            number, error=Msg("The check digit does not match: a digit is probably mistyped.")
        )
    place, in_use = _place(number[:6], birth_date.year)
    warning = None
    if not place:
        warning = Msg("Area code {code} is unknown. Check the number.", code=number[:6])
    elif not in_use:
        warning = Msg(
            "Area code {code} was retired before {year}, the year of birth. Check the number.",
            code=number[:6],
            year=birth_date.year,
        )
    return ResidentId(
        number,
        warning=warning,
        sex="M" if int(number[16]) % 2 else "F",
        birth_date=birth_date,
        birth_place=place,
    )


def normalise_mobile(raw: str) -> str:
    number = normalise_digits(raw).replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            number = number[len(prefix) :]
    if number.startswith("86") and len(number) == 13:
        number = number[2:]
    return number


def check_mobile(raw: str) -> tuple[str, Msg | None]:
    number = normalise_mobile(raw)
    if not number:
        return number, Msg("This field is required.")
    if not MOBILE.fullmatch(number):
        return number, Msg("Enter an 11-digit mainland mobile number starting with 1.")
    return number, None


def name_keys(name: str) -> set[str]:
    """Search keys for a Chinese name: the name, full pinyin and initials.

    The surname gets every reading (单 shan/dan/chan, 曾 zeng/ceng, 解 xie/jie),
    the given name its reading in context.
    """
    name = name.strip()
    if not name:
        return set()
    from pypinyin import Style, lazy_pinyin, pinyin  # 0.2 s and 30 MB, for this only

    surname_readings = pinyin(name[0], style=Style.NORMAL, heteronym=True)[0]
    rest = lazy_pinyin(name[1:], style=Style.NORMAL, errors="ignore") if len(name) > 1 else []
    keys = {name.lower()}
    for surname in surname_readings:
        syllables = [surname, *rest]
        keys.add("".join(syllables).lower())
        keys.add("".join(s[0] for s in syllables if s).lower())
    # ü is typed as v or u on phone keyboards
    keys |= {key.replace("v", "u") for key in keys if "v" in key}
    return {key for key in keys if key}


def make_resident_id(area: str, birth_date: dt.date, sequence: int) -> str:
    """A well-formed number (for demo data and tests): area, birth date, sequence, check digit."""
    body = f"{area}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
