"""The national code lists of the union's real-name record (会员实名制), one module per
standard, named after it and its year. Kernel: no context imports.

Every list is a `CodeList`: its codes in order, a label per code (a msgid, shown in the
reader's language), the standard's own Chinese name per code, and the other names people
type; `lookup` takes any of them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from coop.validation import Msg


def _key(text: str) -> str:
    """What two spellings of one name share: full-width folded, spaces taken out."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


@dataclass(frozen=True)
class CodeList:
    standard: str
    labels: dict[str, Msg]  # code -> label, in the standard's order
    names: dict[str, str]  # code -> the standard's Chinese name
    aliases: dict[str, str] = field(default_factory=dict)  # other name or code -> code

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def lookup(self, text: str) -> str | None:
        """The code for a code, a label, the standard's name or an alias; None if none."""
        key = _key(text)
        if not key:
            return None
        if key in self.labels:
            return key
        width = len(self.codes[0])
        if key.isdigit() and key.zfill(width) in self.labels:  # Excel drops leading zeros
            return key.zfill(width)
        return self._index().get(key)

    def _index(self) -> dict[str, str]:
        index = {_key(alias): code for alias, code in self.aliases.items()}
        index.update({_key(label.text): code for code, label in self.labels.items()})
        index.update({_key(name): code for code, name in self.names.items()})
        return index

    def allowed(self) -> str:
        """The allowed values, for an error message: "1 男, 2 女"."""
        return ", ".join(f"{code} {name}" for code, name in self.names.items())
