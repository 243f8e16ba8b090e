"""Skills contests: set-up, marking scheme, entries, judges' sheets, locked and published results.

A contest moves draft → entries open → judging → results locked → published.
Opening judging freezes the marking scheme and the judge panel; locking stores
every entry's points, total, rank and award (coop.contests.scoring), and nothing
that changes a result is accepted after that.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from coop import db
from coop.access import MANAGERS, ORGANIZERS, Role, Viewer, actor_id, require
from coop.accounts.tables import User
from coop.audit import domain as audit
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
from coop.orgs import domain as orgs
from coop.validation import Forbidden, Msg, NotFound, ValidationError

Status = Contest.Status
Kind = Criterion.Kind
ORDER = [s.value for s in Status]
TEAM_MIN, TEAM_MAX = 2, 5
WEIGHTS_TOTAL = Decimal(100)
FIGURE_MAX = 10**11  # fits the column on both engines
STALE_SCORE = Msg(
    "This score was changed on another page or device since you opened this one. "
    "The current scores are shown; check them and save again."
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


@dataclass
class EntryInput:
    member_ids: list[int]
    title: str
    products: str = ""
    link: str = ""
    notes: str = ""


def parse_score(errors: dict[str, Msg], name: str, text: str, maximum: Decimal) -> Decimal | None:
    """A score typed on a phone: 0 to the maximum, at most 2 decimal places."""
    text = (text or "").strip().replace("，", ".").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[name] = Msg("Enter a number.")
        return None
    if not value.is_finite():
        errors[name] = Msg("Enter a number.")
    elif value.as_tuple().exponent < -2:
        errors[name] = Msg("At most 2 decimal places.")
    elif not 0 <= value <= maximum:
        errors[name] = Msg("Enter a score from 0 to {max}.", max=str(plain(maximum)))
    else:
        return value
    return None


# --- reading -----------------------------------------------------------------------

CONTEST_COLUMNS = (Contest.all_columns(), Contest.union.name.as_alias("union_name"))


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


async def get_contest(viewer: Viewer, contest_id: int) -> dict:
    contest = await Contest.select(*CONTEST_COLUMNS).where(Contest.id == contest_id).first().run()
    if contest is None:
        raise NotFound
    contest["on_panel"] = contest_id in await panel_contests(viewer)
    if not contest["on_panel"]:
        unions = await orgs.event_unions(viewer.scope) if viewer.is_organizer else set()
        if unions is not None and contest["union"] not in unions:
            raise NotFound
    contest["can_manage"] = viewer.can_approve and orgs.runs(viewer.scope, contest["union"])
    contest["tiers"] = [tuple(t) for t in json.loads(contest["award_tiers"])]
    contest["tie_break_ids"] = json.loads(contest["tie_breaks"])
    return contest


async def contest_for_edit(viewer: Viewer, contest_id: int) -> dict:
    contest = await get_contest(viewer, contest_id)
    if not contest["can_manage"]:
        raise Forbidden
    return contest


def _frozen(contest: dict) -> bool:
    return ORDER.index(contest["status"]) >= ORDER.index(Status.judging.value)


def _locked(contest: dict) -> bool:
    return ORDER.index(contest["status"]) >= ORDER.index(Status.locked.value)


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


def plain(value) -> Decimal:
    """A stored number as people write it (40, 30.5), the same from both engines."""
    return Decimal(format(Decimal(str(value)).normalize(), "f"))


def weights_total(rows: list[dict]) -> Decimal:
    return sum((row["weight"] for row in rows), Decimal(0))


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


async def entry_counts(contest_id: int) -> dict[str, list[tuple[str, int]]]:
    """Entrants per village and per cooperative, most first."""
    rows = await entries(contest_id)
    counts: dict[str, dict[str, int]] = {"village": {}, "cooperative": {}}
    for row in rows:
        for person in row["people"]:
            for kind in counts:
                name = person[f"{kind}_name"]
                counts[kind][name] = counts[kind].get(name, 0) + 1
    return {k: sorted(v.items(), key=lambda kv: (-kv[1], kv[0])) for k, v in counts.items()}


# --- set-up --------------------------------------------------------------------------


def _check_contest(errors: dict[str, Msg], data: ContestInput) -> None:
    for opens, closes, name in (
        (data.entries_open_at, data.entries_close_at, "entries_close_at"),
        (data.judging_open_at, data.judging_close_at, "judging_close_at"),
    ):
        if opens and closes and closes <= opens:
            errors[name] = Msg("The end must be after the start.")
    if not data.award_tiers:
        errors["award_tiers"] = Msg("Give at least one award, one per line: name and number.")


async def save_contest(viewer: Viewer, data: ContestInput, contest_id: int | None = None) -> int:
    require(viewer, MANAGERS)
    errors: dict[str, Msg] = {}
    if data.union_id not in {u["id"] for u in await orgs.running_unions(viewer.scope)}:
        errors["union_id"] = Msg("Choose a union from the list.")
    _check_contest(errors, data)
    current = await contest_for_edit(viewer, contest_id) if contest_id else None
    if current and _locked(current):
        errors["title"] = Msg("The results are locked: the contest can no longer change.")
    if errors:
        raise ValidationError(errors)
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
    if not current or not _frozen(current):  # the counting rule is part of the frozen scheme
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


async def _scheme_for_edit(viewer: Viewer, contest_id: int) -> dict:
    contest = await contest_for_edit(viewer, contest_id)
    if _frozen(contest):
        raise ValidationError(
            {"scheme": Msg("Judging has opened: the marking scheme and the judges are frozen.")}
        )
    return contest


async def save_criterion(
    viewer: Viewer, contest_id: int, data: CriterionInput, criterion_id: int | None = None
) -> int:
    await _scheme_for_edit(viewer, contest_id)
    errors: dict[str, Msg] = {}
    if not Decimal(0) < data.max_score <= Decimal(1000):
        errors["max_score"] = Msg("Enter a maximum from 0.01 to 1000.")
    if not Decimal(0) < data.weight <= WEIGHTS_TOTAL:
        errors["weight"] = Msg("Enter a weight from 0.01 to 100.")
    if data.kind not in {k.value for k in Kind}:
        errors["kind"] = Msg("Choose from the list.")
    thresholds = sorted(data.thresholds or [])
    if data.kind == Kind.measured.value and not data.linear and not thresholds:
        errors["thresholds"] = Msg("Give at least one threshold: a figure and its points.")
    if any(points > data.max_score for _, points in thresholds):
        errors["thresholds"] = Msg("Threshold points cannot exceed the maximum.")
    if errors:
        raise ValidationError(errors)
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
            position = await Criterion.count().where(Criterion.contest == contest_id).run()
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
        breaks = [c for c in contest["tie_break_ids"] if c != criterion_id]
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


async def add_judge(viewer: Viewer, contest_id: int, user_id: int) -> None:
    await _scheme_for_edit(viewer, contest_id)
    if not await User.exists().where((User.id == user_id) & User.is_active.eq(True)).run():
        raise ValidationError({"user_id": Msg("Choose a person from the list.")})
    async with db.transaction():
        if not await Judge.exists().where((Judge.contest == contest_id) & (Judge.user == user_id)):
            await Judge.insert(Judge(contest=contest_id, user=user_id)).run()
            await audit.record(viewer.actor, "add_judge", "contest", contest_id, str(user_id))


async def remove_judge(viewer: Viewer, contest_id: int, user_id: int) -> None:
    await _scheme_for_edit(viewer, contest_id)
    async with db.transaction():
        await Judge.delete().where((Judge.contest == contest_id) & (Judge.user == user_id)).run()
        await audit.record(viewer.actor, "remove_judge", "contest", contest_id, str(user_id))


async def advance(viewer: Viewer, contest_id: int) -> str:
    """The next step: open entries, open judging (freezes), lock results, publish them."""
    contest = await contest_for_edit(viewer, contest_id)
    status = contest["status"]
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
    if not await Entry.exists().where(Entry.contest == contest_id):
        errors["entries"] = Msg("There are no entries yet.")
    if errors:
        raise ValidationError(errors)


# --- entries -------------------------------------------------------------------------


def _in_window(opens: dt.datetime | None, closes: dt.datetime | None) -> bool:
    at = now()
    return (opens is None or at >= opens) and (closes is None or at < closes)


async def enter(viewer: Viewer, contest_id: int, data: EntryInput) -> int:
    """Enter a member (or a team); one entry per member per contest."""
    require(viewer, ORGANIZERS)
    contest = await get_contest(viewer, contest_id)
    errors: dict[str, Msg] = {}
    if contest["status"] != Status.entries_open.value or not _in_window(
        contest["entries_open_at"], contest["entries_close_at"]
    ):
        raise ValidationError({"contest": Msg("Entries are not open for this contest.")})
    ids = list(dict.fromkeys(data.member_ids))
    if contest["allow_teams"]:
        if not 1 <= len(ids) <= TEAM_MAX:
            errors["member_ids"] = Msg(
                "An entry is one member, or a team of {min} to {max}.", min=TEAM_MIN, max=TEAM_MAX
            )
    elif len(ids) != 1:
        errors["member_ids"] = Msg("Choose one member: this contest has no team entries.")
    federations = await orgs.federations_under(contest["union"])
    for member_id in ids:
        try:
            member = await members.get_member(viewer, member_id)
        except NotFound:
            errors["member_ids"] = Msg("Choose members from the list.")
            break
        if (
            member["status"] != members.Status.member.value
            or member["federation"] not in federations
        ):
            errors["member_ids"] = Msg(
                "{name} is not a member in good standing of a federation of {union}.",
                name=member["name"],
                union=contest["union_name"],
            )
            break
    taken = (
        await EntryMember.select(EntryMember.member.name.as_alias("name"))
        .where((EntryMember.contest == contest_id) & EntryMember.member.is_in(ids or [-1]))
        .run()
    )
    if taken and "member_ids" not in errors:
        errors["member_ids"] = Msg(
            "{name} has already entered this contest.", name=taken[0]["name"]
        )
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await Contest.update({Contest.version: Contest.version}).where(Contest.id == contest_id)
        taken = (  # entered by someone else a moment ago
            await EntryMember.select(EntryMember.member.name.as_alias("name"))
            .where((EntryMember.contest == contest_id) & EntryMember.member.is_in(ids))
            .run()
        )
        if taken:
            raise ValidationError(
                {
                    "member_ids": Msg(
                        "{name} has already entered this contest.", name=taken[0]["name"]
                    )
                }
            )
        number = await Entry.count().where(Entry.contest == contest_id).run() + 1
        [row] = (
            await Entry.insert(
                Entry(
                    contest=contest_id,
                    number=number,
                    title=data.title,
                    products=data.products,
                    link=data.link,
                    notes=data.notes,
                    created_by=actor_id(viewer),
                )
            )
            .returning(Entry.id)
            .run()
        )
        await EntryMember.insert(
            *[EntryMember(entry=row["id"], contest=contest_id, member=m) for m in ids]
        ).run()
        await audit.record(viewer.actor, "enter", "contest_entry", row["id"], data.title)
    return row["id"]


async def get_entry(viewer: Viewer, contest_id: int, entry_id: int) -> dict:
    await get_contest(viewer, contest_id)
    for row in await entries(contest_id):
        if row["id"] == entry_id:
            return row
    raise NotFound


async def figures(contest_id: int) -> dict[tuple[int, int], Decimal]:
    rows = (
        await Figure.select(Figure.entry, Figure.criterion, Figure.figure)
        .where(Figure.entry.contest == contest_id)
        .run()
    )
    return {(r["entry"], r["criterion"]): plain(r["figure"]) for r in rows}


async def record_figure(
    viewer: Viewer, contest_id: int, entry_id: int, criterion_id: int, figure: Decimal
) -> None:
    """A measured figure (sales, viewers, orders), entered once by an organizer."""
    contest = await contest_for_edit(viewer, contest_id)
    await get_entry(viewer, contest_id, entry_id)
    if _locked(contest):
        raise ValidationError({"figure": Msg("The results are locked: nothing can change.")})
    criterion = next((c for c in await criteria(contest_id) if c["id"] == criterion_id), None)
    if criterion is None or criterion["kind"] != Kind.measured.value:
        raise NotFound
    if not 0 <= figure < FIGURE_MAX:
        raise ValidationError(
            {f"figure_{criterion_id}": Msg("Enter a figure from 0 to {max}.", max=FIGURE_MAX)}
        )
    async with db.transaction():
        await Figure.delete().where((Figure.entry == entry_id) & (Figure.criterion == criterion_id))
        await Figure.insert(
            Figure(
                entry=entry_id,
                criterion=criterion_id,
                figure=figure,
                recorded_by=actor_id(viewer),
            )
        ).run()
        await audit.record(
            viewer.actor, "figure", "contest_entry", entry_id, f"{criterion_id}={figure}"
        )


# --- judging -------------------------------------------------------------------------


async def _panel_seat(viewer: Viewer, contest_id: int) -> dict:
    seat = (
        await Judge.select()
        .where((Judge.contest == contest_id) & (Judge.user == viewer.id))
        .first()
        .run()
    )
    if seat is None:
        raise NotFound
    return seat


async def judge_sheet(viewer: Viewer, contest_id: int) -> dict:
    """The judge's own sheet: entries, their own scores only, and progress."""
    contest = await get_contest(viewer, contest_id)
    seat = await _panel_seat(viewer, contest_id)
    judged = [c for c in await criteria(contest_id) if c["kind"] == Kind.judged.value]
    own = await _own_scores(viewer, contest_id)
    rows = await entries(contest_id)
    for row in rows:
        row["scored"] = all((row["id"], c["id"]) in own for c in judged)
    return {
        "contest": contest,
        "seat": seat,
        "criteria": judged,
        "entries": rows,
        "scored": sum(1 for r in rows if r["scored"]),
        "can_score": _can_score(contest, seat),
    }


