"""Judging: a judge's own sheet and scores (each judge sees only their own), saving the
scores for one entry, handing the sheet in, and an organizer reopening it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from coop import db
from coop.access import Viewer, now
from coop.audit import domain as audit
from coop.contests import queries, scoring
from coop.contests.domain.setup import _in_window, contest_for_edit
from coop.contests.queries import ContestView, Kind, Status, plain
from coop.contests.tables import Judge, Score
from coop.forms import decimal_number
from coop.validation import Msg, NotFound, ValidationError

STALE_SCORE = Msg(
    "This score was changed on another page or device since you opened this one. "
    "The current scores are shown; check them and save again."
)


def parse_score(errors: dict[str, Msg], name: str, text: str, maximum: Decimal) -> Decimal | None:
    """A score typed on a phone: 0 to the maximum, at most 2 decimal places."""
    text = (text or "").strip().replace("，", ".").replace(",", ".")
    if not text:
        return None
    value = decimal_number(text)
    if value is None:
        errors[name] = Msg("Enter a number.")
    elif value.as_tuple().exponent < -2:
        errors[name] = Msg("At most 2 decimal places.")
    elif not 0 <= value <= maximum:
        errors[name] = Msg("Enter a score from 0 to {max}.", max=str(plain(maximum)))
    else:
        return value
    return None


@dataclass(frozen=True)
class OwnScore:
    """A judge's stored score for one criterion, and its version (for a stale page)."""

    score: Decimal  # two places, the same from both engines
    version: int


@dataclass
class JudgeSheet:
    """A judge's own sheet for one contest: what the sheet page shows."""

    contest: ContestView
    seat: dict  # the judge's seat on the panel: id, user, submitted_at (handed in)
    criteria: list[dict]  # the judged criteria, in scheme order
    entries: list[dict]  # every entry, each with `scored`: all its judged criteria scored
    scored: int  # entries scored on every judged criterion
    can_score: bool  # judging, the sheet not handed in, inside the judging window


@dataclass
class JudgeEntry(JudgeSheet):
    """One entry as its judge sees it: the sheet, the entry, and the judge's own scores."""

    entry: dict
    scores: dict[int, OwnScore]  # criterion id → the judge's stored score
    next_id: int | None  # the following entry on the sheet
    previous_id: int | None


async def _read_sheet(
    viewer: Viewer, contest_id: int
) -> tuple[JudgeSheet, dict[tuple[int, int], dict]]:
    contest = await queries.get_contest(viewer, contest_id)
    seat = await queries.panel_seat(viewer, contest_id)
    judged = [c for c in await queries.criteria(contest_id) if c["kind"] == Kind.judged.value]
    own = await queries.own_scores(viewer, contest_id)
    rows = await queries.entries(contest_id)
    for row in rows:
        row["scored"] = all((row["id"], c["id"]) in own for c in judged)
    sheet = JudgeSheet(
        contest=contest,
        seat=seat,
        criteria=judged,
        entries=rows,
        scored=sum(1 for r in rows if r["scored"]),
        can_score=_can_score(contest, seat),
    )
    return sheet, own


async def judge_sheet(viewer: Viewer, contest_id: int) -> JudgeSheet:
    """The judge's own sheet: entries, their own scores only, and progress."""
    sheet, _ = await _read_sheet(viewer, contest_id)
    return sheet


def _can_score(contest: ContestView, seat: dict) -> bool:
    return (
        contest.status == Status.judging.value
        and seat["submitted_at"] is None
        and _in_window(contest.judging_open_at, contest.judging_close_at)
    )


async def entry_scores(viewer: Viewer, contest_id: int, entry_id: int) -> JudgeEntry:
    """One entry as its judge sees it: the entry and the judge's own scores."""
    sheet, own = await _read_sheet(viewer, contest_id)
    entry = next((e for e in sheet.entries if e["id"] == entry_id), None)
    if entry is None:
        raise NotFound
    numbers = [e["id"] for e in sheet.entries]
    index = numbers.index(entry_id)
    return JudgeEntry(
        **{f.name: getattr(sheet, f.name) for f in fields(JudgeSheet)},
        entry=entry,
        scores={c: _own(own[(entry_id, c)]) for e, c in own if e == entry_id},
        next_id=numbers[index + 1] if index + 1 < len(numbers) else None,
        previous_id=numbers[index - 1] if index else None,
    )


