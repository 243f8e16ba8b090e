"""Membership statistics a union reports upward (会员增减变动表): per union and period,
members at the start and the end, joined, transferred in and out, retained, expelled,
withdrawn, and new members this year; each figure for everyone and for the groups the
union counts apart (women, backbone members…).

Every figure comes from the membership history (coop.members: MembershipChange): a member
is on a union's roll from a join or a transfer in until a transfer out, an expulsion or a
withdrawal; a retained member stays on it, counted apart. One SQL aggregate, the same on
both engines; the members themselves are never loaded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from coop import db
from coop.access import MANAGERS, Viewer, require
from coop.members import domain as members
from coop.members.domain.membership import ENTRIES, EXITS
from coop.orgs.tables import Union
from coop.validation import Msg, ValidationError

C = members.Change

# Whom each line of the table counts: a condition on the member `m`, in SQL both engines
# read alike. Adding a group is one line here (and its label in GROUP_NAMES).
GROUPS = {
    "total": "1 = 1",
    "women": "m.sex = 'F'",
    "backbone": "m.is_backbone",
    "migrant": "m.migrant_worker",
}

GROUP_NAMES = {
    "total": Msg("All members"),
    "women": Msg("of them women"),
    "backbone": Msg("of them backbone members"),
    "migrant": Msg("of them migrant workers"),
}

# The columns, in the table's order (会员增减变动表).
COLUMNS = (
    "start",
    "joined",
    "transferred_in",
    "transferred_out",
    "expelled",
    "withdrawn",
    "retained",
    "end",
    "retained_at_end",
    "new_this_year",
)

COLUMN_NAMES = {
    "start": Msg("Members at the start"),
    "joined": Msg("Joined"),
    "transferred_in": Msg("Transferred in"),
    "transferred_out": Msg("Transferred out"),
    "expelled": Msg("Expelled"),
    "withdrawn": Msg("Withdrew"),
    "retained": Msg("Retained in the period"),
    "end": Msg("Members at the end"),
    "retained_at_end": Msg("of them retained at the end"),
    "new_this_year": Msg("New members this year"),
}

PERIOD_DAYS_MAX = 366 * 20


@dataclass
class UnionFigures:
    union_id: int | None  # None: all the unions together
    name: str
    groups: dict[str, dict[str, int]] = field(default_factory=dict)  # group → column → n


@dataclass
class MembershipReport:
    start: dt.date
    end: dt.date
    unions: list[UnionFigures]
    total: UnionFigures


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationError({"end": Msg("The end cannot be before the start.")})
    if (end - start).days > PERIOD_DAYS_MAX:
        raise ValidationError({"start": Msg("At most twenty years at a time.")})


def _sql(union_ids: list[int] | None) -> tuple[str, list]:
    """Per union and kind of change: for each group, the changes before the period, in it,
    and in the period's year up to its end. Marks `{}`: start ×G, start ×G, year ×G, end."""
    sums = []
    for name, condition in GROUPS.items():
        sums += [
            f"SUM(CASE WHEN c.on_date {compare} {{}} AND ({condition}) THEN 1 ELSE 0 END) "
            f"AS {column}_{name}"
            for compare, column in (("<", "before"), (">=", "during"), (">=", "year"))
        ]
    where = "c.on_date <= {}"
    if union_ids is not None:
        where += f" AND c.federation IN ({', '.join('{}' for _ in union_ids)})"
    sql = (
        f"SELECT c.federation AS union_id, c.kind AS kind, {', '.join(sums)} "
        "FROM membership_change c JOIN member m ON m.id = c.member "
        f"WHERE {where} GROUP BY c.federation, c.kind"
    )
    return sql, union_ids or []


def _figures(rows: list[dict], group: str) -> dict[str, int]:
    """One line of the table from the union's rows (one per kind of change)."""
    before = {r["kind"]: int(r[f"before_{group}"] or 0) for r in rows}
    during = {r["kind"]: int(r[f"during_{group}"] or 0) for r in rows}
    year = {r["kind"]: int(r[f"year_{group}"] or 0) for r in rows}

    def n(counts, *kinds):
        return sum(counts.get(k, 0) for k in kinds)

    start = n(before, *ENTRIES) - n(before, *EXITS)
    figures = {
        "start": start,
        "joined": n(during, C.join),
        "transferred_in": n(during, C.transfer_in),
        "transferred_out": n(during, C.transfer_out),
        "expelled": n(during, C.expel),
        "withdrawn": n(during, C.withdraw),
        "retained": n(during, C.retain),
        "retained_at_end": n(before, C.retain)
        + n(during, C.retain)
        - n(before, C.restore)
        - n(during, C.restore),
        "new_this_year": n(year, C.join),
    }
    figures["end"] = (
        start
        + figures["joined"]
        + figures["transferred_in"]
        - figures["transferred_out"]
        - figures["expelled"]
        - figures["withdrawn"]
    )
    return figures


async def membership_report(viewer: Viewer, start: dt.date, end: dt.date) -> MembershipReport:
    """The 会员增减变动表 of the unions whose rolls the viewer keeps, for a period."""
    require(viewer, MANAGERS)
    check_period(start, end)
    query = Union.select(Union.id, Union.name, Union.level).where(
        Union.level.is_in([Union.Level.federation.value, Union.Level.town.value])
    )
    if not viewer.scope.everything:
        query = query.where(Union.id.is_in(list(viewer.scope.federation_ids) or [-1]))
    unions = await query.order_by(Union.id).run()
    union_ids = None if viewer.scope.everything else [u["id"] for u in unions]
    sql, ids = _sql(union_ids)
    year_start = dt.date(end.year, 1, 1)
    marks = [start, start, year_start] * len(GROUPS)
    rows = await db.fetch(db.placeholders(sql), [*marks, end, *ids])
    by_union: dict[int, list[dict]] = {}
    for row in rows:
        by_union.setdefault(row["union_id"], []).append(row)
    figures = [
        UnionFigures(
            u["id"], u["name"], {g: _figures(by_union.get(u["id"], []), g) for g in GROUPS}
        )
        for u in unions
        # a town union shows once it holds members; every federation always
        if u["level"] == Union.Level.federation.value or u["id"] in by_union
    ]
    total = UnionFigures(
        None,
        "",
        {g: {c: sum(f.groups[g][c] for f in figures) for c in COLUMNS} for g in GROUPS},
    )
    return MembershipReport(start, end, figures, total)
