"""Typed input for the enrollment, edit and search forms, and the JSON API.

A form's strings are read into typed values here, and the API's JSON arrives typed; both
are then checked by the same function (`enrollment_of`, `filter_of`), once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from coop.access import today
from coop.forms import INT_MAX, optional_date, raise_all, whole_number
from coop.members import imports
from coop.members.choices import ETHNICITIES, POSTS, STATUSES, coded, region
from coop.members.domain import (
    EMPLOYER_MAX,
    LEAVE_REASON_MAX,
    NAME_MAX,
    NUMBER_TYPED_MAX,
    PAGE_MAX,
    RESIDENCE_ADDRESS_MAX,
    SEARCH_MAX,
    TEMPLATE_NAME_MAX,
    TRANSFERRED_TO_MAX,
    EnrollmentInput,
    MemberChanges,
    MemberFilter,
)
from coop.validation import Msg, ValidationError, clean_text, without_controls


def _choice(errors: dict[str, Msg], name: str, value: str, allowed) -> str:
    value = value.strip()
    if value and value not in allowed:
        errors[name] = Msg("Choose from the list.")
    return value


def _record_id(value: int | None) -> int | None:
    """An id a database row may have; None for anything else."""
    return value if value is not None and 0 <= value <= INT_MAX else None


def _chosen_id(errors: dict[str, Msg], name: str, value: int | None, message: Msg) -> int:
    number = _record_id(value)
    if number is None:
        errors[name] = message
        return 0
    return number


def _profile(
    errors: dict[str, Msg],
    *,
    is_backbone: bool,
    recruited_by_id: int | None,
    ethnicity: str,
    education: str,
    political_status: str = "",
    employment_status: str = "",
    skill_level: str = "",
    migrant_worker: bool = False,
    hukou_region: str = "",
    residence_region: str = "",
    residence_address: str = "",
    employer: str = "",
    poverty_status: str = "",
) -> dict:
    """The fields the enrollment and edit forms share, checked."""
    return dict(
        is_backbone=is_backbone,
        recruited_by_id=_record_id(recruited_by_id),
        ethnicity=_choice(errors, "ethnicity", ethnicity, ETHNICITIES),
        education=coded(errors, "education", education),
        political_status=coded(errors, "political_status", political_status),
        employment_status=coded(errors, "employment_status", employment_status),
        skill_level=coded(errors, "skill_level", skill_level),
        migrant_worker=migrant_worker,
        hukou_region=region(errors, "hukou_region", hukou_region),
        residence_region=region(errors, "residence_region", residence_region),
        residence_address=clean_text(
            errors,
            "residence_address",
            residence_address,
            max_length=RESIDENCE_ADDRESS_MAX,
            required=False,
        ),
        employer=clean_text(errors, "employer", employer, max_length=EMPLOYER_MAX, required=False),
        poverty_status=coded(errors, "poverty_status", poverty_status),
    )


def _profile_values(data: Mapping) -> dict:
    """The shared fields as a form sends them, read into typed values."""
    return dict(
        is_backbone=data.get("is_backbone") == "1",
        recruited_by_id=whole_number(data.get("recruited_by_id")),
        ethnicity=data.get("ethnicity") or "",
        education=data.get("education") or "",
        migrant_worker=data.get("migrant_worker") == "1",
        **{
            name: data.get(name) or ""
            for name in (
                "political_status",
                "employment_status",
                "skill_level",
                "hukou_region",
                "residence_region",
                "residence_address",
                "employer",
                "poverty_status",
            )
        },
    )


def enrollment_of(
    *,
    name: str,
    resident_id: str,
    phone: str,
    cooperative_id: int | None,
    village_id: int | None,
    is_backbone: bool = False,
    recruited_by_id: int | None = None,
    ethnicity: str = "",
    education: str = "",
    worker_post: str = "",
    **record,
) -> EnrollmentInput:
    """A person to enroll, from typed values (the form's or the API's), checked; the ID and
    phone numbers are checked by the domain."""
    errors: dict[str, Msg] = {}
    result = EnrollmentInput(
        name=clean_text(errors, "name", name, max_length=NAME_MAX),
        resident_id=resident_id[:NUMBER_TYPED_MAX],
        phone=phone[:NUMBER_TYPED_MAX],
        cooperative_id=_chosen_id(
            errors, "cooperative_id", cooperative_id, Msg("Choose a cooperative from the list.")
        ),
        village_id=_chosen_id(
            errors, "village_id", village_id, Msg("Choose a village from the list.")
        ),
        **_profile(
            errors,
            is_backbone=is_backbone,
            recruited_by_id=recruited_by_id,
            ethnicity=ethnicity,
            education=education,
            **record,
        ),
        worker_post=_choice(errors, "worker_post", worker_post, POSTS),
    )
    return raise_all(errors, result)


def enrollment(data: Mapping) -> EnrollmentInput:
    """The enrollment form, read into typed values and checked by `enrollment_of`."""
    return enrollment_of(
        name=data.get("name") or "",
        resident_id=data.get("resident_id") or "",
        phone=data.get("phone") or "",
        cooperative_id=whole_number(data.get("cooperative_id")),
        village_id=whole_number(data.get("village_id")),
        worker_post=data.get("worker_post") or "",
        **_profile_values(data),
    )


def changes(data: Mapping) -> MemberChanges:
    errors: dict[str, Msg] = {}
    version = data.get("version") or ""
    result = MemberChanges(
        phone=(data.get("phone") or "")[:NUMBER_TYPED_MAX],
        village_id=_chosen_id(
            errors,
            "village_id",
            whole_number(data.get("village_id")),
            Msg("Choose a village from the list."),
        ),
        **_profile(errors, **_profile_values(data)),
        version=whole_number(version, 0),
    )
    return raise_all(errors, result)


def new_post(data: Mapping) -> tuple[str, dt.date]:
    """A worker post and the day it starts (today when not given); the domain checks the post."""
    errors: dict[str, Msg] = {}
    started_on = optional_date(errors, "started_on", data.get("started_on")) or today()
    if errors:
        raise ValidationError(errors)
    return data.get("post", ""), started_on


def leaving(data: Mapping) -> dict:
    """The leave form: what `domain.end_membership` takes besides who and whom."""
    errors: dict[str, Msg] = {}
    on = optional_date(errors, "on", data.get("on"))
    if on is None and "on" not in errors:
        errors["on"] = Msg("This field is required.")
    result = dict(
        transfer=data.get("kind") == "transfer",
        on=on,
        reason=clean_text(
            errors, "reason", data.get("reason"), max_length=LEAVE_REASON_MAX, required=False
        ),
        transferred_to=clean_text(
            errors,
            "transferred_to",
            data.get("transferred_to"),
            max_length=TRANSFERRED_TO_MAX,
            required=False,
        ),
        version=whole_number(data.get("version", ""), 0),
    )
    return raise_all(errors, result)


def template_name(data: Mapping) -> str:
    """The name to save the export's columns under; empty when none was typed."""
    errors: dict[str, Msg] = {}
    name = clean_text(
        errors,
        "template_name",
        data.get("template_name"),
        max_length=TEMPLATE_NAME_MAX,
        required=False,
    )
    if errors:
        raise ValidationError(errors)
    return name


