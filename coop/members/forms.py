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
    NAME_MAX,
    NUMBER_TYPED_MAX,
    PAGE_MAX,
    RESIDENCE_ADDRESS_MAX,
    SEARCH_MAX,
    TEMPLATE_NAME_MAX,
    Change,
    ChangeInput,
    EnrollmentInput,
    MemberChanges,
    MemberFilter,
)
from coop.members.domain.membership import CARD_NOTE_MAX, UNION_NAME_MAX
from coop.members.domain.membership import NOTE_MAX as CHANGE_NOTE_MAX
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


def change_of(
    *,
    kind: str,
    on_date: dt.date | None,
    reason: int | None = None,
    to_union_id: int | None = None,
    to_union_name: str = "",
    from_union_name: str = "",
    card_note: str = "",
    join_date: dt.date | None = None,
    note: str = "",
    version: int | None = None,
    errors: dict[str, Msg] | None = None,
) -> ChangeInput:
    """A membership change as the domain takes it: the form's and the API's one check of
    lengths and characters (`errors`: what reading the form found already)."""
    errors = dict(errors or {})
    if on_date is None and "on_date" not in errors:
        errors["on_date"] = Msg("This field is required.")
    texts = {
        name: clean_text(errors, name, value, max_length=limit, required=False)
        for name, value, limit in (
            ("to_union_name", to_union_name, UNION_NAME_MAX),
            ("from_union_name", from_union_name, UNION_NAME_MAX),
            ("card_note", card_note, CARD_NOTE_MAX),
            ("note", note, CHANGE_NOTE_MAX),
        )
    }
    if kind not in {c.value for c in Change}:
        errors["kind"] = Msg("Choose a change from the list.")
    if errors:
        raise ValidationError(errors)
    assert on_date is not None
    return ChangeInput(
        kind=kind,
        on_date=on_date,
        reason=reason,
        to_union_id=_record_id(to_union_id),
        join_date=join_date,
        version=version,
        **texts,
    )


def membership_change(data: Mapping) -> ChangeInput:
    """The change form."""
    errors: dict[str, Msg] = {}
    on_date = optional_date(errors, "on_date", data.get("on_date"))
    join_date = optional_date(errors, "join_date", data.get("join_date"))
    reason = whole_number(data.get("reason", ""), None)
    to_union_id = whole_number(data.get("to_union_id", ""), None)
    return change_of(
        kind=data.get("kind", ""),
        on_date=on_date,
        reason=reason,
        to_union_id=to_union_id or None,
        to_union_name=data.get("to_union_name", ""),
        from_union_name=data.get("from_union_name", ""),
        card_note=data.get("card_note", ""),
        join_date=join_date,
        note=data.get("note", ""),
        version=whole_number(data.get("version", ""), None),
        errors=errors,
    )


def acceptance(data: Mapping) -> tuple[int | None, int | None]:
    """The accept form: the cooperative ("none": no cooperative) and the village."""
    cooperative = data.get("cooperative_id", "")
    return (
        None if cooperative in ("", "none") else _record_id(whole_number(cooperative, -1)),
        _record_id(whole_number(data.get("village_id", ""), -1)) or None,
    )


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
