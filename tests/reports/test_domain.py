"""Dashboard figures against the real database: counts in scope, months, places, events."""

import datetime as dt
from decimal import Decimal as D

import pytest

from coop.contests import domain as contests
from coop.members import domain as members
from coop.members.tables import Member
from coop.reports import domain as reports
from coop.trainings import domain as trainings
from coop.trainings.tables import TrainingSession
from coop.validation import Forbidden, NotFound
from tests.factories import make_contest, make_member, make_session, registrant


async def _approved(who, tree, name: str, backbone: bool = True, **place) -> int:
    member_id = await make_member(who["admin"], tree, name, backbone=backbone, **place)
    await members.approve(who["admin"], [member_id])
    return member_id


async def _far(who, tree, name: str, **changes) -> int:
    place = {"cooperative": tree.far_cooperative, "village": tree.far_village}
    return await _approved(who, tree, name, **place, **changes)


async def test_dashboard_counts_only_members_in_scope(world):
    tree, who = world
    await _approved(who, tree, "甲")  # first batch: backbone, approved while backbone-first
    await _approved(who, tree, "乙", cooperative=tree.other_cooperative, village=tree.other_village)
    await make_member(who["admin"], tree, "丙")  # an applicant
    await _far(who, tree, "丁")
    figures = {
        role: (await reports.dashboard(who[role])).members
        for role in ("admin", "federation", "village")
    }
    assert {
        role: (f["members"], f["applicants"], f["backbone"]) for role, f in figures.items()
    } == {
        "admin": (3, 1, 3),
        "federation": (2, 1, 2),
        "village": (1, 1, 1),
    }
    assert figures["federation"]["first_batch"] == 2
    assert figures["federation"]["welcome_packs_pending"] == 2


async def test_judge_cannot_open_the_dashboard(world):
    _, who = world
    with pytest.raises(Forbidden):
        await reports.dashboard(who["judge"])


async def test_admin_narrowed_to_a_federation_counts_only_that_federation(world):
    tree, who = world
    await _approved(who, tree, "甲")
    await _far(who, tree, "丁")
    await _far(who, tree, "戊")
    board = await reports.dashboard(who["admin"], tree.far_federation)
    assert (board.union["id"], board.members["members"]) == (tree.far_federation, 2)
    town = await reports.dashboard(who["admin"], tree.town)
    assert town.members["members"] == 1
    district = await reports.dashboard(who["admin"], tree.district)
    assert district.members["members"] == 3


async def test_dashboard_of_a_union_outside_the_viewers_is_not_found(world):
    tree, who = world
    with pytest.raises(NotFound):
        await reports.dashboard(who["federation"], tree.far_federation)
    with pytest.raises(NotFound):
        await reports.dashboard(who["federation"], tree.town)
    with pytest.raises(NotFound):
        await reports.dashboard(who["village"], tree.federation)


async def test_enrollment_by_month_counts_join_dates_of_the_last_twelve_months(world):
    tree, who = world
    joined = {
        "甲": dt.date(2025, 3, 31),  # before the window: only in the running total
        "乙": dt.date(2025, 12, 1),
        "丙": dt.date(2025, 12, 31),
        "丁": dt.date(2026, 11, 15),
    }
    for name, day in joined.items():
        member_id = await _approved(who, tree, name)
        await Member.update({Member.join_date: day}).where(Member.id == member_id).run()
    await _far(who, tree, "戊")  # out of the federation's scope
    months = await reports.enrollment_by_month(who["federation"].scope, dt.date(2026, 11, 30))
    assert len(months) == 12
    assert months[0] == (dt.date(2025, 12, 1), 2, 3)
    assert months[-1] == (dt.date(2026, 11, 1), 1, 4)
    assert [n for _, n, _ in months[1:-1]] == [0] * 10


