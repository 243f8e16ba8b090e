"""Contest rules against the real database: set-up, entries, judges' sheets, locking."""

import datetime as dt
from decimal import Decimal as D

import pytest

from coop.accounts.domain import Role
from coop.audit.domain import recent
from coop.contests import domain as contests
from coop.contests.tables import Contest, Score
from coop.members import domain as members
from coop.validation import Forbidden, Msg, NotFound, ValidationError
from tests.factories import make_contest, make_member, make_user, viewer


async def _approved(who, tree, name: str, **place) -> int:
    member_id = await make_member(who["village"], tree, name, backbone=True, **place)
    await members.approve(who["federation"], [member_id])
    return member_id


async def _contest_in_judging(who, tree, names=("甲", "乙", "丙"), judges=1, **changes):
    """A contest with entries by approved members, a panel, and judging open."""
    contest_id = await make_contest(who["federation"], tree, **changes)
    await contests.advance(who["federation"], contest_id)  # entries open
    entry_ids = []
    for name in names:
        member_id = await _approved(who, tree, name)
        entry_ids.append(
            await contests.enter(
                who["village"], contest_id, contests.EntryInput([member_id], f"{name}的直播间")
            )
        )
    panel = [who["judge"]]
    for n in range(judges - 1):
        panel.append(await viewer(await make_user(f"judge{n + 2}", Role.judge)))
    for judge in panel:
        await contests.add_judge(who["federation"], contest_id, judge.id)
    await contests.advance(who["federation"], contest_id)  # judging
    scheme = await contests.criteria(contest_id)
    return contest_id, entry_ids, panel, [c["id"] for c in scheme]


async def _score_all(contest_id, entry_ids, judge, criteria, table):
    for entry_id, values in zip(entry_ids, table, strict=True):
        await contests.save_scores(
            judge, contest_id, entry_id, dict(zip(criteria, map(D, values), strict=True)), {}
        )


async def test_locked_results_rank_and_award_by_the_weighted_total(world):
    tree, who = world
    contest_id, entries, [judge], criteria = await _contest_in_judging(who, tree)
    await _score_all(contest_id, entries, judge, criteria, [(30, 50), (40, 55.5), (10, 20)])
    await contests.submit_sheet(judge, contest_id)
    assert await contests.advance(who["federation"], contest_id) == "locked"
    sheet = await contests.results_sheet(who["federation"], contest_id)
    assert [
        (row["entry"]["title"], row["result"].total, row["result"].rank, row["result"].award)
        for row in sheet.rows
    ] == [
        ("乙的直播间", D("95.50"), 1, "一等奖"),
        ("甲的直播间", D("80.00"), 2, "二等奖"),
        ("丙的直播间", D("30.00"), 3, "二等奖"),
    ]


async def test_trimmed_mean_needs_five_judges(world):
    tree, who = world
    contest_id, [entry], panel, criteria = await _contest_in_judging(
        who, tree, names=("甲",), judges=5, trimmed_mean=True
    )
    for judge, knowledge in zip(panel, (0, 30, 31, 32, 40), strict=True):
        await contests.save_scores(judge, contest_id, entry, {criteria[0]: D(knowledge)}, {})
    sheet = await contests.results_sheet(who["federation"], contest_id)
    assert sheet.rows[0]["result"].points[criteria[0]] == D("31.00")


async def test_scheme_and_panel_are_frozen_once_judging_opens(world):
    tree, who = world
    contest_id, _, _, criteria = await _contest_in_judging(who, tree)
    with pytest.raises(ValidationError):
        await contests.save_criterion(
            who["federation"], contest_id, contests.CriterionInput("新项", D(10), D(10), "judged")
        )
    with pytest.raises(ValidationError):
        await contests.delete_criterion(who["federation"], contest_id, criteria[0])
    with pytest.raises(ValidationError):
        await contests.add_judge(who["federation"], contest_id, who["admin"].id)
    assert len(await contests.criteria(contest_id)) == 2


