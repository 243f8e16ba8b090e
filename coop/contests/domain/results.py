"""Results: every entry's points, total, rank and award computed from the scores and
figures (coop.contests.scoring), stored when the results are locked, and published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from coop.access import ORGANIZERS, Viewer, require
from coop.contests import queries, scoring
from coop.contests.queries import ContestView, Kind, criteria, entries, figures, judges
from coop.contests.tables import Result
from coop.validation import Forbidden, NotFound


@dataclass
class ResultsSheet:
    contest: ContestView
    criteria: list[dict]
    judges: list[dict]
    rows: list[dict]  # entry, result, and per-criterion per-judge scores


async def _compute(
    contest: ContestView,
) -> tuple[list[dict], list[dict], list[scoring.EntryResult]]:
    scheme = await criteria(contest.id)
    panel = await judges(contest.id)
    rows = await entries(contest.id)
    score_rows = await queries.scores(contest.id)
    measured = await figures(contest.id)
    by_entry = {row["id"]: scoring.EntryScores(row["id"]) for row in rows}
    for s in score_rows:
        by_entry[s["entry"]].judged.setdefault(s["criterion"], {})[s["judge"]] = Decimal(
            str(s["score"])
        )
    for (entry_id, criterion_id), figure in measured.items():
        by_entry[entry_id].figures[criterion_id] = figure
    found = scoring.results(
        [_criterion(c) for c in scheme],
        list(by_entry.values()),
        [j["user"] for j in panel],
        trimmed=contest.trimmed_mean,
        tie_breaks=contest.tie_break_ids,
        tiers=contest.tiers,
        ties_go_up=contest.ties_go_up,
    )
    return scheme, panel, found


def _criterion(row: dict) -> scoring.Criterion:
    return scoring.Criterion(
        id=row["id"],
        name=row["name"],
        max_score=row["max_score"],
        weight=row["weight"],
        measured=row["kind"] == Kind.measured.value,
        linear=row["linear"],
        thresholds=tuple(row["thresholds"]),
    )


async def _store_results(contest: ContestView) -> None:
    """Lock: store every entry's points, total, rank and award (inside the lock's transaction)."""
    _, _, found = await _compute(contest)
    await Result.delete().where(Result.contest == contest.id)
    if found:
        await Result.insert(
            *[
                Result(
                    contest=contest.id,
                    entry=r.entry_id,
                    rank=r.rank,
                    total=r.total,
                    award=r.award,
                    points=json.dumps({str(k): str(v) for k, v in r.points.items()}),
                )
                for r in found
            ]
        ).run()


async def results_sheet(viewer: Viewer, contest_id: int) -> ResultsSheet:
    """For organizers: every entry's points, total, rank and award, each judge's scores,
    and flags. Live while judging; as stored once locked."""
    require(viewer, ORGANIZERS)
    contest = await queries.get_contest(viewer, contest_id)
    if contest.on_panel and not contest.locked:  # a judge sees no other judge's scores
        raise Forbidden
    scheme, panel, live = await _compute(contest)
    found = await queries.locked_results(contest_id) if contest.locked else live
    flags = {r.entry_id: r for r in live}
    by_entry = {row["id"]: row for row in await entries(contest_id)}
    score_rows = await queries.scores(contest_id)
    measured = await figures(contest_id)
    rows = []
    for result in found:
        judged = {
            (s["criterion"], s["judge"]): Decimal(str(s["score"])).quantize(scoring.CENT)
            for s in score_rows
            if s["entry"] == result.entry_id
        }
        rows.append(
            {
                "entry": by_entry[result.entry_id],
                "result": result,
                "judged": judged,
                "figures": {c: f for (e, c), f in measured.items() if e == result.entry_id},
                "missing": flags[result.entry_id].missing,
                "far": flags[result.entry_id].far,
            }
        )
    return ResultsSheet(contest, scheme, panel, rows)


async def public_results(slug: str) -> dict:
    """Published results for everyone: names, villages, cooperatives, awards — nothing else."""
    contest = await queries.published_contest(slug)
    if contest is None:
        raise NotFound
    by_entry = {row["id"]: row for row in await entries(contest["id"])}
    return {
        "contest": contest,
        "rows": [
            {
                "rank": r.rank,
                "total": r.total,
                "award": r.award,
                "title": by_entry[r.entry_id]["title"],
                "names": by_entry[r.entry_id]["names"],
                "villages": by_entry[r.entry_id]["villages"],
                "cooperatives": by_entry[r.entry_id]["cooperatives"],
            }
            for r in await queries.locked_results(contest["id"])
        ],
    }
