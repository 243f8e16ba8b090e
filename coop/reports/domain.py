"""The dashboard: the figures a union reports upward, within what the viewer may see.

Every figure is an SQL aggregate (COUNT … GROUP BY) limited to the scope; the
members themselves are never loaded, however many there are. The definitions are
the owning contexts': the home page's member counts, the training programme
page's sessions held and person-times (人次), the contests' locked awards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from piccolo.query.functions.aggregate import Count

from coop import access
from coop.access import ORGANIZERS, Scope, Viewer, require
from coop.contests.tables import Contest, Entry, EntryMember, Result
from coop.members import domain as members
from coop.members.tables import Member
from coop.orgs import domain as orgs
from coop.orgs.tables import Cooperative, Village
from coop.trainings.tables import Programme, Registration, TrainingSession
from coop.validation import NotFound

Status = Member.Status
HELD = TrainingSession.Status.held.value
MONTHS = 12  # enrollment over the last twelve months
PLACES_SHOWN = 20  # villages and cooperatives with most members; the page stays light


@dataclass
class Dashboard:
    union: dict | None  # the union the figures are narrowed to; None: the viewer's scope
    members: dict[str, int]
    months: list[tuple[dt.date, int, int]]  # month, joined that month, joined up to then
    villages: list[dict]  # id, name, members, applicants; most members first
    village_count: int
    cooperatives: list[dict]
    cooperative_count: int
    trainings: list[dict]  # per programme: id, title, sessions_held, person_times
    contests: list[dict]  # per contest: id, title, status, entries, awards
    standards: list[dict]  # per federation: id, name, done, total


def _and(query, *conditions):
    for condition in conditions:
        if condition is not None:
            query = query.where(condition)
    return query


# --- whose figures ------------------------------------------------------------------


async def choosable_unions(viewer: Viewer) -> list[dict]:
    """Unions whose figures the viewer may open one by one: any of them for union admins,
    their own federations for federation organizers."""
    require(viewer, ORGANIZERS)
    return await orgs.running_unions(viewer.scope)


async def narrowed(viewer: Viewer, union_id: int | None) -> tuple[Viewer, dict | None]:
    """The viewer limited to one union and what is beneath it (its federations)."""
    if not union_id:
        return viewer, None
    union = next((u for u in await choosable_unions(viewer) if u["id"] == union_id), None)
    if union is None:
        raise NotFound
    federations = frozenset(await orgs.federations_under(union_id))
    return dataclasses.replace(viewer, scope=Scope(federation_ids=federations)), union


# --- members ------------------------------------------------------------------------


async def member_figures(viewer: Viewer) -> dict[str, int]:
    """The home page's counts, and the backbone members among the members."""
    figures = await members.counts(viewer)
    backbone = (Member.status == Status.member.value) & Member.is_backbone.eq(True)
    figures["backbone"] = await _and(
        Member.count(), backbone, members.member_where(viewer.scope)
    ).run()
    return figures


