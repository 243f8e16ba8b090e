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
    def __init__(self, errors: dict[str, Msg]):
        super().__init__(", ".join(errors))
        self.errors = errors


def clean_text(
    errors: dict[str, Msg], field_name: str, value: str | None, *, max_length: int, required=True
) -> str:
    """Normalise one line of typed text; record an error for the field when it is unusable."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    text = " ".join(text.split())
    if not text:
        if required:
            errors[field_name] = Msg("This field is required.")
        return ""
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        errors[field_name] = Msg("Remove the invisible control characters.")
    elif len(text) > max_length:
        errors[field_name] = Msg("At most {max} characters.", max=max_length)
    return text
