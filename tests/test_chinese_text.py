"""The Chinese as a careful editor reads it: full-width punctuation, the right word in place."""

import re
from pathlib import Path

from coop import i18n

ROOT = Path(__file__).parent.parent
CJK = "[\u3000-\u9fff\uff00-\uffef]"
ASCII_MARK = re.compile(rf"{CJK}\s*[:,;?!()]|[:,;?!()]\s*{CJK}")
NOT_PROSE = re.compile(r"%\([a-z_]+\)s|\{[a-z_]+\}|https?://\S+")
# A translated word followed by an ASCII colon in the template: the colon belongs in the catalog.
COLON_AFTER_TEXT = re.compile(r"""(_\("[^"]*"\)|\|\s*t)\s*\}\}\s*:""")


def test_no_chinese_translation_has_ascii_punctuation_beside_chinese_text():
    zh = i18n.translations("zh_CN")
    catalog = zh._catalog
    found = {
        key: text
        for key, text in catalog.items()
        if key and ASCII_MARK.search(NOT_PROSE.sub("X", text))
    }
    assert found == {}


def test_no_template_puts_an_ascii_colon_after_translated_text():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for match in COLON_AFTER_TEXT.finditer(path.read_text())
    ]
    assert found == []


def test_wording_a_native_editor_asked_for():
    zh = i18n.translations("zh_CN")
    said = {
        text: zh.gettext(text)
        for text in (
            "Totals",
            "Awards",
            "Next entry",
            "Previous entry",
            "Mark welcome pack issued",
            "Total: %(total)s",
        )
    }
    assert said == {
        "Totals": "合计",
        "Awards": "奖项",
        "Next entry": "下一位",
        "Previous entry": "上一位",
        "Mark welcome pack issued": "确认发放",
        "Total: %(total)s": "总分：%(total)s",
    }
