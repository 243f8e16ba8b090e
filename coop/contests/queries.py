"""Every read of the contests: the contests a user may see, their marking schemes, panels,
entries, scores, figures and locked results. The domain's rules read through here.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from coop.access import MANAGERS, Role, Viewer, require
from coop.accounts.tables import User
from coop.contests import scoring
from coop.contests.tables import (
    Contest,
    Criterion,
    Entry,
    EntryMember,
    Figure,
    Judge,
    Result,
    Score,
)
from coop.members import domain as members
from coop.members.tables import Member
from coop.orgs import domain as orgs
from coop.validation import NotFound

Status = Contest.Status
Kind = Criterion.Kind
ORDER = [s.value for s in Status]

CONTEST_COLUMNS = (Contest.all_columns(), Contest.union.name.as_alias("union_name"))


@dataclass(frozen=True)
class ContestView:
    """One contest as a signed-in user sees it: its settings, where it stands, and what
    this user may do with it."""

    id: int
    title: str
    description: str
    union: int  # the union running it
    union_name: str
    status: str  # a Status value
    slug: str  # the public results page's address
    entries_open_at: dt.datetime | None
    entries_close_at: dt.datetime | None
    judging_open_at: dt.datetime | None
    judging_close_at: dt.datetime | None
    allow_teams: bool
    trimmed_mean: bool
    tiers: list[tuple[str, int | None]]  # award name and how many (None: any number)
    tie_break_ids: list[int]  # criteria compared in order when totals are equal
    ties_go_up: bool
    locked_at: dt.datetime | None
    published_at: dt.datetime | None
    version: int
    on_panel: bool  # the user sits on its judges' panel
    can_manage: bool  # the user may change it

    @property
    def frozen(self) -> bool:
        """Judging has opened: the marking scheme and the judge panel no longer change."""
        return ORDER.index(self.status) >= ORDER.index(Status.judging.value)

    @property
    def locked(self) -> bool:
        """The results are stored: nothing that changes a result is accepted."""
        return ORDER.index(self.status) >= ORDER.index(Status.locked.value)


def plain(value) -> Decimal:
    """A stored number as people write it (40, 30.5), the same from both engines."""
    return Decimal(format(Decimal(str(value)).normalize(), "f"))


def weights_total(rows: list[dict]) -> Decimal:
    return sum((row["weight"] for row in rows), Decimal(0))


# --- contests ------------------------------------------------------------------------


async def panel_contests(viewer: Viewer) -> list[int]:
    rows = await Judge.select(Judge.contest).where(Judge.user == viewer.id).run()
    return [row["contest"] for row in rows]


async def contests(viewer: Viewer) -> list[dict]:
    """Contests in the organizer's scope, or on the judge's panels; newest first."""
    query = Contest.select(*CONTEST_COLUMNS).order_by(Contest.id, ascending=False)
    if viewer.is_organizer:
        unions = await orgs.event_unions(viewer.scope)
        if unions is not None:
            query = query.where(Contest.union.is_in(list(unions) or [-1]))
    else:
        query = query.where(Contest.id.is_in(await panel_contests(viewer) or [-1]))
    return await query.run()


async def contests_to_score(viewer: Viewer) -> list[dict]:
    """The contests in judging on the viewer's panels, oldest first, each with `entries`
    (how many) and `scored` (how many the viewer has scored on every judged criterion)."""
    rows = (
        await Contest.select(Contest.id, Contest.title)
        .where(
            Contest.id.is_in(await panel_contests(viewer) or [-1])
            & (Contest.status == Status.judging.value)
        )
        .order_by(Contest.id)
        .run()
    )
    for row in rows:
        judged = await Criterion.count().where(
            (Criterion.contest == row["id"]) & (Criterion.kind == Kind.judged.value)
        )
        row["entries"] = await Entry.count().where(Entry.contest == row["id"])
        per_entry: dict[int, int] = {}
        for score in await (
            Score.select(Score.entry)
            .where(
                (Score.judge == viewer.id)
                & (Score.entry.contest == row["id"])
                & (Score.criterion.kind == Kind.judged.value)
            )
            .run()
        ):
            per_entry[score["entry"]] = per_entry.get(score["entry"], 0) + 1
        row["scored"] = sum(1 for n in per_entry.values() if n >= judged > 0)
    return rows


async def get_contest(viewer: Viewer, contest_id: int) -> ContestView:
    contest = await Contest.select(*CONTEST_COLUMNS).where(Contest.id == contest_id).first().run()
    if contest is None:
        raise NotFound
    on_panel = contest_id in await panel_contests(viewer)
    if not on_panel:
        unions = await orgs.event_unions(viewer.scope) if viewer.is_organizer else set()
        if unions is not None and contest["union"] not in unions:
            raise NotFound
    return ContestView(
        id=contest["id"],
        title=contest["title"],
        description=contest["description"],
        union=contest["union"],
        union_name=contest["union_name"],
        status=contest["status"],
        slug=contest["slug"],
        entries_open_at=contest["entries_open_at"],
        entries_close_at=contest["entries_close_at"],
        judging_open_at=contest["judging_open_at"],
        judging_close_at=contest["judging_close_at"],
        allow_teams=contest["allow_teams"],
        trimmed_mean=contest["trimmed_mean"],
        tiers=[tuple(t) for t in json.loads(contest["award_tiers"])],
        tie_break_ids=json.loads(contest["tie_breaks"]),
        ties_go_up=contest["ties_go_up"],
        locked_at=contest["locked_at"],
        published_at=contest["published_at"],
        version=contest["version"],
        on_panel=on_panel,
        can_manage=viewer.can_approve and orgs.runs(viewer.scope, contest["union"]),
    )


async def contest_status(contest_id: int) -> str:
    """Where the contest stands now (read again inside a write, after its lock)."""
    row = await Contest.select(Contest.status).where(Contest.id == contest_id).first()
    return row["status"]


async def contest_slug(contest_id: int) -> str | None:
    row = await Contest.select(Contest.slug).where(Contest.id == contest_id).first()
    return row["slug"] if row else None


async def published_contest(slug: str) -> dict | None:
    """A contest by its public address, once its results are published."""
    return (
        await Contest.select(*CONTEST_COLUMNS)
        .where((Contest.slug == slug) & (Contest.status == Status.published.value))
        .first()
        .run()
    )


# --- marking scheme and panel ----------------------------------------------------------


async def criteria(contest_id: int) -> list[dict]:
    rows = (
        await Criterion.select()
        .where(Criterion.contest == contest_id)
        .order_by(Criterion.position)
        .order_by(Criterion.id)
        .run()
    )
    for row in rows:
        row["max_score"], row["weight"] = plain(row["max_score"]), plain(row["weight"])
        row["thresholds"] = [tuple(Decimal(v) for v in t) for t in json.loads(row["thresholds"])]
    return rows


async def criterion_count(contest_id: int) -> int:
    return await Criterion.count().where(Criterion.contest == contest_id).run()


async def judges(contest_id: int) -> list[dict]:
    return (
        await Judge.select(
            Judge.id,
            Judge.user,
            Judge.submitted_at,
            Judge.user.display_name.as_alias("name"),
            Judge.user.username.as_alias("username"),
        )
        .where(Judge.contest == contest_id)
        .order_by(Judge.id)
        .run()
    )


async def judge_candidates(viewer: Viewer) -> list[dict]:
    """Users who may sit on a panel: judges; for a union admin, anyone active too."""
    require(viewer, MANAGERS)
    query = User.select(User.id, User.display_name, User.username, User.role).where(
        User.is_active.eq(True)
    )
    if not viewer.scope.everything:  # other federations' staff are not theirs to list
        query = query.where(User.role == Role.judge.value)
    rows = await query.order_by(User.display_name).run()
    return sorted(rows, key=lambda u: u["role"] != Role.judge.value)


async def is_active_user(user_id: int) -> bool:
    return await User.exists().where((User.id == user_id) & User.is_active.eq(True)).run()


async def on_panel(contest_id: int, user_id: int) -> bool:
    return await Judge.exists().where((Judge.contest == contest_id) & (Judge.user == user_id))


async def panel_seat(viewer: Viewer, contest_id: int) -> dict:
    """The viewer's seat on the contest's panel (NotFound: not on it)."""
    seat = (
        await Judge.select()
        .where((Judge.contest == contest_id) & (Judge.user == viewer.id))
        .first()
        .run()
    )
    if seat is None:
        raise NotFound
    return seat


# --- entries ---------------------------------------------------------------------------


async def entries(contest_id: int) -> list[dict]:
    """Entries with their members' names, villages and cooperatives, in entry order."""
    rows = await Entry.select().where(Entry.contest == contest_id).order_by(Entry.number).run()
    people = (
        await EntryMember.select(
            EntryMember.entry,
            EntryMember.member,
            EntryMember.member.name.as_alias("name"),
            EntryMember.member.village.name.as_alias("village_name"),
            EntryMember.member.cooperative.name.as_alias("cooperative_name"),
        )
        .where(EntryMember.contest == contest_id)
        .order_by(EntryMember.id)
        .run()
    )
    for row in rows:
        row["people"] = [p for p in people if p["entry"] == row["id"]]
        row["names"] = "、".join(p["name"] for p in row["people"])
        row["villages"] = "、".join(dict.fromkeys(p["village_name"] for p in row["people"]))
        row["cooperatives"] = "、".join(dict.fromkeys(p["cooperative_name"] for p in row["people"]))
    return rows


