"""Setting a contest up: its settings, marking scheme and judge panel, and moving it on
draft → entries open → judging (scheme and panel frozen) → results locked → published.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal

from coop import db
from coop.access import MANAGERS, Viewer, now, require
from coop.audit import domain as audit
from coop.contests import queries
from coop.contests.domain.results import _store_results
from coop.contests.queries import (
    ORDER,
    ContestView,
    Kind,
    Status,
    criteria,
    judges,
    weights_total,
)
from coop.contests.tables import Contest, Criterion, Judge, Result
from coop.forms import merge_errors, raise_all
from coop.members import domain as members
from coop.orgs import domain as orgs
from coop.validation import Forbidden, Msg, ValidationError

WEIGHTS_TOTAL = Decimal(100)
CRITERION_MAX = Decimal(1000)  # the highest maximum score a criterion may have
TIE_BREAKS = 3  # tie-break criteria a contest may declare
# Input limits: the columns' lengths, and a bound for free text.
TITLE_MAX = Contest.title.length
TEXT_MAX = 2000
TIER_NAME_MAX = Result.award.length
CRITERION_NAME_MAX = Criterion.name.length
UNIT_MAX = Criterion.unit.length


@dataclass
class ContestInput:
    title: str
    description: str
    union_id: int
    entries_open_at: dt.datetime | None
    entries_close_at: dt.datetime | None
    judging_open_at: dt.datetime | None
    judging_close_at: dt.datetime | None
    allow_teams: bool
    trimmed_mean: bool
    award_tiers: list[tuple[str, int | None]]
    ties_go_up: bool
    version: int = 0


@dataclass
class CriterionInput:
    name: str
    max_score: Decimal
    weight: Decimal
    kind: str
    unit: str = ""
    linear: bool = True
    thresholds: list[tuple[Decimal, Decimal]] | None = None


def _in_window(opens: dt.datetime | None, closes: dt.datetime | None) -> bool:
    at = now()
    return (opens is None or at >= opens) and (closes is None or at < closes)


async def contest_for_edit(viewer: Viewer, contest_id: int) -> ContestView:
    contest = await queries.get_contest(viewer, contest_id)
    if not contest.can_manage:
        raise Forbidden
    return contest


# --- the contest -------------------------------------------------------------------------


def _check_contest(errors: dict[str, Msg], data: ContestInput) -> None:
    for opens, closes, name in (
        (data.entries_open_at, data.entries_close_at, "entries_close_at"),
        (data.judging_open_at, data.judging_close_at, "judging_close_at"),
    ):
        if opens and closes and closes <= opens:
            errors[name] = Msg("The end must be after the start.")
    if not data.award_tiers:
        errors["award_tiers"] = Msg("Give at least one award, one per line: name and number.")


async def save_contest(
    viewer: Viewer,
    data: ContestInput,
    contest_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
) -> int:
    """A new or changed contest; `form_errors` (what the form already refused) are raised
    with the checks here, all at once."""
    require(viewer, MANAGERS)
    errors: dict[str, Msg] = {}
    if data.union_id not in {u["id"] for u in await orgs.running_unions(viewer.scope)}:
        errors["union_id"] = Msg("Choose a union from the list.")
    _check_contest(errors, data)
    current = await contest_for_edit(viewer, contest_id) if contest_id else None
    if current and current.locked:
        errors["title"] = Msg("The results are locked: the contest can no longer change.")
    raise_all(merge_errors(dict(form_errors or {}), errors))
    values = {
        Contest.title: data.title,
        Contest.description: data.description,
        Contest.union: data.union_id,
        Contest.entries_open_at: data.entries_open_at,
        Contest.entries_close_at: data.entries_close_at,
        Contest.judging_open_at: data.judging_open_at,
        Contest.judging_close_at: data.judging_close_at,
        Contest.allow_teams: data.allow_teams,
        Contest.award_tiers: json.dumps(data.award_tiers, ensure_ascii=False),
        Contest.ties_go_up: data.ties_go_up,
    }
    if not current or not current.frozen:  # the counting rule is part of the frozen scheme
        values[Contest.trimmed_mean] = data.trimmed_mean
    async with db.transaction():
        if current is None:
            [row] = (
                await Contest.insert(
                    Contest(
                        slug=secrets.token_urlsafe(9),
                        **{column._meta.name: value for column, value in values.items()},
                    )
                )
                .returning(Contest.id)
                .run()
            )
            contest_id = row["id"]
        else:
            changed = (
                await Contest.update({**values, Contest.version: Contest.version + 1})
                .where((Contest.id == contest_id) & (Contest.version == data.version))
                .returning(Contest.id)
                .run()
            )
            if not changed:
                raise ValidationError({"version": members.STALE})
        await audit.record(viewer.actor, "save", "contest", contest_id, data.title)
    return contest_id


# --- the marking scheme ------------------------------------------------------------------


async def _scheme_for_edit(viewer: Viewer, contest_id: int) -> ContestView:
    contest = await contest_for_edit(viewer, contest_id)
    if contest.frozen:
        raise ValidationError(
            {"scheme": Msg("Judging has opened: the marking scheme and the judges are frozen.")}
        )
    return contest


async def save_criterion(
    viewer: Viewer,
    contest_id: int,
    data: CriterionInput,
    criterion_id: int | None = None,
    form_errors: dict[str, Msg] | None = None,
) -> int:
    """A criterion of the marking scheme; `form_errors` (what the form already refused) are
    raised with the checks here, all at once (a number the form could not read is None)."""
    await _scheme_for_edit(viewer, contest_id)
    errors: dict[str, Msg] = {}
    if data.max_score is not None and not Decimal(0) < data.max_score <= CRITERION_MAX:
        errors["max_score"] = Msg("Enter a maximum from 0.01 to 1000.")
    if data.weight is not None and not Decimal(0) < data.weight <= WEIGHTS_TOTAL:
        errors["weight"] = Msg("Enter a weight from 0.01 to 100.")
    if data.kind not in {k.value for k in Kind}:
        errors["kind"] = Msg("Choose from the list.")
    if form_errors:  # what the form could not read is not compared
        raise_all(merge_errors(dict(form_errors), errors))
    thresholds = sorted(data.thresholds or [])
    if data.kind == Kind.measured.value and not data.linear and not thresholds:
        errors["thresholds"] = Msg("Give at least one threshold: a figure and its points.")
    if any(points > data.max_score for _, points in thresholds):
        errors["thresholds"] = Msg("Threshold points cannot exceed the maximum.")
    raise_all(errors)
    values = dict(
        name=data.name,
        max_score=data.max_score,
        weight=data.weight,
        kind=data.kind,
        unit=data.unit,
        linear=data.linear,
        thresholds=json.dumps([[str(f), str(p)] for f, p in thresholds]),
    )
    async with db.transaction():
        if criterion_id is None:
            position = await queries.criterion_count(contest_id)
            [row] = (
                await Criterion.insert(Criterion(contest=contest_id, position=position, **values))
                .returning(Criterion.id)
                .run()
            )
            criterion_id = row["id"]
        else:
            await (
                Criterion.update(values)
                .where((Criterion.id == criterion_id) & (Criterion.contest == contest_id))
                .run()
            )
        await audit.record(viewer.actor, "save", "contest_criterion", criterion_id, data.name)
    return criterion_id


async def delete_criterion(viewer: Viewer, contest_id: int, criterion_id: int) -> None:
    contest = await _scheme_for_edit(viewer, contest_id)
    async with db.transaction():
        await (
            Criterion.delete()
            .where((Criterion.id == criterion_id) & (Criterion.contest == contest_id))
            .run()
        )
        breaks = [c for c in contest.tie_break_ids if c != criterion_id]
        await (
            Contest.update({Contest.tie_breaks: json.dumps(breaks)})
            .where(Contest.id == contest_id)
            .run()
        )
        await audit.record(viewer.actor, "delete", "contest_criterion", criterion_id)


async def set_tie_breaks(viewer: Viewer, contest_id: int, criterion_ids: list[int]) -> None:
    await _scheme_for_edit(viewer, contest_id)
    known = {row["id"] for row in await criteria(contest_id)}
    chosen = [c for c in dict.fromkeys(criterion_ids) if c in known]
    async with db.transaction():
        await (
            Contest.update({Contest.tie_breaks: json.dumps(chosen)})
            .where(Contest.id == contest_id)
            .run()
        )


# --- the judge panel ---------------------------------------------------------------------


async def add_judge(viewer: Viewer, contest_id: int, user_id: int) -> None:
    await _scheme_for_edit(viewer, contest_id)
    if not await queries.is_active_user(user_id):
        raise ValidationError({"user_id": Msg("Choose a person from the list.")})
    async with db.transaction():
        if not await queries.on_panel(contest_id, user_id):
            await Judge.insert(Judge(contest=contest_id, user=user_id)).run()
            await audit.record(viewer.actor, "add_judge", "contest", contest_id, str(user_id))


async def remove_judge(viewer: Viewer, contest_id: int, user_id: int) -> None:
    await _scheme_for_edit(viewer, contest_id)
    async with db.transaction():
        await Judge.delete().where((Judge.contest == contest_id) & (Judge.user == user_id)).run()
        await audit.record(viewer.actor, "remove_judge", "contest", contest_id, str(user_id))


# --- moving on ---------------------------------------------------------------------------


async def advance(viewer: Viewer, contest_id: int, expected: str | None = None) -> str:
    """The next step: open entries, open judging (freezes), lock results, publish them.

    `expected` is the stage the user saw when they asked: a stale page (a double tap, a
    second device) that asks again after the step was taken moves nothing."""
    contest = await contest_for_edit(viewer, contest_id)
    status = contest.status
    if expected is not None and expected != status:
        raise ValidationError(
            {"status": Msg("This step was already taken; nothing more was done.")}
        )
    if status == Status.published.value:
        raise ValidationError({"status": Msg("The results are already published.")})
    target = ORDER[ORDER.index(status) + 1]
    if target == Status.judging.value:
        await _check_ready_for_judging(contest_id)
    if target == Status.locked.value:
        open_sheets = [j["name"] for j in await judges(contest_id) if j["submitted_at"] is None]
        judged = any(c["kind"] == Kind.judged.value for c in await criteria(contest_id))
        if judged and open_sheets:
            raise ValidationError(
                {
                    "status": Msg(
                        "Not every judge has handed in their sheet yet: {names}.",
                        names="、".join(open_sheets),
                    )
                }
            )
    values = {Contest.status: target, Contest.version: Contest.version + 1}
    if target == Status.locked.value:
        values[Contest.locked_at] = now()
    if target == Status.published.value:
        values[Contest.published_at] = now()
    async with db.transaction():
        changed = (
            await Contest.update(values)
            .where((Contest.id == contest_id) & (Contest.status == status))
            .returning(Contest.id)
            .run()
        )
        if not changed:
            raise ValidationError({"status": Msg("Someone else moved this contest on; reload.")})
        if target == Status.locked.value:
            await _store_results(contest)
        await audit.record(viewer.actor, target, "contest", contest_id)
    return target


async def _check_ready_for_judging(contest_id: int) -> None:
    errors: dict[str, Msg] = {}
    scheme = await criteria(contest_id)
    if not scheme:
        errors["scheme"] = Msg("Add the marking scheme's criteria first.")
    elif weights_total(scheme) != WEIGHTS_TOTAL:
        errors["scheme"] = Msg(
            "The weights add up to {total}; they must add up to 100.",
            total=str(weights_total(scheme)),
        )
    if any(c["kind"] == Kind.judged.value for c in scheme) and not await judges(contest_id):
        errors["judges"] = Msg("Add at least one judge.")
    if not await queries.has_entries(contest_id):
        errors["entries"] = Msg("There are no entries yet.")
    if errors:
        raise ValidationError(errors)
