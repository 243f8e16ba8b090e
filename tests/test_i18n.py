import datetime as dt
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from coop import i18n
from coop.validation import Msg

ROOT = Path(__file__).parent.parent
CATALOGS = {
    locale: i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po" for locale in i18n.LOCALES
}


def _source_messages() -> set[str]:
    """Every message id in the code and templates, extracted as pybabel would."""
    method_map = [("coop/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = set()
    for _, _, message, _, _ in extract_from_dir(
        ROOT, method_map, options, keywords={"_": None, "gettext": None, "Msg": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_catalog_has_no_untranslated_or_fuzzy_entries(locale):
    with open(CATALOGS[locale], "rb") as po:
        catalog = read_po(po, locale=locale)
    incomplete = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert incomplete == []


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_catalog_holds_every_message_in_the_source(locale):
    with open(CATALOGS[locale], "rb") as po:
        catalog = read_po(po, locale=locale)
    missing = sorted(_source_messages() - {m.id for m in catalog if m.id})
    assert missing == []


def test_real_chinese_translations_load():
    translations = i18n.translations("zh_CN")
    assert type(translations) is Translations  # not the do-nothing NullTranslations
    assert (translations.gettext("Sign in"), translations.gettext("Organizations")) == (
        "登录",
        "组织机构",
    )


def test_translate_fills_message_parameters_in_the_current_language():
    token = i18n.current_locale.set("zh_CN")
    try:
        assert i18n.translate(Msg("At most {max} characters.", max=100)) == "最多 100 个字符。"
    finally:
        i18n.current_locale.reset(token)


@pytest.mark.parametrize(
    ("chosen", "accept_language", "expected"),
    [
        (None, None, "zh_CN"),
        (None, "zh", "zh_CN"),
        (None, "zh-CN,zh;q=0.9", "zh_CN"),
        (None, "zh-Hans", "zh_CN"),
        (None, "zh_Hans_CN", "zh_CN"),
        (None, "en-GB,en;q=0.8", "en"),
        (None, "fr-FR,en;q=0.5,zh;q=0.9", "zh_CN"),
        (None, "fr-FR", "zh_CN"),
        (None, "en;q=0, zh;q=0.1", "zh_CN"),
        (None, "zh;q=0.5, en;q=\u0967", "zh_CN"),  # a Devanagari 1 is no weight
        (None, "zh;q=0.5, en;q=inf", "zh_CN"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
    ],
)
def test_negotiate_locale(chosen, accept_language, expected):
    assert i18n.negotiate(chosen, accept_language) == expected


@pytest.mark.parametrize(
    ("locale", "day", "number"),
    [("zh_CN", "2022年6月1日", "1,234.5"), ("en", "Jun 1, 2022", "1,234.5")],
)
def test_dates_and_numbers_follow_the_locale(locale, day, number):
    token = i18n.current_locale.set(locale)
    try:
        assert i18n.format_day(dt.date(2022, 6, 1)) == day
        assert i18n.format_number(1234.5) == number
    finally:
        i18n.current_locale.reset(token)


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_fixed_words_compile_to_what_the_runtime_translation_gives(locale):
    """Every template message without parameters, compiled into the language's templates,
    renders exactly as `_()` renders it at run time (same text, same escaping)."""
    messages = sorted(m for m in _source_messages() if "%(" not in m)
    source = "\n".join("{{ _(%r) }}" % m for m in messages)  # noqa: UP031 (a Jinja literal)
    compiled = i18n.language_environment(locale).from_string(source)
    runtime = i18n.jinja_environment().from_string(source)
    token = i18n.current_locale.set(locale)
    try:
        expected = runtime.render()
    finally:
        i18n.current_locale.reset(token)
    other = next(code for code in i18n.LOCALES if code != locale)
    token = i18n.current_locale.set(other)  # compiled words do not follow the request's
    try:
        assert compiled.render() == expected
    finally:
        i18n.current_locale.reset(token)


def test_words_with_parameters_are_translated_when_the_page_renders():
    template = i18n.language_environment("zh_CN").from_string(
        '{{ _("Page %(page)s", page=n) }} · {{ _("Members") }}'
    )
    token = i18n.current_locale.set("zh_CN")
    try:
        assert template.render(n="<2>") == "第 &lt;2&gt; 页 · 会员"
    finally:
        i18n.current_locale.reset(token)


def test_fixed_words_leave_what_they_cannot_translate_to_the_page_render():
    class Words:
        def _(self, text: str) -> str:
            return text.upper()

    template = i18n.language_environment("zh_CN").from_string(
        '{{ words._("Members") }}|{% if broken %}{{ _("%(n)s left") }}{% endif %}'
    )
    assert template.render(words=Words(), broken=False) == "MEMBERS|"
    with pytest.raises(KeyError):
        template.render(words=Words(), broken=True)
