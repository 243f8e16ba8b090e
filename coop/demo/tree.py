"""The demo's union tree (the seed article's district, towns, federations, cooperatives and
villages), one account for each role, and the federation's establishment standard (六有).
"""

from __future__ import annotations

import datetime as dt

from coop.accounts import domain as accounts
from coop.accounts.tables import User
from coop.audit.domain import Actor
from coop.orgs import domain as orgs
from coop.orgs.tables import Cooperative, Union, Village

DEMO_PASSWORD = "demo-pass"
ACTOR = Actor(None, "coop demo")

# (town, [(federation, founded, [(cooperative, village, products)])], [villages])
TREE = [
    (
        "姜家镇总工会",
        [
            (
                "“姜家黑”产业工会联合会",
                dt.date(2022, 6, 1),
                [
                    ("蔡家寺村“黑黑黑”合作社", "蔡家寺村", ["黑猪", "黑玉米", "黑豆", "黑米"]),
                    ("文石村蔬菜专业合作社", "文石村", ["青菜头", "辣椒"]),
                    ("凉河村生态养殖合作社", "凉河村", ["土鸡", "黑山羊"]),
                ],
            )
        ],
        ["蔡家寺村", "文石村", "凉河村"],
    ),
    (
        "界石镇总工会",
        [
            (
                "“界石果蔬”产业工会联合会",
                dt.date(2023, 3, 15),
                [
                    ("桂花村果蔬合作社", "桂花村", ["枇杷", "柑橘"]),
                ],
            )
        ],
        ["桂花村"],
    ),
]

# (username, display name, role, federation, cooperative)
LOGINS = [
    ("demo-admin", "演示管理员", User.Role.union_admin, None, None),
    (
        "demo-federation",
        "姜家黑联合会组织员",
        User.Role.federation_organizer,
        "“姜家黑”产业工会联合会",
        None,
    ),
    (
        "demo-federation2",
        "界石果蔬联合会组织员",
        User.Role.federation_organizer,
        "“界石果蔬”产业工会联合会",
        None,
    ),
    ("demo-village", "蔡家寺村组织员", User.Role.village_organizer, None, "蔡家寺村“黑黑黑”合作社"),
    ("demo-judge", "演示评委", User.Role.judge, None, None),
]


async def _id_of(table, name: str) -> int:
    row = await table.select(table.id).where(table.name == name).first().run()
    return row["id"]


async def load_tree() -> None:
    """The union tree of the seed article, and one account for each role."""
    district = await orgs.create_union(ACTOR, "巴南区总工会", Union.Level.district, None)
    everything = orgs.Scope(everything=True, can_manage=True)
    for town_name, federations, villages in TREE:
        town = await orgs.create_union(ACTOR, town_name, Union.Level.town, district)
        for village in villages:
            if (
                not await Village.exists()
                .where((Village.town == town) & (Village.name == village))
                .run()
            ):
                await orgs.save_village(everything, ACTOR, orgs.VillageInput(village, town))
        for federation_name, founded, cooperatives in federations:
            if not await Union.exists().where(Union.name == federation_name).run():
                await orgs.save_federation(
                    everything, ACTOR, orgs.FederationInput(federation_name, town, founded)
                )
            federation = await _id_of(Union, federation_name)
            for name, village, products in cooperatives:
                if not await Cooperative.exists().where(Cooperative.name == name).run():
                    village_id = (
                        await Village.select(Village.id)
                        .where((Village.town == town) & (Village.name == village))
                        .first()
                        .run()
                    )["id"]
                    await orgs.save_cooperative(
                        everything,
                        ACTOR,
                        orgs.CooperativeInput(name, federation, village_id, products),
                    )
    operator = accounts.command_line_viewer()
    for username, display_name, role, federation, cooperative in LOGINS:
        if await User.exists().where(User.username == username).run():
            continue
        await accounts.save_user(
            operator,
            accounts.UserInput(
                username=username,
                display_name=display_name,
                role=role,
                federation_id=await _id_of(Union, federation) if federation else None,
                cooperative_ids=[await _id_of(Cooperative, cooperative)] if cooperative else [],
                password=DEMO_PASSWORD,
            ),
        )
    await accounts.remember_demo_logins(
        [
            {"username": u, "role": role.value, "scope": f or c or "", "password": DEMO_PASSWORD}
            for u, _, role, f, c in LOGINS
        ]
    )


# --- the federation's establishment standard (六有) ---------------------------------------

# (default item, status, evidence note, date): five of the six done, the sixth under way
STANDARD = [
    ("organization", "done", "召开首次会员代表大会，选举产生联合会委员会", dt.date(2022, 6, 18)),
    ("rules", "done", "制定联合会工作制度、会员入会办法等6项制度", dt.date(2022, 7, 5)),
    ("premises", "done", "姜家镇文化服务中心二楼“职工之家”", dt.date(2022, 8, 1)),
    ("funds", "done", "镇总工会年度补助经费到位", dt.date(2022, 9, 10)),
    ("services", "done", "入会大礼包；新农人孵化培养计划", dt.date(2023, 3, 1)),
    ("results", "in_progress", "首批骨干成员已入会，正带动社员入会", None),
]


async def load_standards() -> None:
    """The demo federation's checklist, set once: later changes made on the web stay."""
    everything = orgs.Scope(everything=True, can_manage=True)
    federation = await _id_of(Union, "“姜家黑”产业工会联合会")
    checklist = await orgs.standard_checklist(everything, federation)
    if any(item["status"] != "not_started" for item in checklist.items):
        return
    by_key = {item["key"]: item for item in checklist.items}
    for key, status, evidence, day in STANDARD:
        if key in by_key:
            data = orgs.StandardItemInput(status, evidence, day.isoformat() if day else "")
            await orgs.save_standard_item(everything, ACTOR, federation, by_key[key]["id"], data)
