"""Entries: a member, or a team, entering a contest while entries are open (one entry per
member per contest), and the measured figures an organizer records for an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from coop import db
from coop.access import ORGANIZERS, Viewer, actor_id, require
from coop.audit import domain as audit
from coop.contests import queries
from coop.contests.domain.setup import _in_window, contest_for_edit
from coop.contests.queries import Kind, Status, criteria, get_contest, get_entry
from coop.contests.tables import Contest, Entry, EntryMember, Figure
from coop.forms import merge_errors, raise_all
from coop.members import domain as members
from coop.orgs import domain as orgs
from coop.validation import Msg, NotFound, ValidationError

TEAM_MIN, TEAM_MAX = 2, 5
FIGURE_MAX = 10**11  # fits the column on both engines
# Input limits: the columns' lengths, and the member search on the entry form.
PRODUCTS_MAX = Entry.products.length
LINK_MAX = Entry.link.length
SEARCH_MAX = 40


@dataclass
class EntryInput:
    member_ids: list[int]
    title: str
    products: str = ""
    link: str = ""
    notes: str = ""


async def enter(
    viewer: Viewer, contest_id: int, data: EntryInput, form_errors: dict[str, Msg] | None = None
) -> int:
    """Enter a member (or a team); one entry per member per contest. `form_errors` (what
    the form already refused) are raised with the checks here, all at once."""
    require(viewer, ORGANIZERS)
    contest = await get_contest(viewer, contest_id)
    errors: dict[str, Msg] = {}
    if contest.status != Status.entries_open.value or not _in_window(
        contest.entries_open_at, contest.entries_close_at
    ):
        raise ValidationError({"contest": Msg("Entries are not open for this contest.")})
    ids = list(dict.fromkeys(data.member_ids))
    if contest.allow_teams:
        if not 1 <= len(ids) <= TEAM_MAX:
            errors["member_ids"] = Msg(
                "An entry is one member, or a team of {min} to {max}.", min=TEAM_MIN, max=TEAM_MAX
            )
    elif len(ids) != 1:
        errors["member_ids"] = Msg("Choose one member: this contest has no team entries.")
    federations = await orgs.federations_under(contest.union)
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
                union=contest.union_name,
            )
            break
    taken = await queries.entered(contest_id, ids)
    if taken and "member_ids" not in errors:
        errors["member_ids"] = Msg("{name} has already entered this contest.", name=taken[0])
    raise_all(merge_errors(dict(form_errors or {}), errors))
    async with db.transaction():
        await Contest.update({Contest.version: Contest.version}).where(Contest.id == contest_id)
        taken = await queries.entered(contest_id, ids)  # entered by someone else a moment ago
        if taken:
            raise ValidationError(
                {"member_ids": Msg("{name} has already entered this contest.", name=taken[0])}
            )
        number = await queries.entry_count(contest_id) + 1
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


async def record_figure(
    viewer: Viewer, contest_id: int, entry_id: int, criterion_id: int, figure: Decimal
) -> None:
    """A measured figure (sales, viewers, orders), entered once by an organizer."""
    contest = await contest_for_edit(viewer, contest_id)
    await get_entry(viewer, contest_id, entry_id)
    if contest.locked:
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