async def test_members_by_village_and_cooperative_most_members_first(world):
    tree, who = world
    await _approved(who, tree, "甲")
    await _approved(who, tree, "乙", cooperative=tree.other_cooperative, village=tree.other_village)
    await _approved(who, tree, "丙", cooperative=tree.other_cooperative, village=tree.other_village)
    await make_member(who["admin"], tree, "丁")  # applicant in 蔡家寺村
    await _far(who, tree, "戊")
    scope = who["federation"].scope
    villages = await reports.members_by_village(scope)
    assert [(v["name"], v["members"], v["applicants"]) for v in villages] == [
        ("文石村", 2, 0),
        ("蔡家寺村", 1, 1),
    ]
    cooperatives = await reports.members_by_cooperative(scope)
    assert [(c["id"], c["members"]) for c in cooperatives] == [
        (tree.other_cooperative, 2),
        (tree.cooperative, 1),
    ]


async def _held_session(who, programme_id: int, people: list) -> int:
    """A session marked as held, with these registrants checked in."""
    session_id = await make_session(who["admin"], programme_id)
    session = await trainings.get_session(who["admin"], session_id)
    for person in people:
        done = await trainings.register(session, person)
        await trainings.check_in(who["admin"], done.registration_id)
    await (
        TrainingSession.update({TrainingSession.status: TrainingSession.Status.held.value})
        .where(TrainingSession.id == session_id)
        .run()
    )
    return session_id


async def test_training_figures_match_the_programme_page_for_union_admins(world):
    tree, who = world
    programme = await trainings.save_programme(
        who["admin"], trainings.ProgrammeInput("新农人孵化培养计划", "", tree.district)
    )
    here, far = registrant(tree, "甲"), registrant(tree, "乙", village_id=tree.far_village)
    await _held_session(who, programme, [here, far])
    await _held_session(who, programme, [registrant(tree, "丙")])
    await make_session(who["admin"], programme)  # ahead: not held
    [row] = await reports.training_figures(who["admin"].scope)
    totals = await trainings.programme_totals(who["admin"], programme)
    assert (row["sessions_held"], row["person_times"]) == (2, 3)
    assert (row["sessions_held"], row["person_times"]) == (
        totals["sessions_held"],
        totals["person_times"],
    )


async def test_training_person_times_count_only_people_in_scope(world):
    tree, who = world
    programme = await trainings.save_programme(
        who["admin"], trainings.ProgrammeInput("新农人孵化培养计划", "", tree.district)
    )
    await _held_session(
        who,
        programme,
        [
            registrant(tree, "甲"),
            registrant(tree, "乙", village_id=tree.other_village),
            registrant(tree, "丙", village_id=tree.far_village),
        ],
    )
    counted = {
        role: [
            (r["sessions_held"], r["person_times"])
            for r in await reports.training_figures(who[role].scope)
        ]
        for role in ("admin", "federation", "village")
    }
    assert counted == {"admin": [(1, 3)], "federation": [(1, 2)], "village": [(1, 1)]}


async def test_contest_entries_and_awards_count_members_in_scope(world):
    tree, who = world
    contest_id = await make_contest(
        who["admin"], tree, union_id=tree.district, award_tiers=[("一等奖", 1)]
    )
    await contests.advance(who["admin"], contest_id)  # entries open
    entrants = [
        await _approved(who, tree, "甲"),
        await _approved(
            who, tree, "乙", cooperative=tree.other_cooperative, village=tree.other_village
        ),
        await _far(who, tree, "丙"),
    ]
    entries = [
        await contests.enter(who["admin"], contest_id, contests.EntryInput([m], "直播间"))
        for m in entrants
    ]
    await contests.add_judge(who["admin"], contest_id, who["judge"].id)
    await contests.advance(who["admin"], contest_id)  # judging
    criteria = [c["id"] for c in await contests.criteria(contest_id)]
    for entry_id, scores in zip(entries, [(40, 60), (10, 10), (20, 20)], strict=True):
        await contests.save_scores(
            who["judge"], contest_id, entry_id, dict(zip(criteria, map(D, scores), strict=True)), {}
        )
    await contests.submit_sheet(who["judge"], contest_id)
    assert await contests.advance(who["admin"], contest_id) == "locked"
    counted = {
        role: [(c["entries"], c["awards"]) for c in await reports.contest_figures(who[role].scope)]
        for role in ("admin", "federation", "village")
    }
    assert counted == {"admin": [(3, 1)], "federation": [(2, 1)], "village": [(1, 1)]}