def _month(day: dt.date, back: int = 0) -> dt.date:
    """The first day of the month `back` months before `day`'s."""
    months = day.year * 12 + day.month - 1 - back
    return dt.date(months // 12, months % 12 + 1, 1)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


async def enrollment_by_month(
    scope: Scope, today: dt.date | None = None, months: int = MONTHS
) -> list[tuple[dt.date, int, int]]:
    """People who joined (by join date, whatever they are now) each month, the last
    `months` months; with everyone who had joined by the end of each month."""
    today = today or access.today()
    start = _month(today, months - 1)
    rows = await _and(  # one row per join day: a few thousand at most, however many members
        Member.select(Member.join_date, Count(alias="n")).group_by(Member.join_date),
        Member.join_date.is_not_null(),
        Member.join_date <= today,
        members.member_where(scope),
    ).run()
    before, joined = 0, {}
    for row in rows:
        month = _month(_as_date(row["join_date"]))
        if month < start:
            before += row["n"]
        else:
            joined[month] = joined.get(month, 0) + row["n"]
    result, total = [], before
    for back in range(months - 1, -1, -1):
        month = _month(today, back)
        total += joined.get(month, 0)
        result.append((month, joined.get(month, 0), total))
    return result


async def _members_by(scope: Scope, column, name_column) -> list[dict]:
    """Members and applicants per place, most members first."""
    rows = await _and(
        Member.select(
            column.as_alias("id"), name_column.as_alias("name"), Member.status, Count(alias="n")
        ).group_by(column, name_column, Member.status),
        Member.status.is_in(list(members.ACTIVE)),
        members.member_where(scope),
    ).run()
    places: dict[int, dict] = {}
    for row in rows:
        place = places.setdefault(
            row["id"], {"id": row["id"], "name": row["name"], "members": 0, "applicants": 0}
        )
        place["members" if row["status"] == Status.member.value else "applicants"] += row["n"]
    return sorted(places.values(), key=lambda p: (-p["members"], -p["applicants"], p["name"]))


async def members_by_village(scope: Scope) -> list[dict]:
    return await _members_by(scope, Member.village, Member.village.name)


async def members_by_cooperative(scope: Scope) -> list[dict]:
    return await _members_by(scope, Member.cooperative, Member.cooperative.name)


# --- trainings ----------------------------------------------------------------------


def _people_in_scope(scope: Scope):
    """Registrants from the villages or cooperatives in scope, or at a session the
    viewer's own federation runs (None: everyone)."""
    if scope.everything:
        return None
    villages = Village.select(Village.id).where(orgs.village_where(scope))
    cooperatives = Cooperative.select(Cooperative.id).where(orgs.cooperative_where(scope))
    condition = Registration.village.is_in(villages) | Registration.cooperative.is_in(cooperatives)
    if scope.federation_ids:
        condition |= Registration.session.programme.union.is_in(list(scope.federation_ids))
    return condition


async def training_figures(scope: Scope) -> list[dict]:
    """Per programme the viewer sees: sessions held, and person-times (人次) — everyone
    checked in at a held session, counted once per session — of the people in scope."""
    unions = await orgs.event_unions(scope)
    visible = None if unions is None else Programme.union.is_in(list(unions) or [-1])
    programmes = await _and(
        Programme.select(Programme.id, Programme.title).order_by(Programme.id), visible
    ).run()
    ids = [p["id"] for p in programmes] or [-1]
    held = await (
        TrainingSession.select(TrainingSession.programme, Count(alias="n"))
        .where((TrainingSession.status == HELD) & TrainingSession.programme.is_in(ids))
        .group_by(TrainingSession.programme)
        .run()
    )
    attended = await _and(
        Registration.select(
            Registration.session.programme.as_alias("programme"), Count(alias="n")
        ).group_by(Registration.session.programme),
        Registration.checked_in_at.is_not_null(),
        Registration.session.status == HELD,
        Registration.session.programme.is_in(ids),
        _people_in_scope(scope),
    ).run()
    sessions = {row["programme"]: row["n"] for row in held}
    people = {row["programme"]: row["n"] for row in attended}
    return [
        {
            **programme,
            "sessions_held": sessions.get(programme["id"], 0),
            "person_times": people.get(programme["id"], 0),
        }
        for programme in programmes
    ]


# --- contests -----------------------------------------------------------------------


async def contest_figures(scope: Scope) -> list[dict]:
    """Per contest the viewer sees: entries by members in scope, and those with an award
    (awards exist once the results are locked)."""
    unions = await orgs.event_unions(scope)
    visible = None if unions is None else Contest.union.is_in(list(unions) or [-1])
    contests = await _and(
        Contest.select(Contest.id, Contest.title, Contest.status).order_by(Contest.id), visible
    ).run()
    ids = [c["id"] for c in contests] or [-1]
    where = members.member_where(scope)
    scoped_entries = None
    if where is not None:
        people = Member.select(Member.id).where(where)
        scoped_entries = EntryMember.select(EntryMember.entry).where(
            EntryMember.member.is_in(people)
        )
    entries = await _and(
        Entry.select(Entry.contest, Count(alias="n")).group_by(Entry.contest),
        Entry.contest.is_in(ids),
        Entry.id.is_in(scoped_entries) if scoped_entries is not None else None,
    ).run()
    awards = await _and(
        Result.select(Result.contest, Count(alias="n")).group_by(Result.contest),
        Result.contest.is_in(ids),
        Result.award != "",
        Result.entry.is_in(scoped_entries) if scoped_entries is not None else None,
    ).run()
    entry_counts = {row["contest"]: row["n"] for row in entries}
    award_counts = {row["contest"]: row["n"] for row in awards}
    return [
        {
            **contest,
            "entries": entry_counts.get(contest["id"], 0),
            "awards": award_counts.get(contest["id"], 0),
        }
        for contest in contests
    ]


# --- all of it ----------------------------------------------------------------------


async def dashboard(viewer: Viewer, union_id: int | None = None) -> Dashboard:
    require(viewer, ORGANIZERS)
    viewer, union = await narrowed(viewer, union_id)
    scope = viewer.scope
    villages = await members_by_village(scope)
    cooperatives = await members_by_cooperative(scope)
    return Dashboard(
        union=union,
        members=await member_figures(viewer),
        months=await enrollment_by_month(scope),
        villages=villages[:PLACES_SHOWN],
        village_count=len(villages),
        cooperatives=cooperatives[:PLACES_SHOWN],
        cooperative_count=len(cooperatives),
        trainings=await training_figures(scope),
        contests=await contest_figures(scope),
        standards=await orgs.standard_completion(scope),
    )
