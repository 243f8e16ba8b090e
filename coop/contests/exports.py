"""The results sheet as a spreadsheet (成绩表): its header and one row per entry, best first."""

from __future__ import annotations

from collections.abc import Iterator

from coop.contests.domain import ResultsSheet
from coop.i18n import translate
from coop.validation import Msg


def results_header(sheet: ResultsSheet) -> list[str]:
    return [
        translate(Msg("Rank")),
        translate(Msg("Full name")),
        translate(Msg("Cooperative")),
        translate(Msg("Village")),
        translate(Msg("Entry")),
        *[c["name"] for c in sheet.criteria],
        translate(Msg("Total")),
        translate(Msg("Award")),
    ]


def results_rows(sheet: ResultsSheet) -> Iterator[list]:
    return (
        [
            row["result"].rank,
            row["entry"]["names"],
            row["entry"]["cooperatives"],
            row["entry"]["villages"],
            row["entry"]["title"],
            *[str(row["result"].points.get(c["id"], "")) for c in sheet.criteria],
            str(row["result"].total),
            row["result"].award,
        ]
        for row in sheet.rows
    )