async def visible_entries(viewer: Viewer, contest: ContestView) -> list[dict]:
    """The entries the viewer may see: all of a contest it runs or judges; otherwise those
    by members in its scope only (a village organizer's own people)."""
    rows = await entries(contest.id)
    if viewer.scope.everything or contest.can_manage or contest.on_panel:
        return rows
    people = [p["member"] for row in rows for p in row["people"]]
    theirs = {
        m["id"]
        for m in await Member.select(Member.id)
        .where(members.member_where(viewer.scope) & Member.id.is_in(people or [-1]))
        .run()
    }
    return [row for row in rows if any(p["member"] in theirs for p in row["people"])]


async def entry_counts(viewer: Viewer, contest: ContestView) -> dict[str, list[tuple[str, int]]]:
    """Entrants per village and per cooperative, most first, of the entries the viewer sees."""
    rows = await visible_entries(viewer, contest)
    counts: dict[str, dict[str, int]] = {"village": {}, "cooperative": {}}
    for row in rows:
        for person in row["people"]:
            for kind in counts:
                name = person[f"{kind}_name"]
                counts[kind][name] = counts[kind].get(name, 0) + 1
    return {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0])) for k, v in counts.items()}


async def get_entry(viewer: Viewer, contest_id: int, entry_id: int) -> dict:
    contest = await get_contest(viewer, contest_id)
    for row in await visible_entries(viewer, contest):
        if row["id"] == entry_id:
            return row
    raise NotFound