def _can_score(contest: dict, seat: dict) -> bool:
    return (
        contest["status"] == Status.judging.value
        and seat["submitted_at"] is None
        and _in_window(contest["judging_open_at"], contest["judging_close_at"])
    )


async def _own_scores(viewer: Viewer, contest_id: int) -> dict[tuple[int, int], dict]:
    rows = (
        await Score.select(Score.entry, Score.criterion, Score.score, Score.version)
        .where((Score.judge == viewer.id) & (Score.entry.contest == contest_id))
        .run()
    )
    for row in rows:  # the same digits on both engines
        row["score"] = Decimal(str(row["score"])).quantize(scoring.CENT)
    return {(r["entry"], r["criterion"]): r for r in rows}


async def entry_scores(viewer: Viewer, contest_id: int, entry_id: int) -> dict:
    """One entry as its judge sees it: the entry and the judge's own scores."""
    sheet = await judge_sheet(viewer, contest_id)
    entry = next((e for e in sheet["entries"] if e["id"] == entry_id), None)
    if entry is None:
        raise NotFound
    own = await _own_scores(viewer, contest_id)
    numbers = [e["id"] for e in sheet["entries"]]
    index = numbers.index(entry_id)
    return {
        **sheet,
        "entry": entry,
        "scores": {c: own[(entry_id, c)] for e, c in own if e == entry_id},
        "next_id": numbers[index + 1] if index + 1 < len(numbers) else None,
        "previous_id": numbers[index - 1] if index else None,
    }