async def test_judging_cannot_open_unless_the_weights_add_up_to_100(world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.save_criterion(
        who["federation"], contest_id, contests.CriterionInput("附加", D(5), D(5), "judged")
    )
    await contests.advance(who["federation"], contest_id)
    with pytest.raises(ValidationError) as refused:
        await contests.advance(who["federation"], contest_id)
    assert refused.value.errors["scheme"].params == {"total": "105"}
    assert set(refused.value.errors) == {"scheme", "judges", "entries"}


@pytest.mark.parametrize("kind", ["applicant", "far", "twice"])
async def test_entry_needs_a_member_in_good_standing_once(world, kind):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.advance(who["federation"], contest_id)
    if kind == "applicant":
        member_id = await make_member(who["village"], tree, "申请人")
    elif kind == "far":
        member_id = await make_member(
            who["admin"], tree, "远方", cooperative=tree.far_cooperative, village=tree.far_village
        )
        await members.approve(who["admin"], [member_id])
    else:
        member_id = await _approved(who, tree, "甲")
        await contests.enter(who["admin"], contest_id, contests.EntryInput([member_id], "一"))
    with pytest.raises(ValidationError) as refused:
        await contests.enter(who["admin"], contest_id, contests.EntryInput([member_id], "二"))
    assert list(refused.value.errors) == ["member_ids"]


async def test_team_entries_take_two_to_five_members(world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree, allow_teams=True)
    await contests.advance(who["federation"], contest_id)
    team = [await _approved(who, tree, name) for name in ("甲", "乙", "丙", "丁", "戊", "己")]
    with pytest.raises(ValidationError):
        await contests.enter(who["federation"], contest_id, contests.EntryInput(team, "六人"))
    entry = await contests.enter(who["federation"], contest_id, contests.EntryInput(team[:3], "队"))
    row = await contests.get_entry(who["federation"], contest_id, entry)
    assert row["names"] == "甲、乙、丙"


async def test_entries_outside_their_window_are_refused(world):
    tree, who = world
    contest_id = await make_contest(
        who["federation"], tree, entries_close_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    )
    await contests.advance(who["federation"], contest_id)
    member_id = await _approved(who, tree, "甲")
    with pytest.raises(ValidationError) as refused:
        await contests.enter(who["federation"], contest_id, contests.EntryInput([member_id], "晚"))
    assert list(refused.value.errors) == ["contest"]


async def test_a_retried_save_is_one_score_and_a_stale_page_cannot_overwrite(world):
    tree, who = world
    contest_id, [entry], [judge], criteria = await _contest_in_judging(who, tree, names=("甲",))
    first = {criteria[0]: D("30.5")}
    await contests.save_scores(judge, contest_id, entry, first, {})
    await contests.save_scores(judge, contest_id, entry, first, {})  # the retry
    saved = await contests.save_scores(
        judge, contest_id, entry, {criteria[0]: D(32)}, {criteria[0]: 1}
    )
    assert saved == {criteria[0]: contests.OwnScore(D("32.00"), 2)}
    with pytest.raises(ValidationError) as refused:  # an older page, still showing version 1
        await contests.save_scores(judge, contest_id, entry, {criteria[0]: D(20)}, {criteria[0]: 1})
    assert refused.value.errors == {f"score_{criteria[0]}": contests.STALE_SCORE}
    rows = await Score.select(Score.score, Score.version).run()
    assert [(D(str(r["score"])), r["version"]) for r in rows] == [(D(32), 2)]


@pytest.mark.parametrize("value", ["40.01", "-1", "1.234"])
def test_bad_scores_are_refused_with_a_message(value):
    errors = {}
    assert contests.parse_score(errors, "score_1", value, D(40)) is None
    assert list(errors) == ["score_1"]


def test_non_numeric_score_is_refused():
    errors = {}
    contests.parse_score(errors, "s", "十分", D(40))
    assert errors["s"].text == "Enter a number."


async def test_a_judge_sees_only_their_own_scores_and_panels(world):
    tree, who = world
    contest_id, [entry], panel, criteria = await _contest_in_judging(
        who, tree, names=("甲",), judges=2
    )
    await contests.save_scores(panel[0], contest_id, entry, {criteria[0]: D(10)}, {})
    seen = await contests.entry_scores(panel[1], contest_id, entry)
    assert seen.scores == {}
    outsider = await viewer(await make_user("judge9", Role.judge))
    with pytest.raises(NotFound):
        await contests.judge_sheet(outsider, contest_id)
    assert await contests.contests(outsider) == []


async def test_a_submitted_sheet_is_final_until_the_organizer_reopens_it(world):
    tree, who = world
    contest_id, entries, [judge], criteria = await _contest_in_judging(who, tree, names=("甲",))
    with pytest.raises(ValidationError):  # not every entry scored yet
        await contests.submit_sheet(judge, contest_id)
    await _score_all(contest_id, entries, judge, criteria, [(30, 40)])
    await contests.submit_sheet(judge, contest_id)
    with pytest.raises(ValidationError):
        await contests.save_scores(judge, contest_id, entries[0], {criteria[0]: D(31)}, {})
    await contests.reopen_sheet(who["federation"], contest_id, judge.id)
    await contests.save_scores(
        judge, contest_id, entries[0], {criteria[0]: D(31)}, {criteria[0]: 1}
    )
    assert "reopen_sheet" in [e["action"] for e in await recent(20)]


async def test_nothing_changes_after_results_are_locked(world):
    tree, who = world
    contest_id, entries, [judge], criteria = await _contest_in_judging(who, tree, names=("甲",))
    await _score_all(contest_id, entries, judge, criteria, [(30, 40)])
    await contests.submit_sheet(judge, contest_id)
    await contests.advance(who["federation"], contest_id)
    with pytest.raises(ValidationError):
        await contests.save_scores(judge, contest_id, entries[0], {criteria[0]: D(1)}, {})
    with pytest.raises(ValidationError):
        await contests.reopen_sheet(who["federation"], contest_id, judge.id)
    contest = await contests.get_contest(who["federation"], contest_id)
    data = contests.ContestInput(
        contest.title,
        "",
        tree.federation,
        None,
        None,
        None,
        None,
        False,
        False,
        [("一等奖", 5)],
        True,
        contest.version,
    )
    with pytest.raises(ValidationError):
        await contests.save_contest(who["federation"], data, contest_id)


async def test_published_results_show_names_and_places_only(world):
    tree, who = world
    contest_id, entries, [judge], criteria = await _contest_in_judging(who, tree, names=("甲",))
    await _score_all(contest_id, entries, judge, criteria, [(30, 40)])
    await contests.submit_sheet(judge, contest_id)
    await contests.advance(who["federation"], contest_id)
    [slug] = await Contest.select(Contest.slug).output(as_list=True)
    with pytest.raises(NotFound):  # locked, not yet published
        await contests.public_results(slug)
    await contests.advance(who["federation"], contest_id)
    public = await contests.public_results(slug)
    assert public["rows"] == [
        {
            "rank": 1,
            "total": D("70.00"),
            "award": "一等奖",
            "title": "甲的直播间",
            "names": "甲",
            "villages": "蔡家寺村",
            "cooperatives": "蔡家寺村“黑黑黑”合作社",
        }
    ]


async def test_measured_figure_converts_linearly_to_the_best_entry(world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    criteria = await contests.criteria(contest_id)
    await contests.delete_criterion(who["federation"], contest_id, criteria[1]["id"])
    sales = await contests.save_criterion(
        who["federation"],
        contest_id,
        contests.CriterionInput("销售额", D(60), D(60), "measured", unit="元"),
    )
    await contests.advance(who["federation"], contest_id)
    ids = []
    for name in ("甲", "乙"):
        member_id = await _approved(who, tree, name)
        ids.append(
            await contests.enter(
                who["federation"], contest_id, contests.EntryInput([member_id], name)
            )
        )
    for entry_id, figure in zip(ids, (D(3000), D(12000)), strict=True):
        await contests.record_figure(who["federation"], contest_id, entry_id, sales, figure)
    sheet = await contests.results_sheet(who["federation"], contest_id)
    assert {row["entry"]["title"]: row["result"].points[sales] for row in sheet.rows} == {
        "乙": D("60.00"),
        "甲": D("15.00"),
    }


async def test_scoring_outside_the_judging_window_is_refused(world):
    tree, who = world
    closed = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    contest_id, [entry], [judge], criteria = await _contest_in_judging(
        who, tree, names=("甲",), judging_close_at=closed
    )
    with pytest.raises(ValidationError) as refused:
        await contests.save_scores(judge, contest_id, entry, {criteria[0]: D(10)}, {})
    assert list(refused.value.errors) == ["scores"]
    assert await Score.count() == 0


async def test_results_cannot_be_locked_while_a_sheet_is_still_open(world):
    tree, who = world
    contest_id, entries, [judge], criteria = await _contest_in_judging(who, tree, names=("甲",))
    await _score_all(contest_id, entries, judge, criteria, [(30, 40)])
    with pytest.raises(ValidationError) as refused:
        await contests.advance(who["federation"], contest_id)
    assert refused.value.errors["status"].params == {"names": "Judge"}
    assert (await contests.get_contest(who["federation"], contest_id)).status == "judging"


async def test_an_organizer_on_the_panel_cannot_read_the_results_sheet_before_lock(world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.add_judge(who["federation"], contest_id, who["village"].id)
    with pytest.raises(Forbidden):
        await contests.results_sheet(who["village"], contest_id)


async def test_a_save_with_another_judges_sheet_is_refused(world):
    tree, who = world
    contest_id, [entry], panel, criteria = await _contest_in_judging(
        who, tree, names=("甲",), judges=2
    )
    theirs = await contests.entry_scores(panel[1], contest_id, entry)
    with pytest.raises(ValueError):
        await contests.save_scores(
            panel[0], contest_id, entry, {criteria[0]: D(10)}, {}, sheet=theirs
        )
    assert await Score.count() == 0


def test_scores_read_full_width_digits_and_refuse_other_scripts():
    errors = {}
    assert contests.parse_score(errors, "s", "８.５", D(10)) == D("8.5")
    assert contests.parse_score(errors, "s", "٨.٥", D(10)) is None  # Arabic-Indic 8.5
    assert contests.parse_score(errors, "t", "8e0", D(10)) is None
    assert errors == {"s": Msg("Enter a number."), "t": Msg("Enter a number.")}


async def test_advance_from_a_stale_page_moves_nothing(world):
    tree, who = world
    contest_id = await make_contest(who["federation"], tree)
    await contests.advance(who["federation"], contest_id, expected="draft")
    with pytest.raises(ValidationError) as refused:
        await contests.advance(who["federation"], contest_id, expected="draft")
    assert refused.value.errors["status"].text == (
        "This step was already taken; nothing more was done."
    )
    assert (await contests.get_contest(who["federation"], contest_id)).status == "entries_open"