async def entry_count(contest_id: int) -> int:
    return await Entry.count().where(Entry.contest == contest_id).run()


async def has_entries(contest_id: int) -> bool:
    return await Entry.exists().where(Entry.contest == contest_id)


async def entered(contest_id: int, member_ids: list[int]) -> list[str]:
    """The names of those of these members who have already entered the contest."""
    rows = (
        await EntryMember.select(EntryMember.member.name.as_alias("name"))
        .where((EntryMember.contest == contest_id) & EntryMember.member.is_in(member_ids or [-1]))
        .run()
    )
    return [row["name"] for row in rows]


async def figures(contest_id: int) -> dict[tuple[int, int], Decimal]:
    rows = (
        await Figure.select(Figure.entry, Figure.criterion, Figure.figure)
        .where(Figure.entry.contest == contest_id)
        .run()
    )
    return {(r["entry"], r["criterion"]): plain(r["figure"]) for r in rows}


# --- scores and results ----------------------------------------------------------------


async def own_scores(viewer: Viewer, contest_id: int) -> dict[tuple[int, int], dict]:
    """The viewer's own scores in a contest, by (entry, criterion)."""
    rows = (
        await Score.select(Score.entry, Score.criterion, Score.score, Score.version)
        .where((Score.judge == viewer.id) & (Score.entry.contest == contest_id))
        .run()
    )
    for row in rows:  # the same digits on both engines
        row["score"] = Decimal(str(row["score"])).quantize(scoring.CENT)
    return {(r["entry"], r["criterion"]): r for r in rows}


async def own_entry_scores(judge_id: int, entry_id: int) -> dict[int, dict]:
    """One judge's stored scores for one entry, by criterion (read inside the save)."""
    rows = (
        await Score.select(Score.id, Score.criterion, Score.score, Score.version)
        .where((Score.entry == entry_id) & (Score.judge == judge_id))
        .run()
    )
    return {row["criterion"]: row for row in rows}


async def scores(contest_id: int) -> list[dict]:
    """Every judge's scores in a contest: entry, criterion, judge, score."""
    return (
        await Score.select(Score.entry, Score.criterion, Score.judge, Score.score)
        .where(Score.entry.contest == contest_id)
        .run()
    )


async def locked_results(contest_id: int) -> list[scoring.EntryResult]:
    rows = (
        await Result.select()
        .where(Result.contest == contest_id)
        .order_by(Result.rank)
        .order_by(Result.id)
        .run()
    )
    return [
        scoring.EntryResult(
            entry_id=r["entry"],
            points={int(k): Decimal(v) for k, v in json.loads(r["points"]).items()},
            total=Decimal(str(r["total"])).quantize(scoring.CENT),
            rank=r["rank"],
            award=r["award"],
        )
        for r in rows
    ]


async def member_entries(viewer: Viewer, member_id: int) -> list[dict]:
    """A member's contest entries, with rank and award once results are locked."""
    await members.get_member(viewer, member_id)
    rows = (
        await EntryMember.select(
            EntryMember.entry.as_alias("entry_id"),
            EntryMember.entry.title.as_alias("title"),
            EntryMember.contest.as_alias("contest_id"),
            EntryMember.contest.title.as_alias("contest_title"),
            EntryMember.contest.status.as_alias("status"),
        )
        .where(EntryMember.member == member_id)
        .order_by(EntryMember.id, ascending=False)
        .run()
    )
    results = {
        r["entry"]: r
        for r in await Result.select(Result.entry, Result.rank, Result.award)
        .where(Result.entry.is_in([row["entry_id"] for row in rows] or [-1]))
        .run()
    }
    for row in rows:
        row["rank"] = results.get(row["entry_id"], {}).get("rank")
        row["award"] = results.get(row["entry_id"], {}).get("award", "")
    return rows
