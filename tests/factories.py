"""Factories: real rows in the real database, made through the domain functions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from httpx import Response

from coop.accounts import domain as accounts
from coop.audit.domain import Actor
from coop.orgs import domain as orgs
from coop.orgs.tables import Union

PASSWORD = "correct horse 42"
ACTOR = Actor(None, "tests")
EVERYTHING = orgs.Scope(everything=True, can_manage=True)


@dataclass
class Tree:
    """Two towns, each with one federation, villages and cooperatives."""

    district: int
    town: int
    federation: int
    village: int
    cooperative: int
    other_village: int
    other_cooperative: int  # same federation, another village
    far_town: int
    far_federation: int
    far_village: int
    far_cooperative: int  # another town's federation


async def make_tree() -> Tree:
    district = await orgs.create_union(ACTOR, "巴南区总工会", Union.Level.district, None)
    town = await orgs.create_union(ACTOR, "姜家镇总工会", Union.Level.town, district)
    federation = await orgs.save_federation(
        EVERYTHING, ACTOR, orgs.FederationInput("“姜家黑”产业工会联合会", town, dt.date(2022, 6, 1))
    )
    village = await orgs.save_village(EVERYTHING, ACTOR, orgs.VillageInput("蔡家寺村", town))
    other_village = await orgs.save_village(EVERYTHING, ACTOR, orgs.VillageInput("文石村", town))
    cooperative = await orgs.save_cooperative(
        EVERYTHING,
        ACTOR,
        orgs.CooperativeInput(
            "蔡家寺村“黑黑黑”合作社", federation, village, ["黑猪", "黑玉米", "黑豆", "黑米"]
        ),
    )
    other_cooperative = await orgs.save_cooperative(
        EVERYTHING,
        ACTOR,
        orgs.CooperativeInput("文石村蔬菜专业合作社", federation, other_village, ["辣椒"]),
    )
    far_town = await orgs.create_union(ACTOR, "界石镇总工会", Union.Level.town, district)
    far_federation = await orgs.save_federation(
        EVERYTHING, ACTOR, orgs.FederationInput("“界石果蔬”产业工会联合会", far_town)
    )
    far_village = await orgs.save_village(EVERYTHING, ACTOR, orgs.VillageInput("桂花村", far_town))
    far_cooperative = await orgs.save_cooperative(
        EVERYTHING,
        ACTOR,
        orgs.CooperativeInput("桂花村果蔬合作社", far_federation, far_village, ["枇杷"]),
    )
    return Tree(
        district,
        town,
        federation,
        village,
        cooperative,
        other_village,
        other_cooperative,
        far_town,
        far_federation,
        far_village,
        far_cooperative,
    )


async def make_user(
    username: str,
    role: accounts.Role,
    *,
    federation_id: int | None = None,
    cooperative_ids: list[int] | None = None,
    village_ids: list[int] | None = None,
) -> int:
    return await accounts.save_user(
        accounts.command_line_viewer(),
        accounts.UserInput(
            username=username,
            display_name=username.title(),
            role=role,
            federation_id=federation_id,
            cooperative_ids=cooperative_ids or [],
            village_ids=village_ids or [],
            password=PASSWORD,
        ),
    )


async def make_role_users(tree: Tree) -> dict[str, int]:
    """One user per role: admin, federation organizer, village organizer, judge."""
    return {
        "admin": await make_user("admin", accounts.Role.union_admin),
        "federation": await make_user(
            "federation", accounts.Role.federation_organizer, federation_id=tree.federation
        ),
        "village": await make_user(
            "village", accounts.Role.village_organizer, cooperative_ids=[tree.cooperative]
        ),
        "judge": await make_user("judge", accounts.Role.judge),
    }


def csrf_token(page: Response) -> str:
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, "page has no form token"
    return match.group(1)


async def sign_in(client, username: str, password: str = PASSWORD) -> Response:
    page = await client.get("/login")
    return await client.post(
        "/login",
        data={"username": username, "password": password, "_csrf_token": csrf_token(page)},
    )


async def post_form(client, url: str, data: dict, form_url: str | None = None) -> Response:
    """Open the form page (for its token), then post it, as a browser would."""
    page = await client.get(form_url or url)
    return await client.post(
        url, data={**data, "_csrf_token": csrf_token(page)}, follow_redirects=False
    )


_sequence = iter(range(1, 10**6))


def resident_id(birth: dt.date = dt.date(1985, 3, 12), area: str = "500113") -> str:
    from coop.members.identity import make_resident_id

    return make_resident_id(area, birth, next(_sequence))


def mobile() -> str:
    return f"139{next(_sequence):08d}"


async def viewer(user_id: int) -> accounts.Viewer:
    found = await accounts.viewer_for(user_id)
    assert found is not None
    return found


async def make_member(
    by: accounts.Viewer,
    tree: Tree,
    name: str = "张三",
    *,
    backbone: bool = False,
    cooperative: int | None = None,
    village: int | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    recruited_by: int | None = None,
) -> int:
    from coop.members import domain as members

    return await members.enroll(
        by,
        members.EnrollmentInput(
            name=name,
            resident_id=id_number or resident_id(),
            phone=phone or mobile(),
            cooperative_id=cooperative or tree.cooperative,
            village_id=village or tree.village,
            is_backbone=backbone,
            recruited_by_id=recruited_by,
        ),
    )


async def make_programme(by: accounts.Viewer, tree: Tree, title: str = "新农人孵化培养计划") -> int:
    from coop.trainings import domain as trainings

    return await trainings.save_programme(
        by, trainings.ProgrammeInput(title=title, description="", union_id=tree.federation)
    )


async def make_session(
    by: accounts.Viewer, programme_id: int, *, topic: str = "直播带货基础知识", **changes
) -> int:
    """An open session a week from now, 50 seats, members and non-members welcome."""
    from coop.trainings import domain as trainings

    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7)
    data = trainings.SessionInput(
        topic=topic,
        trainer="王老师",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        place="蔡家寺村村委会",
        online_link="",
        capacity=50,
        audience="anyone",
        status="open",
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return await trainings.create_session(by, programme_id, data)


def registrant(tree: Tree, name: str = "李四", phone: str | None = None, **changes):
    from coop.trainings import domain as trainings

    return trainings.RegistrationInput(
        **{"name": name, "phone": phone or mobile(), "village_id": tree.village, **changes}
    )


async def make_contest(by: accounts.Viewer, tree: Tree, **changes) -> int:
    """A contest of the tree's federation with a two-criterion scheme (knowledge 40, sales 60)."""
    from decimal import Decimal

    from coop.contests import domain as contests

    data = contests.ContestInput(
        title="工会有力量 职工来带货",
        description="",
        union_id=tree.federation,
        entries_open_at=None,
        entries_close_at=None,
        judging_open_at=None,
        judging_close_at=None,
        allow_teams=False,
        trimmed_mean=False,
        award_tiers=[("一等奖", 1), ("二等奖", 2), ("优秀奖", None)],
        ties_go_up=True,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    contest_id = await contests.save_contest(by, data)
    await contests.save_criterion(
        by, contest_id, contests.CriterionInput("产品知识", Decimal(40), Decimal(40), "judged")
    )
    await contests.save_criterion(
        by, contest_id, contests.CriterionInput("直播表现", Decimal(60), Decimal(60), "judged")
    )
    return contest_id