def filter_of(
    *,
    q: str = "",
    cooperative_id: int | None = None,
    village_id: int | None = None,
    status: str = "",
    backbone: bool = False,
    first_batch: bool = False,
    welcome_pack_pending: bool = False,
    worker_post: str = "",
    page: int = 1,
) -> MemberFilter:
    """The member list's search and filters, from typed values (the query string's or the
    API's); anything unusable is ignored."""
    return MemberFilter(
        q=without_controls(q).strip()[:SEARCH_MAX],
        cooperative_id=_record_id(cooperative_id),
        village_id=_record_id(village_id),
        status=status if status in STATUSES else "",
        backbone=backbone,
        first_batch=first_batch,
        welcome_pack_pending=welcome_pack_pending,
        worker_post=worker_post if worker_post in POSTS or worker_post == "any" else "",
        page=min(max(page, 1), PAGE_MAX),
    )


def member_filter(params: Mapping) -> MemberFilter:
    """Search and filters from the query string, read into typed values for `filter_of`."""
    return filter_of(
        q=params.get("q") or "",
        cooperative_id=whole_number(params.get("cooperative_id")),
        village_id=whole_number(params.get("village_id")),
        status=params.get("status") or "",
        backbone=params.get("backbone") == "1",
        first_batch=params.get("first_batch") == "1",
        welcome_pack_pending=params.get("welcome_pack_pending") == "1",
        worker_post=params.get("worker_post") or "",
        page=whole_number(params.get("page") or "1", 1),
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
