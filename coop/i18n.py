"""Languages: choosing one per request, loading Babel catalogs, the Jinja environment.

zh_CN is the default and complete; en is complete too. Catalogs are compiled
from the .po files in memory at start-up, so there is no .mo build step to forget.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from contextvars import ContextVar
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from coop.validation import Msg

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}
LOCALE_DIR = Path(__file__).parent / "locale"
TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
TIME_ZONE = "Asia/Shanghai"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


def normalise(tag: str | None) -> str | None:
    """Map a language tag (zh, zh-CN, zh_Hans_CN, en-GB…) to one of LOCALES."""
    if not tag:
        return None
    parts = tag.strip().replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        # Traditional-script tags are still better served by zh_CN than by English.
        return "zh_CN"
    if parts[0] == "en":
        return "en"
    return None


_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The user's choice, else the best Accept-Language match, else zh_CN."""
    if normalise(chosen):
        return normalise(chosen)  # type: ignore[return-value]
    weighted = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            # RFC 9110's qvalue; float() would also read "१", "inf" and "1_0"
            weight = params.strip()[2:]
            quality = float(weight) if _QVALUE.fullmatch(weight) else 0.0
        if quality > 0:
            weighted.append((-quality, position, tag))
    for _, _, tag in sorted(weighted):
        if locale := normalise(tag):
            return locale
    return DEFAULT_LOCALE


@functools.cache
def translations(locale: str) -> Translations:
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


def translate(message: Msg | str) -> str:
    """Translate a domain message (with its parameters) into the current language."""
    if isinstance(message, Msg):
        return gettext(message.text).format(**message.params)
    return gettext(message)


def babel_locale() -> Locale:
    return Locale.parse(current_locale.get())


def format_day(value: dt.date | None, style: str = "medium") -> str:
    return format_date(value, format=style, locale=babel_locale()) if value else ""


def format_moment(
    value: dt.datetime | None, style: str = "medium", time_zone: str = TIME_ZONE
) -> str:
    """A moment as the reader writes it, on the clock of `time_zone`."""
    if not value:
        return ""
    return format_datetime(value, format=style, tzinfo=ZoneInfo(time_zone), locale=babel_locale())


def format_span(start: dt.datetime, end: dt.datetime, time_zone: str = TIME_ZONE) -> str:
    """When a session runs: "2026年12月5日周六 14:00–16:30", on the clock of `time_zone`."""
    zone, locale = ZoneInfo(time_zone), babel_locale()
    if start.astimezone(zone).date() != end.astimezone(zone).date():
        return format_interval(start, end, "yMMMEdHm", tzinfo=zone, locale=locale)
    day = format_skeleton("yMMMEd", start, tzinfo=zone, locale=locale, fuzzy=True)
    return f"{day} {format_interval(start, end, 'Hm', tzinfo=zone, locale=locale)}"


def local_today() -> dt.date:
    """Today where the union works, whatever the server's clock zone."""
    return dt.datetime.now(ZoneInfo(TIME_ZONE)).date()


def local_day(value: dt.datetime | None) -> dt.date | None:
    """The calendar day of a moment where the union works."""
    return value.astimezone(ZoneInfo(TIME_ZONE)).date() if value else None


def format_number(value) -> str:
    return format_decimal(value, locale=babel_locale())


def labels(names: dict) -> dict:
    """Names (value -> Msg) in the current language: translated once, used for every row."""
    return {value: translate(name) for value, name in names.items()}


def options(rows: list[dict], label: str = "name") -> list[tuple]:
    """Rows as (id, label) pairs for a <select>."""
    return [(row["id"], row[label]) for row in rows]


def markup_gettext(message: str, **params) -> Markup:
    """`_()` in templates: what the i18n extension's newstyle gettext returns with autoescape
    on (the translation is markup, its parameters are escaped; `%%` is a percent sign), in
    one plain call instead of its two context-passing ones. Calls without parameters are
    translated when the template compiles (FixedWords)."""
    return Markup(gettext(message)) % params


class FixedWords(Extension):
    """Compiles each `_("…")` that has no parameters to its translation, marked safe exactly
    as `markup_gettext` marks it, so Jinja folds it into the template's text: a page's
    fixed words (fifty on a list page) cost nothing when it renders. Each language has its
    own compiled templates (`language_environment`); `_()` with parameters still runs, and
    so does anything this cannot translate now (it fails when rendered, as before)."""

    def filter_stream(self, stream: TokenStream):
        locale = self.environment.fixed_words_locale  # type: ignore[attr-defined]
        window: list[Token] = []
        before = None  # the token before the window
        for token in stream:
            window.append(token)
            if len(window) < 4:
                continue
            translated = self._translated(window, before, locale)
            if translated is None:
                before = window.pop(0)
                yield before
                continue
            line = window[0].lineno
            yield Token(line, "lparen", "(")
            yield Token(line, "string", translated)
            yield Token(line, "pipe", "|")
            yield Token(line, "name", "safe")
            yield Token(line, "rparen", ")")
            before, window = window[-1], []
        yield from window

    @staticmethod
    def _translated(window: list[Token], before: Token | None, locale: str) -> str | None:
        name, opening, text, closing = window
        if not (
            name.test("name:_")
            and opening.test("lparen")
            and text.test("string")
            and closing.test("rparen")
        ) or (before is not None and before.test_any("dot", "pipe")):  # x._() is not ours
            return None
        previous = current_locale.set(locale)
        try:
            return str(markup_gettext(text.value))
        except (KeyError, ValueError, TypeError):  # "%(n)s" with no n, a stray "%"
            return None
        finally:
            current_locale.reset(previous)


@functools.cache
def language_environment(locale: str) -> Environment:
    """The templates of one language (see FixedWords): the app's environment, overlaid."""
    env = jinja_environment().overlay(extensions=[FixedWords], cache_size=400)
    env.fixed_words_locale = locale  # type: ignore[attr-defined]
    return env


@functools.cache
def jinja_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates change with a deploy, which restarts the app
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = markup_gettext  # every template's autoescape is on (above)
    env.filters.update(
        t=translate,
        day=format_day,
        moment=format_moment,
        span=format_span,
        number=format_number,
        options=options,
        labels=labels,
        local_day=local_day,
    )
    env.globals.update(
        LOCALES=LOCALES, LOCALE_NAMES=LOCALE_NAMES, current_locale=current_locale.get
    )
    return env