def _own(row: dict) -> OwnScore:
    return OwnScore(Decimal(str(row["score"])).quantize(scoring.CENT), row["version"])


async def save_scores(
    viewer: Viewer,
    contest_id: int,
    entry_id: int,
    scores: dict[int, Decimal],
    versions: dict[int, int],
    sheet: JudgeSheet | None = None,
) -> dict[int, OwnScore]:
    """Save a judge's scores for one entry, all or none; the entry's scores as saved.

    Each score carries the version the page showed (0: none yet). A resend of a
    score already saved is accepted as it is; a different value over a newer
    score is refused (STALE_SCORE), so a stale page never overwrites. `sheet`: this
    judge's sheet of this contest, when the caller has just read it (read once a save).
    """
    if sheet is None:
        sheet = await judge_sheet(viewer, contest_id)
    elif sheet.contest.id != contest_id or sheet.seat["user"] != viewer.id:
        raise ValueError("the sheet read is another judge's or another contest's")
    if not sheet.can_score:
        raise ValidationError({"scores": Msg("Scoring is closed for you on this contest.")})
    if entry_id not in {e["id"] for e in sheet.entries}:
        raise NotFound
    allowed = {c["id"]: c["max_score"] for c in sheet.criteria}
    errors: dict[str, Msg] = {}
    for criterion_id, value in scores.items():
        if criterion_id not in allowed:
            raise NotFound
        if not 0 <= value <= allowed[criterion_id] or value.as_tuple().exponent < -2:
            errors[f"score_{criterion_id}"] = Msg(
                "Enter a score from 0 to {max}.", max=str(allowed[criterion_id])
            )
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await Judge.update({Judge.submitted_at: Judge.submitted_at}).where(
            (Judge.contest == contest_id) & (Judge.user == viewer.id)
        )  # one judge's saves queue here
        if await queries.contest_status(contest_id) != Status.judging.value:  # locked just now
            raise ValidationError({"scores": Msg("Scoring is closed for you on this contest.")})
        stored = await queries.own_entry_scores(viewer.id, entry_id)
        saved = {criterion_id: _own(row) for criterion_id, row in stored.items()}
        for criterion_id, value in scores.items():
            current = stored.get(criterion_id)
            shown = versions.get(criterion_id, 0)
            if current and Decimal(str(current["score"])) == value:
                continue  # the same score again: a retry
            if (current["version"] if current else 0) != shown:
                raise ValidationError({f"score_{criterion_id}": STALE_SCORE})
            if current:
                await Score.update(
                    {Score.score: value, Score.version: shown + 1, Score.updated_at: now()}
                ).where(Score.id == current["id"])
            else:
                await Score.insert(
                    Score(entry=entry_id, criterion=criterion_id, judge=viewer.id, score=value)
                ).run()
            saved[criterion_id] = OwnScore(value.quantize(scoring.CENT), shown + 1)
    return saved


async def submit_sheet(viewer: Viewer, contest_id: int) -> None:
    """Hand in the sheet: every entry scored on every judged criterion; final after this."""
    sheet = await judge_sheet(viewer, contest_id)
    if not sheet.can_score:
        raise ValidationError({"scores": Msg("Scoring is closed for you on this contest.")})
    if sheet.scored < len(sheet.entries):
        raise ValidationError(
            {
                "scores": Msg(
                    "{n} entries still need scores before the sheet can be handed in.",
                    n=len(sheet.entries) - sheet.scored,
                )
            }
        )
    async with db.transaction():
        await Judge.update({Judge.submitted_at: now()}).where(Judge.id == sheet.seat["id"])
        await audit.record(viewer.actor, "submit_sheet", "contest", contest_id)


async def reopen_sheet(viewer: Viewer, contest_id: int, judge_user_id: int) -> None:
    """Let a judge correct a handed-in sheet; written to the audit log."""
    contest = await contest_for_edit(viewer, contest_id)
    if contest.status != Status.judging.value:
        raise ValidationError({"status": Msg("Sheets can only be reopened while judging.")})
    async with db.transaction():
        await Judge.update({Judge.submitted_at: None}).where(
            (Judge.contest == contest_id) & (Judge.user == judge_user_id)
        )
        await audit.record(
            viewer.actor, "reopen_sheet", "contest", contest_id, f"judge={judge_user_id}"
        )