async def save_scores(
    viewer: Viewer,
    contest_id: int,
    entry_id: int,
    scores: dict[int, Decimal],
    versions: dict[int, int],
) -> None:
    """Save a judge's scores for one entry, all or none.

    Each score carries the version the page showed (0: none yet). A resend of a
    score already saved is accepted as it is; a different value over a newer
    score is refused (STALE_SCORE), so a stale page never overwrites.
    """
    sheet = await judge_sheet(viewer, contest_id)
    if not sheet["can_score"]:
        raise ValidationError({"scores": Msg("Scoring is closed for you on this contest.")})
    if entry_id not in {e["id"] for e in sheet["entries"]}:
        raise NotFound
    allowed = {c["id"]: c["max_score"] for c in sheet["criteria"]}
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
        still = await Contest.select(Contest.status).where(Contest.id == contest_id).first()
        if still["status"] != Status.judging.value:  # locked a moment ago
            raise ValidationError({"scores": Msg("Scoring is closed for you on this contest.")})
        for criterion_id, value in scores.items():
            current = (
                await Score.select(Score.id, Score.score, Score.version)
                .where(
                    (Score.entry == entry_id)
                    & (Score.criterion == criterion_id)
                    & (Score.judge == viewer.id)
                )
                .first()
                .run()
            )
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


