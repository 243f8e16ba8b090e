from enum import StrEnum

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from coop.accounts.tables import User
from coop.members.tables import Member
from coop.orgs.tables import Union

SCORE = (8, 2)  # scores, weights and figures: Decimal with 2 places


class Contest(Table, tablename="contest", help_text="竞赛: a skills contest."):
    class Status(StrEnum):
        draft = "draft"
        entries_open = "entries_open"
        judging = "judging"  # marking scheme and judge panel frozen
        locked = "locked"  # results computed and stored; no more changes
        published = "published"

    title = Varchar(length=100)
    description = Text(default="")
    union = ForeignKey(Union, on_delete=OnDelete.restrict, help_text="The union running it.")
    status = Varchar(length=20, choices=Status, default=Status.draft.value)
    slug = Varchar(length=16, unique=True, help_text="The public results page's address.")
    entries_open_at = Timestamptz(null=True, default=None)
    entries_close_at = Timestamptz(null=True, default=None)
    judging_open_at = Timestamptz(null=True, default=None)
    judging_close_at = Timestamptz(null=True, default=None)
    allow_teams = Boolean(default=False, help_text="Entries of 2 to 5 members.")
    trimmed_mean = Boolean(default=False, help_text="Drop one highest and one lowest (5+ judges).")
    tie_breaks = Text(default="[]", help_text="JSON: criterion ids, compared in order.")
    award_tiers = Text(default="[]", help_text='JSON: [["一等奖", 1], …, ["优秀奖", null]].')
    ties_go_up = Boolean(default=True, help_text="A tie across a tier's last award: all get it.")
    locked_at = Timestamptz(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())


class Criterion(Table, tablename="contest_criterion", help_text="评分项 in a marking scheme."):
    class Kind(StrEnum):
        judged = "judged"  # each judge gives 0..max
        measured = "measured"  # a figure entered once, converted to points

    contest = ForeignKey(Contest, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)
    name = Varchar(length=50)
    max_score = Numeric(digits=SCORE)
    weight = Numeric(digits=SCORE)
    kind = Varchar(length=10, choices=Kind, default=Kind.judged.value)
    unit = Varchar(length=20, default="", help_text="Measured: 元, 人, 单 …")
    linear = Boolean(default=True, help_text="Measured: linear to the best entry, else thresholds.")
    thresholds = Text(default="[]", help_text="JSON: [[figure reached, points], …].")


class Entry(Table, tablename="contest_entry", help_text="参赛作品: one member's or team's entry."):
    contest = ForeignKey(Contest, on_delete=OnDelete.cascade, index=True)
    number = Integer(help_text="Entry number within the contest.")
    title = Varchar(length=100)
    products = Varchar(length=200, default="")
    link = Varchar(length=500, default="", help_text="Livestream or video link.")
    notes = Text(default="")
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class EntryMember(Table, tablename="contest_entry_member", help_text="Who an entry is by."):
    entry = ForeignKey(Entry, on_delete=OnDelete.cascade, index=True)
    contest = ForeignKey(Contest, on_delete=OnDelete.cascade)  # one entry per member
    member = ForeignKey(Member, on_delete=OnDelete.restrict, index=True)


class Figure(Table, tablename="contest_figure", help_text="A measured criterion's figure."):
    entry = ForeignKey(Entry, on_delete=OnDelete.cascade, index=True)
    criterion = ForeignKey(Criterion, on_delete=OnDelete.cascade)
    figure = Numeric(digits=(14, 2))
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict, null=True, default=None)
    recorded_at = Timestamptz(default=TimestamptzNow())


class Judge(Table, tablename="contest_judge", help_text="A judge on a contest's panel."):
    contest = ForeignKey(Contest, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    submitted_at = Timestamptz(null=True, default=None, help_text="Sheet handed in: final.")


class Score(
    Table, tablename="contest_score", help_text="评分: one judge, one entry, one criterion."
):
    entry = ForeignKey(Entry, on_delete=OnDelete.cascade, index=True)
    criterion = ForeignKey(Criterion, on_delete=OnDelete.cascade)
    judge = ForeignKey(User, on_delete=OnDelete.restrict)
    score = Numeric(digits=SCORE)
    version = Integer(default=1, help_text="Refuses a stale page's overwrite.")
    updated_at = Timestamptz(default=TimestamptzNow())


class Result(Table, tablename="contest_result", help_text="Locked results: rank, total, award."):
    contest = ForeignKey(Contest, on_delete=OnDelete.cascade, index=True)
    entry = ForeignKey(Entry, on_delete=OnDelete.cascade)
    rank = Integer()
    total = Numeric(digits=SCORE)
    award = Varchar(length=20, default="")
    points = Text(default="{}", help_text="JSON: criterion id → points, as locked.")
