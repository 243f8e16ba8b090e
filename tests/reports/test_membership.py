"""The 会员增减变动表 on a known history: every cell, the same on both engines."""

import datetime as dt

import pytest

from coop.members.tables import Member, MembershipChange
from coop.reports import membership as report
from coop.validation import ValidationError
from tests.factories import make_member

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


async def _person(who, tree, name, *, sex="M", backbone=False, far=False, migrant=False) -> int:
    place = {"cooperative": tree.far_cooperative, "village": tree.far_village} if far else {}
    member_id = await make_member(who["admin"], tree, name, backbone=backbone, **place)
    await (
        Member.update({Member.sex: sex, Member.migrant_worker: migrant})
        .where(Member.id == member_id)
        .run()
    )
    return member_id


async def _history(member_id: int, union: int, *changes: tuple[str, dt.date]) -> None:
    """Changes written straight into the history: the report reads nothing else."""
    for kind, day in changes:
        await MembershipChange.insert(
            MembershipChange(member=member_id, federation=union, kind=kind, on_date=day)
        ).run()


@pytest.fixture
async def history(world):
    tree, who = world
    here, far = tree.federation, tree.far_federation
    before = dt.date(2025, 5, 1)
    # On the roll before the period: 甲 (woman, backbone), 乙, 丙 (retained in 2025).
    jia = await _person(who, tree, "甲", sex="F", backbone=True)
    await _history(jia, here, ("join", before))
    # 乙 and 己 are migrant workers (农民工).
    yi = await _person(who, tree, "乙", migrant=True)
    await _history(yi, here, ("join", before), ("withdraw", dt.date(2026, 3, 1)))
    bing = await _person(who, tree, "丙", sex="F")
    await _history(bing, here, ("join", before), ("retain", dt.date(2025, 9, 1)))
    # In the period: 丁 joins (woman), 戊 joins then is expelled, 己 comes in from
    # outside, 庚 (backbone) transfers to the far federation, 丙 is restored.
    ding = await _person(who, tree, "丁", sex="F")
    await _history(ding, here, ("join", dt.date(2026, 2, 1)))
    wu = await _person(who, tree, "戊")
    await _history(wu, here, ("join", dt.date(2026, 2, 2)), ("expel", dt.date(2026, 5, 1)))
    ji = await _person(who, tree, "己", migrant=True)
    await _history(ji, here, ("transfer_in", dt.date(2026, 4, 1)))
    geng = await _person(who, tree, "庚", backbone=True)
    await _history(geng, here, ("join", before), ("transfer_out", dt.date(2026, 6, 1)))
    await _history(geng, far, ("transfer_in", dt.date(2026, 6, 1)))
    await _history(bing, here, ("restore", dt.date(2026, 6, 15)))
    # After the period: not counted.
    xin = await _person(who, tree, "辛")
    await _history(xin, here, ("join", dt.date(2026, 7, 2)))
    # Retained in the period at the far federation: 壬 (woman).
    ren = await _person(who, tree, "壬", sex="F", far=True)
    await _history(ren, far, ("join", before), ("retain", dt.date(2026, 2, 1)))
    return tree, who


def _row(**cells) -> dict:
    row = dict.fromkeys(report.COLUMNS, 0)
    return {**row, **cells}


async def test_every_cell_of_the_table_on_a_known_history(history):
    tree, who = history
    table = await report.membership_report(who["admin"], START, END)
    got = {(f.name, g): f.groups[g] for f in table.unions for g in report.GROUPS}
    here, far = "“姜家黑”产业工会联合会", "“界石果蔬”产业工会联合会"
    assert got == {
        (here, "total"): _row(
            start=4,
            joined=2,
            transferred_in=1,
            transferred_out=1,
            expelled=1,
            withdrawn=1,
            end=4,
            new_this_year=2,
        ),
        (here, "women"): _row(start=2, joined=1, end=3, new_this_year=1),
        (here, "backbone"): _row(start=2, transferred_out=1, end=1),
        (here, "migrant"): _row(start=1, transferred_in=1, withdrawn=1, end=1),
        (far, "total"): _row(start=1, transferred_in=1, retained=1, end=2, retained_at_end=1),
        (far, "women"): _row(start=1, retained=1, end=1, retained_at_end=1),
        (far, "backbone"): _row(transferred_in=1, end=1),
        (far, "migrant"): _row(),
    }
    assert table.total.groups["total"] == _row(
        start=5,
        joined=2,
        transferred_in=2,
        transferred_out=1,
        expelled=1,
        withdrawn=1,
        retained=1,
        end=6,
        retained_at_end=1,
        new_this_year=2,
    )


async def test_federation_organizer_sees_only_their_federation(history):
    tree, who = history
    table = await report.membership_report(who["federation"], START, END)
    assert [f.union_id for f in table.unions] == [tree.federation]


async def test_period_ending_before_it_starts_is_refused(history):
    _, who = history
    with pytest.raises(ValidationError) as refused:
        await report.membership_report(who["admin"], END, START)
    assert list(refused.value.errors) == ["end"]


async def test_page_workbook_and_api_show_the_same_figures(client, history):
    from coop.accounts import domain as accounts
    from tests.factories import sign_in

    tree, who = history
    query = f"?start={START.isoformat()}&end={END.isoformat()}"
    token = await accounts.create_api_token("admin", "tests")
    api = await client.get(
        f"/api/v1/reports/membership{query}", headers={"authorization": f"Bearer {token}"}
    )
    await sign_in(client, "admin")
    page = await client.get(f"/reports/membership{query}")
    sheet = await client.get(f"/reports/membership.xlsx{query}")
    assert api.json()["total"]["groups"]["total"]["end"] == 6
    assert (page.status_code, "会员增减变动表" in page.text) == (200, True)
    from python_calamine import CalamineWorkbook

    rows = (
        CalamineWorkbook.from_filelike(__import__("io").BytesIO(sheet.content))
        .get_sheet_by_index(0)
        .to_python()
    )
    assert rows[0][0] == "会员增减变动表"
    assert rows[4][:4] == ["“姜家黑”产业工会联合会", "全体会员", 4.0, 2.0]
    # the sum of all unions: one row per group, everyone first
    assert rows[-len(report.GROUPS)][1:][-10:] == [5.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 6.0, 1.0, 2.0]
