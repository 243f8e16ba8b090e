import datetime as dt
import os
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from coop.access import today
from coop.contests import domain as contests
from coop.home.controllers import home_page
from coop.members import domain as members
from tests.factories import (
    make_contest,
    make_member,
    make_role_users,
    make_tree,
    sign_in,
    viewer,
)


async def test_healthz_names_engine_and_current_migrations(client, settings):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "engine": settings.engine_name,
        "migrations_current": True,
        "pending_migrations": [],
    }


async def test_home_redirects_to_sign_in_when_signed_out(client):
    response = await client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/")


async def test_village_organizer_home_lists_only_their_cooperative(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "village")
    page = await client.get("/")
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert "蔡家寺村“黑黑黑”合作社" in page.text
    assert "文石村蔬菜专业合作社" not in page.text
    assert "桂花村果蔬合作社" not in page.text


async def test_htmx_request_after_the_session_ended_loads_the_sign_in_page(client):
    response = await client.get(
        "/members/?q=zs", headers={"hx-request": "true", "hx-target": "div#results"}
    )
    assert (response.status_code, response.headers["hx-redirect"]) == (
        200,
        "/login?next=/members%3Fq%3Dzs",
    )


async def test_admin_downloads_the_audit_log_and_the_download_is_audited(client):
    await make_role_users(await make_tree())
    await sign_in(client, "admin")
    answer = await client.get("/audit.csv")
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "时间,操作人,操作,对象,详情"
    assert lines[-1].split(",")[1:3] == ["admin", "export"]


async def test_home_greets_with_the_day_in_china_not_the_servers_day():
    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await viewer(users["admin"])
    # 17:30 on 1 March in London is already 2 March in Chongqing
    evening = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)
    assert (await home_page(admin, evening))["today"] == dt.date(2026, 3, 2)


@pytest.fixture
def server_clock_away_from_china():
    """The server's clock zone set where today is another day than in China."""
    china_hour = dt.datetime.now(ZoneInfo("Asia/Shanghai")).hour
    zone = "Etc/GMT+12" if china_hour < 20 else "Etc/GMT-14"  # 20 h behind, or 6 h ahead
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


async def test_home_page_shows_todays_date_in_china(client, server_clock_away_from_china):
    assert dt.date.today() != today()
    await make_role_users(await make_tree())
    await sign_in(client, "admin")
    page = await client.get("/", headers={"accept-language": "en"})
    assert f"Today is {format_date(today(), 'full', locale='en')}." in page.text


async def test_judge_home_lists_the_contest_in_judging_with_their_progress(client):
    tree = await make_tree()
    users = await make_role_users(tree)
    federation, village, judge = (
        await viewer(users["federation"]),
        await viewer(users["village"]),
        await viewer(users["judge"]),
    )
    contest_id = await make_contest(federation, tree)
    await contests.add_judge(federation, contest_id, judge.id)
    await contests.advance(federation, contest_id)
    entries = []
    for name in ("张三", "李四"):
        member_id = await make_member(village, tree, name, backbone=True)
        await members.approve(federation, [member_id])
        entries.append(
            await contests.enter(village, contest_id, contests.EntryInput([member_id], name))
        )
    await contests.advance(federation, contest_id)
    criteria = [c["id"] for c in await contests.criteria(contest_id)]
    await contests.save_scores(
        judge, contest_id, entries[0], dict.fromkeys(criteria, Decimal(30)), {}
    )
    await sign_in(client, "judge")
    page = await client.get("/")
    assert f'href="/judging/{contest_id}"' in page.text
    assert "已评 1 / 2" in page.text
    assert "目前没有分配给您评分的竞赛。" not in page.text


async def test_judge_home_says_there_is_nothing_to_score_when_on_no_panel(client):
    await make_role_users(await make_tree())
    await sign_in(client, "judge")
    page = await client.get("/")
    assert "目前没有分配给您评分的竞赛。" in page.text
