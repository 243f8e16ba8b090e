"""The contest arithmetic on its own: Decimal in, Decimal out."""

from decimal import Decimal as D

import pytest

from coop.contests.scoring import (
    Criterion,
    EntryScores,
    judged_points,
    measured_points,
    results,
    weighted_total,
)

KNOWLEDGE = Criterion(1, "产品知识", D(20), D(20))
PRESENTATION = Criterion(2, "直播表现", D(30), D(30))
SALES = Criterion(3, "销售额", D(50), D(50), measured=True)
TIERS = [("一等奖", 1), ("二等奖", 2), ("三等奖", 3), ("优秀奖", None)]


def _entry(entry_id, knowledge, presentation=None, sales=None) -> EntryScores:
    judged = {1: dict(enumerate(knowledge, start=1))}
    if presentation is not None:
        judged[2] = dict(enumerate(presentation, start=1))
    return EntryScores(entry_id, judged, {3: D(sales)} if sales is not None else {})


def test_mean_rounds_half_up_to_two_places():
    assert judged_points([D("10"), D("10"), D("10.01")], trimmed=False) == D("10.00")
    assert judged_points([D("1"), D("2"), D("2")], trimmed=False) == D("1.67")
    assert judged_points([D("0.005")], trimmed=False) == D("0.01")


def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five_judges():
    five = [D(2), D(15), D(16), D(17), D(20)]
    assert judged_points(five, trimmed=True) == D("16.00")
    assert judged_points(five, trimmed=False) == D("14.00")
    assert judged_points(five[:4], trimmed=True) == D("12.50")  # four judges: plain mean


def test_measured_figure_is_linear_to_the_best_entry():
    assert measured_points(SALES, D(3000), best=D(12000)) == D("12.50")
    assert measured_points(SALES, D(12000), best=D(12000)) == D("50.00")
    assert measured_points(SALES, None, best=D(12000)) == D(0)


def test_measured_figure_by_thresholds_takes_the_highest_reached():
    orders = Criterion(
        4,
        "订单数",
        D(30),
        D(30),
        measured=True,
        linear=False,
        thresholds=((D(10), D(10)), (D(50), D(20)), (D(100), D(30))),
    )
    assert [measured_points(orders, D(n), best=D(0)) for n in (5, 10, 99, 500)] == [
        D(0),
        D("10.00"),
        D("20.00"),
        D("30.00"),
    ]


def test_total_weights_each_criterion_by_its_maximum():
    criteria = [Criterion(1, "a", D(10), D(40)), Criterion(2, "b", D(100), D(60))]
    assert weighted_total(criteria, {1: D("7.5"), 2: D("33.33")}) == D("50.00")


def test_ranking_breaks_ties_by_the_declared_criterion_then_shares():
    entries = [
        _entry(1, [D(10)], [D(20)]),  # 30: 10 + 20
        _entry(2, [D(15)], [D(15)]),  # 30: more knowledge
        _entry(3, [D(15)], [D(15)]),  # 30: same as 2 in every way
        _entry(4, [D(5)], [D(5)]),
    ]
    found = results(
        [KNOWLEDGE, PRESENTATION],
        entries,
        [1],
        trimmed=False,
        tie_breaks=[1],
        tiers=TIERS,
        ties_go_up=True,
    )
    assert [(r.entry_id, r.total, r.rank) for r in found] == [
        (2, D("30.00"), 1),
        (3, D("30.00"), 1),
        (1, D("30.00"), 3),
        (4, D("10.00"), 4),
    ]


def test_measured_tie_break_compares_the_raw_figure():
    entries = [_entry(1, [D(10)], sales=900), _entry(2, [D(10)], sales=1000)]
    criteria = [
        KNOWLEDGE,
        Criterion(
            3, "销售额", D(50), D(50), measured=True, linear=False, thresholds=((D(500), D(50)),)
        ),
    ]
    found = results(
        criteria, entries, [1], trimmed=False, tie_breaks=[3], tiers=TIERS, ties_go_up=True
    )
    assert [(r.entry_id, r.rank) for r in found] == [(2, 1), (1, 2)]


@pytest.mark.parametrize(
    ("ties_go_up", "awards"),
    [
        (True, ["一等奖", "一等奖", "二等奖", "二等奖", "三等奖", "三等奖", "三等奖"]),
        (False, ["二等奖", "二等奖", "三等奖", "三等奖", "三等奖", "优秀奖", "优秀奖"]),
    ],
)
def test_a_tie_on_a_tiers_last_place_follows_the_declared_rule(ties_go_up, awards):
    scores = [18, 18, 15, 12, 11, 10, 3]
    entries = [_entry(n, [D(s)]) for n, s in enumerate(scores, start=1)]
    found = results(
        [KNOWLEDGE], entries, [1], trimmed=False, tie_breaks=[], tiers=TIERS, ties_go_up=ties_go_up
    )
    assert [r.award for r in found] == awards


def test_entries_without_points_get_no_award():
    entries = [_entry(1, [D(10)]), _entry(2, [D(0)])]
    for tiers in (TIERS, [("优秀奖", None)]):
        found = results(
            [KNOWLEDGE], entries, [1], trimmed=False, tie_breaks=[], tiers=tiers, ties_go_up=True
        )
        assert [r.award for r in found] == [tiers[0][0], ""]


def test_flags_missing_scores_and_a_score_far_from_the_others():
    entries = [_entry(1, [D(15), D(16), D(2)]), EntryScores(2, {1: {1: D(10), 2: D(11)}})]
    found = results(
        [KNOWLEDGE], entries, [1, 2, 3], trimmed=False, tie_breaks=[], tiers=TIERS, ties_go_up=True
    )
    flags = {r.entry_id: (r.missing, r.far) for r in found}
    assert flags == {1: ([], [(1, 3)]), 2: ([1], [])}
