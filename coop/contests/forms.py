"""Typed input for the contest, criterion, entry and score forms."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from coop.contests.domain import (
    CRITERION_NAME_MAX,
    LINK_MAX,
    PRODUCTS_MAX,
    TEXT_MAX,
    TIER_NAME_MAX,
    TITLE_MAX,
    UNIT_MAX,
    ContestInput,
    CriterionInput,
    EntryInput,
    parse_score,
)
from coop.forms import choice_id, decimal_number, id_list, local_moment, raise_all, whole_number
from coop.validation import Msg, NotFound, ValidationError, clean_text


def number(errors: dict[str, Msg], name: str, text: str | None) -> Decimal:
    value = decimal_number(text)
    if value is None:
        errors[name] = Msg("Enter a number.")
        return Decimal(0)
    if value.as_tuple().exponent < -2:
        errors[name] = Msg("At most 2 decimal places.")
        return Decimal(0)
    return value


def award_tiers(errors: dict[str, Msg], text: str | None) -> list[tuple[str, int | None]]:
    """One award per line: its name and how many, e.g. "一等奖 1"; no number: any number."""
    tiers: list[tuple[str, int | None]] = []
    for line in (text or "").splitlines():
        name, _, count = line.strip().rpartition(" ")
        if not name:  # a single word: a tier without a limit
            name, count = count, ""
        name = name.strip()
        if not name:
            continue
        if (count and not whole_number(count)) or len(name) > TIER_NAME_MAX:
            errors["award_tiers"] = Msg("One award per line: its name, a space and how many.")
            continue
        tiers.append((name, whole_number(count) if count else None))
    return tiers


def contest(data: Mapping) -> ContestInput:
    errors: dict[str, Msg] = {}
    version = data.get("version") or ""
    result = ContestInput(
        title=clean_text(errors, "title", data.get("title"), max_length=TITLE_MAX),
        description=(data.get("description") or "").strip()[:TEXT_MAX],
        union_id=choice_id(
            errors, "union_id", data.get("union_id"), Msg("Choose a union from the list.")
        ),
        entries_open_at=local_moment(
            errors, "entries_open_at", data.get("entries_open_at"), required=False
        ),
        entries_close_at=local_moment(
            errors, "entries_close_at", data.get("entries_close_at"), required=False
        ),
        judging_open_at=local_moment(
            errors, "judging_open_at", data.get("judging_open_at"), required=False
        ),
        judging_close_at=local_moment(
            errors, "judging_close_at", data.get("judging_close_at"), required=False
        ),
        allow_teams=data.get("allow_teams") == "1",
        trimmed_mean=data.get("trimmed_mean") == "1",
        award_tiers=award_tiers(errors, data.get("award_tiers")),
        ties_go_up=data.get("ties_go_up", "1") == "1",
        version=whole_number(version, 0),
    )
    return raise_all(errors, result)


def criterion(data: Mapping) -> CriterionInput:
    errors: dict[str, Msg] = {}
    thresholds = []
    for line in (data.get("thresholds") or "").splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            errors["thresholds"] = Msg("One threshold per line: the figure, a space, the points.")
            continue
        thresholds.append(
            (number(errors, "thresholds", parts[0]), number(errors, "thresholds", parts[1]))
        )
    result = CriterionInput(
        name=clean_text(errors, "name", data.get("name"), max_length=CRITERION_NAME_MAX),
        max_score=number(errors, "max_score", data.get("max_score")),
        weight=number(errors, "weight", data.get("weight")),
        kind=data.get("kind") or "",
        unit=clean_text(errors, "unit", data.get("unit"), max_length=UNIT_MAX, required=False),
        linear=data.get("rule", "linear") == "linear",
        thresholds=thresholds,
    )
    return raise_all(errors, result)


def entry(data: Mapping) -> EntryInput:
    errors: dict[str, Msg] = {}
    result = EntryInput(
        member_ids=id_list(data.getall("member_ids", []) if hasattr(data, "getall") else []),
        title=clean_text(errors, "title", data.get("title"), max_length=TITLE_MAX),
        products=clean_text(
            errors, "products", data.get("products"), max_length=PRODUCTS_MAX, required=False
        ),
        link=clean_text(errors, "link", data.get("link"), max_length=LINK_MAX, required=False),
        notes=(data.get("notes") or "").strip()[:TEXT_MAX],
    )
    if result.link and not result.link.startswith(("https://", "http://")):
        errors["link"] = Msg("Enter a link starting with https://.")
    if not result.member_ids:
        errors["member_ids"] = Msg("Choose the member who enters.")
    return raise_all(errors, result)


def figures(data: Mapping, measured: list[dict]) -> dict[int, Decimal]:
    """The figures typed for an entry's measured criteria; a field left empty is not recorded."""
    errors: dict[str, Msg] = {}
    values = {}
    for c in measured:
        name = f"figure_{c['id']}"
        if (data.get(name) or "").strip():
            values[c["id"]] = number(errors, name, data.get(name))
    if errors:
        raise ValidationError(errors)
    return values


def scores(data: Mapping, criteria: list[dict]) -> tuple[dict[int, Decimal], dict[int, int]]:
    """The scores typed on the scoring page for one entry, and the version of each it showed."""
    return typed_scores(
        {str(c["id"]): data.get(f"score_{c['id']}", "") for c in criteria},
        {str(c["id"]): whole_number(data.get(f"version_{c['id']}") or "0", 0) for c in criteria},
        criteria,
    )


def typed_scores(
    typed: Mapping[str, str], shown: Mapping[str, int], criteria: list[dict]
) -> tuple[dict[int, Decimal], dict[int, int]]:
    """Scores for one entry, criterion id → text (the page's fields, or the API's JSON), and
    the version of each the judge saw. A criterion not on the judge's sheet is NotFound;
    an empty score is left out."""
    maximum = {str(c["id"]): c["max_score"] for c in criteria}
    errors: dict[str, Msg] = {}
    values = {}
    for key, text in typed.items():
        if key not in maximum:
            raise NotFound
        value = parse_score(errors, f"score_{key}", text, maximum[key])
        if value is not None:
            values[int(key)] = value
    if errors:
        raise ValidationError(errors)
    versions = {whole_number(k): v for k, v in shown.items() if whole_number(k) is not None}
    return values, versions
