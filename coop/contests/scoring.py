"""Contest arithmetic: plain Python over Decimal, the same on every database.

Declared rules (shown on the results sheet):
- a judged criterion counts the mean of its judges' scores, or with the contest's
  trimmed mean and at least 5 judges, the mean without one highest and one lowest;
- a measured criterion converts its figure to points: linearly to the best entry's
  figure (best = full marks), or by thresholds (the points of the highest reached);
- a criterion's points are rounded to 2 places, half-up; the total is the sum of
  points × weight ÷ maximum, rounded to 2 places, half-up;
- ranking is by total, then by each declared tie-break criterion in order (its points,
  or for a measured criterion its raw figure), then the rank is shared (1, 2, 2, 4);
- each award tier gives its number of awards (an entry without points gets none); a
  tie that does not fit in what a tier has left goes by the contest's rule: all tied
  get that award, or all move down;
- flags: a judge's score further than a quarter of the maximum from the median of the
  scores for that criterion and entry (3 or more judges), and missing scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
TRIM_FROM = 5  # judges needed before one highest and one lowest are dropped
FAR_FROM_OTHERS = Decimal("0.25")  # share of a criterion's maximum that flags a score


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Criterion:
    id: int
    name: str
    max_score: Decimal
    weight: Decimal
    measured: bool = False
    linear: bool = True  # measured: linear to the best entry; else thresholds
    thresholds: tuple[tuple[Decimal, Decimal], ...] = ()  # (figure reached, points)


@dataclass
class EntryScores:
    entry_id: int
    judged: dict[int, dict[int, Decimal]] = field(default_factory=dict)  # criterion → judge → score
    figures: dict[int, Decimal] = field(default_factory=dict)  # measured criterion → figure


@dataclass
class EntryResult:
    entry_id: int
    points: dict[int, Decimal]  # criterion → points (rounded)
    total: Decimal
    rank: int = 0
    award: str = ""
    missing: list[int] = field(default_factory=list)  # criteria with a judge's score missing
    far: list[tuple[int, int]] = field(default_factory=list)  # (criterion, judge) far from others


def judged_points(scores: list[Decimal], trimmed: bool) -> Decimal:
    if not scores:
        return ZERO
    ordered = sorted(scores)
    if trimmed and len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return rounded(sum(ordered, Decimal(0)) / len(ordered))


def measured_points(criterion: Criterion, figure: Decimal | None, best: Decimal) -> Decimal:
    if figure is None or figure <= 0:
        return ZERO
    if criterion.linear:
        return rounded(criterion.max_score * min(figure, best) / best) if best > 0 else ZERO
    reached = [points for floor, points in criterion.thresholds if figure >= floor]
    return rounded(min(max(reached, default=ZERO), criterion.max_score))


def weighted_total(criteria: list[Criterion], points: dict[int, Decimal]) -> Decimal:
    return rounded(
        sum(
            (points.get(c.id, Decimal(0)) * c.weight / c.max_score for c in criteria),
            Decimal(0),
        )
    )


def _far_scores(criterion: Criterion, by_judge: dict[int, Decimal]) -> list[int]:
    """Judges whose score is further than a quarter of the maximum from the median score."""
    if len(by_judge) < 3:
        return []
    ordered = sorted(by_judge.values())
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    limit = criterion.max_score * FAR_FROM_OTHERS
    return [judge for judge, score in by_judge.items() if abs(score - median) > limit]


def results(
    criteria: list[Criterion],
    entries: list[EntryScores],
    judges: list[int],
    *,
    trimmed: bool,
    tie_breaks: list[int],
    tiers: list[tuple[str, int | None]],
    ties_go_up: bool,
) -> list[EntryResult]:
    """Every entry's points, total, rank and award, best first."""
    best = {
        c.id: max((e.figures.get(c.id, Decimal(0)) for e in entries), default=Decimal(0))
        for c in criteria
        if c.measured
    }
    found = []
    for entry in entries:
        points, missing, far = {}, [], []
        for c in criteria:
            if c.measured:
                points[c.id] = measured_points(c, entry.figures.get(c.id), best[c.id])
                continue
            by_judge = entry.judged.get(c.id, {})
            if any(j not in by_judge for j in judges):
                missing.append(c.id)
            far += [(c.id, j) for j in _far_scores(c, by_judge)]
            points[c.id] = judged_points(list(by_judge.values()), trimmed)
        found.append(
            EntryResult(
                entry.entry_id, points, weighted_total(criteria, points), 0, "", missing, far
            )
        )
    figures = {e.entry_id: e.figures for e in entries}
    measured = {c.id for c in criteria if c.measured}

    def key(result: EntryResult) -> tuple:
        breaks = [
            figures[result.entry_id].get(c, Decimal(0)) if c in measured else result.points[c]
            for c in tie_breaks
        ]
        return (result.total, *breaks)

    found.sort(key=key, reverse=True)
    for position, result in enumerate(found, start=1):
        tied_above = position > 1 and key(found[position - 2]) == key(result)
        result.rank = found[position - 2].rank if tied_above else position
    _award(found, key, tiers, ties_go_up)
    return found


def _award(found: list[EntryResult], key, tiers, ties_go_up: bool) -> None:
    """Each tier gives its number of awards, best first; an open-ended tier (None) goes to
    everyone left; an entry without points gets no award. A tie that does not fit in what
    a tier has left gets the award all together (the tier gives more), or moves on all
    together to the next tier."""
    groups: list[list[EntryResult]] = []
    for result in found:
        if groups and key(groups[-1][0]) == key(result):
            groups[-1].append(result)
        else:
            groups.append([result])
    tier_index, given = 0, 0
    for group in groups:
        while tier_index < len(tiers):
            count = tiers[tier_index][1]
            left = None if count is None else count - given
            if left is None or len(group) <= left or (ties_go_up and left > 0):
                break
            tier_index, given = tier_index + 1, 0
        if tier_index == len(tiers):
            return
        if group[0].total <= 0:  # no points, no award
            return
        for result in group:
            result.award = tiers[tier_index][0]
        given += len(group)
