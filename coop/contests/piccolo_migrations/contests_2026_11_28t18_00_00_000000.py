"""One score per judge, entry and criterion; one entry per member; one figure per criterion."""

from coop.db import sql_migration

ID = "2026-11-28T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "contest uniqueness"

INDEXES = [
    "CREATE UNIQUE INDEX contest_score_one ON contest_score (entry, criterion, judge)",
    "CREATE UNIQUE INDEX contest_entry_member_one ON contest_entry_member (contest, member)",
    "CREATE UNIQUE INDEX contest_figure_one ON contest_figure (entry, criterion)",
    "CREATE UNIQUE INDEX contest_judge_one ON contest_judge (contest, \"user\")",
    "CREATE UNIQUE INDEX contest_entry_number ON contest_entry (contest, number)",
    "CREATE UNIQUE INDEX contest_result_one ON contest_result (contest, entry)",
]

forwards = sql_migration("contests", ID, DESCRIPTION, INDEXES)