async def submit_sheet(viewer: Viewer, contest_id: int) -> None:
    """Hand in the sheet: every entry scored on every judged criterion; final after this."""
    sheet = await judge_sheet(viewer, contest_id)
    if not sheet["can_score"]:
        raise ValidationError({"scores": Msg("Scoring is closed for you on this contest.")})
    if sheet["scored"] < len(sheet["entries"]):
        raise ValidationError(
            {
                "scores": Msg(
                    "{n} entries still need scores before the sheet can be handed in.",
                    n=len(sheet["entries"]) - sheet["scored"],
                )
            }
        )
    async with db.transaction():
        await Judge.update({Judge.submitted_at: now()}).where(Judge.id == sheet["seat"]["id"])
        await audit.record(viewer.actor, "submit_sheet", "contest", contest_id)


async def reopen_sheet(viewer: Viewer, contest_id: int, judge_user_id: int) -> None:
    """Let a judge correct a handed-in sheet; written to the audit log."""
    contest = await contest_for_edit(viewer, contest_id)
    if contest["status"] != Status.judging.value:
        raise ValidationError({"status": Msg("Sheets can only be reopened while judging.")})
    async with db.transaction():
        await Judge.update({Judge.submitted_at: None}).where(
            (Judge.contest == contest_id) & (Judge.user == judge_user_id)
        )
        await audit.record(
            viewer.actor, "reopen_sheet", "contest", contest_id, f"judge={judge_user_id}"
        )


