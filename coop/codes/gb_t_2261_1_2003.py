"""性别代码, GB/T 2261.1-2003: 1 男, 2 女 (the app stores M/F from the ID; these are the
codes the exports write)."""

from coop.codes import CodeList
from coop.validation import Msg

SEX = CodeList(
    "GB/T 2261.1-2003",
    labels={"1": Msg("Male"), "2": Msg("Female")},
    names={"1": "男", "2": "女"},
    aliases={"M": "1", "F": "2", "男性": "1", "女性": "2"},
)

# The app's own letters (from the ID's 17th digit) and the standard's codes.
CODE_OF_LETTER = {"M": "1", "F": "2"}
LETTER_OF_CODE = {"1": "M", "2": "F"}
