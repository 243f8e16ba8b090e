"""Errors the domain raises, and the text checks every form shares.

Messages are `Msg` objects, translated when rendered, so domain code stays
free of request state and the user still reads them in their own language.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Msg:
    text: str
    params: dict = field(default_factory=dict)

    def __init__(self, text: str, **params):
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "params", params)

    def __hash__(self) -> int:
        return hash((self.text, tuple(sorted(self.params.items()))))


class NotFound(Exception):
    """The record does not exist, or is outside what the user may see."""


class Forbidden(Exception):
    """The user may see the record but not do this to it."""


class RateLimited(Exception):
    """Too many requests from one client: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class ValidationError(Exception):
    """Every refused field of a form at once (`errors`, field name → message); `partial` is
    what could be read, so the checks that follow (the domain's) still run on it."""

    def __init__(self, errors: dict[str, Msg], partial=None):
        super().__init__(", ".join(errors))
        self.errors = errors
        self.partial = partial


def _is_control(ch: str) -> bool:
    """Unicode's "other" categories: C0/C1 controls (NUL among them), format characters such
    as zero-width spaces, surrogates, private use and unassigned code points."""
    return unicodedata.category(ch).startswith("C")


def without_controls(text: str) -> str:
    """The text with every invisible control character taken out: for a search box, where
    refusing would only puzzle and the text is never stored."""
    return "".join(ch for ch in text if not _is_control(ch))


def clean_text(
    errors: dict[str, Msg], field_name: str, value: str | None, *, max_length: int, required=True
) -> str:
    """Normalise one line of typed text; record an error for the field when it is unusable.

    Every text field of a form or an API body comes through here: a NUL byte or another
    control character is refused (PostgreSQL cannot store NUL), tabs and line breaks fold
    to single spaces."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    text = " ".join(text.split())
    if not text:
        if required:
            errors[field_name] = Msg("This field is required.")
        return ""
    if any(_is_control(ch) for ch in text):
        errors[field_name] = Msg("Remove the invisible control characters.")
    elif len(text) > max_length:
        errors[field_name] = Msg("At most {max} characters.", max=max_length)
    return text
