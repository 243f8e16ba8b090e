"""Typed input for the enrollment, edit and search forms."""

from __future__ import annotations

from collections.abc import Mapping

from coop.forms import choice_id, whole_number
from coop.members import imports
from coop.members.choices import EDUCATION, ETHNICITIES, HOUSEHOLD_TYPES, POSTS, STATUSES
from coop.members.domain import NAME_MAX, EnrollmentInput, MemberChanges, MemberFilter
from coop.validation import Msg, ValidationError, clean_text


def _choice(errors: dict[str, Msg], name: str, value: str | None, allowed) -> str:
    value = (value or "").strip()
    if value and value not in allowed:
        errors[name] = Msg("Choose from the list.")
    return value


def _profile(errors: dict[str, Msg], data: Mapping) -> dict:
    """The fields the enrollment and edit forms share."""
    return dict(
        is_backbone=data.get("is_backbone") == "1",
        recruited_by_id=whole_number(data.get("recruited_by_id")),
        ethnicity=_choice(errors, "ethnicity", data.get("ethnicity"), ETHNICITIES),
        education=_choice(errors, "education", data.get("education"), EDUCATION),
        household_type=_choice(
            errors, "household_type", data.get("household_type"), HOUSEHOLD_TYPES
        ),
    )


def enrollment(data: Mapping) -> EnrollmentInput:
    errors: dict[str, Msg] = {}
    result = EnrollmentInput(
        name=clean_text(errors, "name", data.get("name"), max_length=NAME_MAX),
        resident_id=(data.get("resident_id") or "")[:40],
        phone=(data.get("phone") or "")[:40],
        cooperative_id=choice_id(
            errors,
            "cooperative_id",
            data.get("cooperative_id"),
            Msg("Choose a cooperative from the list."),
        ),
        village_id=choice_id(
            errors, "village_id", data.get("village_id"), Msg("Choose a village from the list.")
        ),
        **_profile(errors, data),
        worker_post=_choice(errors, "worker_post", data.get("worker_post"), POSTS),
    )
    if errors:
        raise ValidationError(errors)
    return result


def changes(data: Mapping) -> MemberChanges:
    errors: dict[str, Msg] = {}
    version = data.get("version") or ""
    result = MemberChanges(
        phone=(data.get("phone") or "")[:40],
        village_id=choice_id(
            errors, "village_id", data.get("village_id"), Msg("Choose a village from the list.")
        ),
        **_profile(errors, data),
        version=whole_number(version, 0),
    )
    if errors:
        raise ValidationError(errors)
    return result


def member_filter(params: Mapping) -> MemberFilter:
    """Search and filters from the query string; anything unusable is ignored."""
    page = params.get("page") or "1"
    status = params.get("status") or ""
    post = params.get("worker_post") or ""
    return MemberFilter(
        q=(params.get("q") or "").strip()[:40],
        cooperative_id=whole_number(params.get("cooperative_id")),
        village_id=whole_number(params.get("village_id")),
        status=status if status in STATUSES else "",
        backbone=params.get("backbone") == "1",
        first_batch=params.get("first_batch") == "1",
        welcome_pack_pending=params.get("welcome_pack_pending") == "1",
        worker_post=post if post in POSTS or post == "any" else "",
        page=min(max(whole_number(page, 1), 1), 100_000),
    )


def import_mapping(params: Mapping) -> dict[str, int] | None:
    """The columns chosen on the import preview; None before any was chosen (guess them)."""
    if not any(f"column_{name}" in params for name in imports.FIELDS):
        return None
    chosen = {name: whole_number(params.get(f"column_{name}")) for name in imports.FIELDS}
    return {name: index for name, index in chosen.items() if index is not None}


def import_defaults(params: Mapping) -> imports.Defaults:
    return imports.Defaults(
        whole_number(params.get("default_cooperative_id")),
        whole_number(params.get("default_village_id")),
    )