# --- results -------------------------------------------------------------------------


@dataclass
class ResultsSheet:
    contest: dict
    criteria: list[dict]
    judges: list[dict]
    rows: list[dict]  # entry, result, and per-criterion per-judge scores


async def _compute(contest: dict) -> tuple[list[dict], list[dict], list[scoring.EntryResult]]:
    scheme = await criteria(contest["id"])
    panel = await judges(contest["id"])
    rows = await entries(contest["id"])
    score_rows = (
        await Score.select(Score.entry, Score.criterion, Score.judge, Score.score)
        .where(Score.entry.contest == contest["id"])
        .run()
    )
    measured = await figures(contest["id"])
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
        trimmed=contest["trimmed_mean"],
        tie_breaks=contest["tie_break_ids"],
        tiers=contest["tiers"],
        ties_go_up=contest["ties_go_up"],
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


async def _store_results(contest: dict) -> None:
    _, _, found = await _compute(contest)
    await Result.delete().where(Result.contest == contest["id"])
    if found:
        await Result.insert(
            *[
                Result(
                    contest=contest["id"],
                    entry=r.entry_id,
                    rank=r.rank,
                    total=r.total,
                    award=r.award,
                    points=json.dumps({str(k): str(v) for k, v in r.points.items()}),
                )
                for r in found
            ]
        ).run()


async def _locked_results(contest_id: int) -> list[scoring.EntryResult]:
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


async def results_sheet(viewer: Viewer, contest_id: int) -> ResultsSheet:
    """For organizers: every entry's points, total, rank and award, each judge's scores,
    and flags. Live while judging; as stored once locked."""
    require(viewer, ORGANIZERS)
    contest = await get_contest(viewer, contest_id)
    if contest["on_panel"] and not _locked(contest):  # a judge sees no other judge's scores
        raise Forbidden
    scheme, panel, live = await _compute(contest)
    found = await _locked_results(contest_id) if _locked(contest) else live
    flags = {r.entry_id: r for r in live}
    by_entry = {row["id"]: row for row in await entries(contest_id)}
    score_rows = (
        await Score.select(Score.entry, Score.criterion, Score.judge, Score.score)
        .where(Score.entry.contest == contest_id)
        .run()
    )
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
    contest = (
        await Contest.select(*CONTEST_COLUMNS)
        .where((Contest.slug == slug) & (Contest.status == Status.published.value))
        .first()
        .run()
    )
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
            for r in await _locked_results(contest["id"])
        ],
    }


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
