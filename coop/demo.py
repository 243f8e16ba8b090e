"""Demo data: the union tree of the seed article, one account for each role, and members.

Loading it twice changes nothing. The members are fictional (see `demo_people`);
`add_members` adds as many more as a benchmark needs.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from coop import db, privacy
from coop.accounts import domain as accounts
from coop.accounts.tables import User
from coop.audit import domain as audit
from coop.audit.domain import Actor
from coop.i18n import TIME_ZONE
from coop.members import domain as members
from coop.members.identity import ResidentId, check_resident_id, make_resident_id
from coop.members.tables import EnrollmentPolicy, Member, MemberEvent
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
    ("demo-village", "蔡家寺村组织员", User.Role.village_organizer, None, "蔡家寺村“黑黑黑”合作社"),
    ("demo-judge", "演示评委", User.Role.judge, None, None),
]


async def _id_of(table, name: str) -> int:
    row = await table.select(table.id).where(table.name == name).first().run()
    return row["id"]


async def load() -> int:
    """The union tree, the demo accounts and the demo members; the number of members added."""
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
    added = await load_members()
    await load_trainings()
    await load_contests()
    await load_standards()
    return added


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


# --- the training plan: 新农人孵化培养计划 --------------------------------------------------

PROGRAMME = "新农人孵化培养计划"
# (topic, days from today, capacity, registered, of whom checked in, walk-ins, place, link)
SESSIONS = [
    ("短视频创作", -30, 40, 28, 24, 2, "蔡家寺村村委会会议室", ""),
    ("直播带货基础知识", -12, 40, 36, 31, 3, "姜家镇文化服务中心", ""),
    ("直播带货进阶：选品与话术", 7, 30, 30, 0, 0, "姜家镇文化服务中心", ""),
    ("短视频拍摄实操（线上）", 20, 100, 9, 0, 0, "", "https://live.example.cn/room/jjh-2026"),
]


async def load_trainings() -> None:
    """The programme with two past sessions (attendance) and two coming ones (open)."""
    from coop.trainings import domain as trainings
    from coop.trainings.tables import Programme, TrainingSession

    if await Programme.exists().where(Programme.title == PROGRAMME).run():
        return
    viewer = accounts.command_line_viewer()
    rng = random.Random(SEED + 2)
    federation = await _id_of(Union, "“姜家黑”产业工会联合会")
    programme = await trainings.save_programme(
        viewer,
        trainings.ProgrammeInput(
            PROGRAMME,
            "短视频创作、直播带货基础知识培训，培养会拍、会播、会卖的新农人。",
            federation,
        ),
    )
    people = [
        row["id"]
        for row in await Member.select(Member.id)
        .where((Member.federation == federation) & (Member.status == Member.Status.member.value))
        .order_by(Member.id)
        .run()
    ]
    now = dt.datetime.now(ZoneInfo(TIME_ZONE)).replace(minute=0, second=0, microsecond=0)
    for topic, days, capacity, registered, present, walk_ins, place, link in SESSIONS:
        # Registered while the session was ahead; a past one is moved to its real date after.
        starts = (now + dt.timedelta(days=max(days, 3))).replace(hour=14)
        session_id = await trainings.create_session(
            viewer,
            programme,
            trainings.SessionInput(
                topic=topic,
                trainer=rng.choice(["王老师", "刘老师", "电商服务站 陈老师"]),
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2, minutes=30),
                place=place,
                online_link=link,
                capacity=capacity,
                audience="anyone" if link else "members",
                status="open",
            ),
        )
        villages = (await trainings.places(await trainings.get_session(viewer, session_id)))[
            "villages"
        ]
        chosen = rng.sample(people, registered)
        await trainings.register_members(viewer, session_id, chosen)
        rows = await trainings.roster(viewer, session_id)
        for row in rng.sample(rows, present):
            await trainings.check_in(viewer, row["id"])
        for k in range(walk_ins):
            await trainings.add_walk_in(
                viewer,
                session_id,
                trainings.RegistrationInput(
                    name=_name(rng, rng.choice("MF")),
                    phone=f"1990{9_000_000 + days * 10 + k + 500:07d}",
                    village_id=rng.choice(villages)["id"],
                ),
            )
        if days < 0:
            starts = (now + dt.timedelta(days=days)).replace(hour=14)
            await (
                TrainingSession.update(
                    {
                        TrainingSession.starts_at: starts,
                        TrainingSession.ends_at: starts + dt.timedelta(hours=2, minutes=30),
                        TrainingSession.status: TrainingSession.Status.held.value,
                    }
                )
                .where(TrainingSession.id == session_id)
                .run()
            )


# --- contests: 工会有力量 职工来带货 ------------------------------------------------------

# (name, maximum = weight, measured unit or "" when judged)
SCHEME = [("产品知识", 20, ""), ("直播表现", 30, ""), ("互动", 20, ""), ("销售额", 30, "元")]
EXTRA_JUDGES = [
    ("demo-judge-2", "评委二"),
    ("demo-judge-3", "评委三"),
    ("demo-judge-4", "评委四"),
    ("demo-judge-5", "评委五"),
]


async def load_contests() -> None:
    """The livestream-selling contest, judged by five, locked and published; and a second
    contest open for entries, with its scheme and demo-judge on the panel."""
    from decimal import Decimal

    from coop.contests import domain as contests
    from coop.contests.tables import Contest

    if await Contest.exists().where(Contest.title == "工会有力量 职工来带货").run():
        return
    viewer = accounts.command_line_viewer()
    rng = random.Random(SEED + 3)
    federation = await _id_of(Union, "“姜家黑”产业工会联合会")
    panel = [(await User.select(User.id).where(User.username == "demo-judge").first())["id"]]
    for username, name in EXTRA_JUDGES:
        if not await User.exists().where(User.username == username):
            await accounts.save_user(
                viewer,
                accounts.UserInput(username, name, User.Role.judge, password=DEMO_PASSWORD),
            )
        panel.append((await User.select(User.id).where(User.username == username).first())["id"])
    people = [
        row["id"]
        for row in await Member.select(Member.id)
        .where((Member.federation == federation) & (Member.status == Member.Status.member.value))
        .order_by(Member.id)
        .run()
    ]

    async def contest(title: str, trimmed: bool) -> int:
        contest_id = await contests.save_contest(
            viewer,
            contests.ContestInput(
                title=title,
                description="“姜家黑”产业工会联合会会员直播带货技能比赛。",
                union_id=federation,
                entries_open_at=None,
                entries_close_at=None,
                judging_open_at=None,
                judging_close_at=None,
                allow_teams=False,
                trimmed_mean=trimmed,
                award_tiers=[("一等奖", 1), ("二等奖", 2), ("三等奖", 3), ("优秀奖", None)],
                ties_go_up=True,
            ),
        )
        for name, points, unit in SCHEME:
            await contests.save_criterion(
                viewer,
                contest_id,
                contests.CriterionInput(
                    name, Decimal(points), Decimal(points), "measured" if unit else "judged", unit
                ),
            )
        return contest_id

    async def enter(contest_id: int, count: int) -> list[int]:
        entry_ids = []
        for member_id in rng.sample(people, count):
            member = await members.get_member(viewer, member_id)
            title = f"{member['name']}的{rng.choice(['黑猪肉', '黑米', '黑豆', '青菜头'])}直播间"
            entry_ids.append(
                await contests.enter(viewer, contest_id, contests.EntryInput([member_id], title))
            )
        return entry_ids

    first = await contest("工会有力量 职工来带货", trimmed=True)
    scheme = await contests.criteria(first)
    sales = next(c["id"] for c in scheme if c["kind"] == "measured")
    judged = [c for c in scheme if c["kind"] == "judged"]
    breaks = [sales, judged[1]["id"]]
    await contests.set_tie_breaks(viewer, first, breaks)
    for user_id in panel:
        await contests.add_judge(viewer, first, user_id)
    await contests.advance(viewer, first)  # entries open
    entries = await enter(first, 12)
    for entry_id in entries:
        await contests.record_figure(
            viewer, first, entry_id, sales, Decimal(rng.randrange(800, 20000))
        )
    await contests.advance(viewer, first)  # judging
    for user_id in panel:
        judge = await accounts.viewer_for(user_id)
        for entry_id in entries:
            skill = rng.uniform(0.55, 0.95)
            scores = {
                c["id"]: Decimal(
                    round(float(c["max_score"]) * min(1, skill + rng.uniform(-0.1, 0.1)) * 2) / 2
                )
                for c in judged
            }
            await contests.save_scores(judge, first, entry_id, scores, {})
        await contests.submit_sheet(judge, first)
    await contests.advance(viewer, first)  # locked
    await contests.advance(viewer, first)  # published

    second = await contest("短视频创作大赛", trimmed=False)
    await contests.add_judge(viewer, second, panel[0])
    await contests.advance(viewer, second)  # entries open
    await enter(second, 3)


# --- fictional members ---------------------------------------------------------------
#
# Everyone below is invented: names drawn from common surnames and given-name
# characters, resident ID numbers built with a valid check digit, mobile numbers
# in the 199 0xxx range. A fixed seed makes every run produce the same people.

SEED = 20220601
SURNAMES = (
    "陈刘李王张杨黄周罗谭"  # the commonest in 巴南, twice as likely
    "陈刘李王张杨黄周罗谭"
    "赵吴徐孙马朱胡郭何林高郑梁谢宋唐许韩冯邓曹彭肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟陆汪范金石廖贾夏付方邹熊秦邱江冉向汤雷龙文"
    "单曾解"  # surnames with several readings: the search must find every one
)
GIVEN_MALE = "伟强军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林洋建国文志海庆成德兵贵福江川渝"
GIVEN_FEMALE = "芳娟敏静丽艳娜霞秀英玲燕萍红梅琴云兰凤洁琳婷雪慧倩颖莉桂群蓉春菊翠玉秋"
BIRTH_FIRST = dt.date(1955, 1, 1)
BIRTH_DAYS = (dt.date(2004, 12, 31) - BIRTH_FIRST).days + 1
AREAS = ["500113"] * 18 + ["500112", "500107"]  # 巴南区, now and then 渝北区, 九龙坡区
ETHNICITIES = ["01"] * 17 + ["15", "15", "06"]  # mostly Han, some Tujia and Miao
EDUCATION = ["primary"] * 3 + ["junior"] * 4 + ["senior"] * 2 + ["college"]
HOUSEHOLDS = ["ordinary"] * 8 + ["lifted", "monitored"]
POSTS = [p.value for p in Member.Post if p is not Member.Post.other]
CARD_PREFIXES = {"“姜家黑”产业工会联合会": "JJH", "“界石果蔬”产业工会联合会": "JSGS"}
# (cooperative, members, of whom backbone); the backbone members are the first batch
MEMBER_PLAN = [
    ("蔡家寺村“黑黑黑”合作社", 80, 12),
    ("文石村蔬菜专业合作社", 65, 10),
    ("凉河村生态养殖合作社", 60, 9),
    ("桂花村果蔬合作社", 35, 5),
]
APPLICANTS = 20  # ordinary members still waiting for approval
LEAVE_REASONS = ["外出务工", "外出务工", "年老体弱", "身体原因"]
TRANSFERS = ["南彭街道总工会", "界石镇总工会", "一品街道总工会"]
WELCOME_PACK_SHARE = 0.6
POST_SHARE = 0.4


@dataclass(frozen=True)
class Person:
    name: str
    sex: str  # "M" or "F": the 17th digit of the ID number agrees
    resident_id: str
    phone: str


def _name(rng: random.Random, sex: str) -> str:
    given = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    return rng.choice(SURNAMES) + "".join(rng.choices(given, k=1 if rng.random() < 0.3 else 2))


def demo_people(count: int) -> list[Person]:
    """The people of the default demo: sequence numbers 000-499, phones 1990000xxxx."""
    rng = random.Random(SEED)
    people: list[Person] = []
    seen: set[str] = set()
    while len(people) < count:
        sex = rng.choice("MF")
        born = BIRTH_FIRST + dt.timedelta(days=rng.randrange(BIRTH_DAYS))
        sequence = rng.randrange(250) * 2 + (sex == "M")  # odd: male
        number = make_resident_id(rng.choice(AREAS), born, sequence)
        if number in seen:
            continue
        seen.add(number)
        people.append(Person(_name(rng, sex), sex, number, f"1990000{len(people):04d}"))
    return people


async def _cooperatives() -> dict[str, dict]:
    rows = await Cooperative.select(
        Cooperative.id,
        Cooperative.name,
        Cooperative.federation,
        Cooperative.village,
        Cooperative.federation.name.as_alias("federation_name"),
        Cooperative.federation.founded_on.as_alias("founded_on"),
        Cooperative.federation.parent.as_alias("town"),
    ).run()
    return {row["name"]: row for row in rows}


async def _villages_by_town() -> dict[int, list[int]]:
    towns: dict[int, list[int]] = {}
    for row in await Village.select(Village.id, Village.town).order_by(Village.id).run():
        towns.setdefault(row["town"], []).append(row["id"])
    return towns


def _village(rng: random.Random, cooperative: dict, towns: dict[int, list[int]]) -> int:
    """Mostly the cooperative's own village, now and then another one in its town."""
    if rng.random() < 0.85:
        return cooperative["village"]
    return rng.choice(towns[cooperative["town"]])


async def load_members() -> int:
    """The default demo members, through the enrollment rules; 0 if they are there already.

    One transaction: a run that fails half-way leaves nothing, and the next run starts over.
    """
    people = demo_people(sum(total for _, total, _ in MEMBER_PLAN))
    hashes = [privacy.keyed_hash("resident_id", p.resident_id) for p in people]
    viewer = accounts.command_line_viewer()
    rng = random.Random(SEED + 1)
    today = members.local_today()
    async with db.transaction():
        if await Member.exists().where(Member.id_hash.is_in(hashes)).run():
            return 0
        cooperatives = await _cooperatives()
        towns = await _villages_by_town()
        queue = iter(people)
        plan = []  # (cooperative row, backbone people, ordinary people)
        for name, total, backbone in MEMBER_PLAN:
            group = [next(queue) for _ in range(total)]
            plan.append((cooperatives[name], group[:backbone], group[backbone:]))

        async def enroll(person: Person, cooperative: dict, backbone: bool, recruiter) -> int:
            return await members.enroll(
                viewer,
                members.EnrollmentInput(
                    name=person.name,
                    resident_id=person.resident_id,
                    phone=person.phone,
                    cooperative_id=cooperative["id"],
                    village_id=_village(rng, cooperative, towns),
                    is_backbone=backbone,
                    recruited_by_id=recruiter,
                    ethnicity=rng.choice(ETHNICITIES),
                    education=rng.choice(EDUCATION),
                    household_type=rng.choice(HOUSEHOLDS),
                ),
            )

        async def approve(member_ids: list[int]) -> None:
            result = await members.approve(viewer, member_ids)
            if result.refused:
                raise RuntimeError(f"demo approval refused: {result.refused}")

        federations = {c["federation"]: c["federation_name"] for c, _, _ in plan}
        # 首批: the backbone members of every cooperative join first ...
        for federation, name in federations.items():
            await members.set_policy(viewer, federation, CARD_PREFIXES.get(name, ""), True)
        backbone_ids: dict[int, list[int]] = {}
        for cooperative, backbone, _ in plan:
            ids = [await enroll(p, cooperative, True, None) for p in backbone]
            backbone_ids[cooperative["id"]] = ids
            await approve(ids)
        # ... then enrollment opens, and they bring the ordinary members in.
        for federation, name in federations.items():
            await members.set_policy(viewer, federation, CARD_PREFIXES.get(name, ""), False)
        ordinary_ids = []
        for cooperative, _, ordinary in plan:
            for person in ordinary:
                recruiter = rng.choice(backbone_ids[cooperative["id"]])
                ordinary_ids.append(
                    await enroll(
                        person, cooperative, False, recruiter if rng.random() < 0.9 else None
                    )
                )
        waiting = set(rng.sample(ordinary_ids, APPLICANTS))
        await approve([i for i in ordinary_ids if i not in waiting])
        approved = [i for ids in backbone_ids.values() for i in ids] + [
            i for i in ordinary_ids if i not in waiting
        ]
        everyone = approved + sorted(waiting)
        await _spread_over_the_year(
            [i for ids in backbone_ids.values() for i in ids],
            [i for i in ordinary_ids if i not in waiting],
            sorted(waiting),
            today,
        )
        for member_id in rng.sample(approved, round(WELCOME_PACK_SHARE * len(people))):
            await members.issue_welcome_pack(viewer, member_id)
        for member_id in rng.sample(everyone, round(POST_SHARE * len(people))):
            post, next_post = rng.sample(POSTS, 2)
            start = today - dt.timedelta(days=rng.randrange(60, 900))
            await members.record_post(viewer, member_id, post, start)
            if rng.random() < 0.25:  # moved along the chain: a post history of two
                later = start + dt.timedelta(days=rng.randrange(1, (today - start).days))
                await members.record_post(viewer, member_id, next_post, later)
        ordinary_members = [i for i in ordinary_ids if i not in waiting]
        leaving = rng.sample(ordinary_members, len(LEAVE_REASONS) + len(TRANSFERS))
        for member_id, reason in zip(leaving, LEAVE_REASONS, strict=False):
            member = await members.get_member(viewer, member_id)
            await members.end_membership(
                viewer,
                member_id,
                transfer=False,
                on=today,
                reason=reason,
                transferred_to="",
                version=member["version"],
            )
        for member_id, union in zip(leaving[len(LEAVE_REASONS) :], TRANSFERS, strict=True):
            member = await members.get_member(viewer, member_id)
            await members.end_membership(
                viewer,
                member_id,
                transfer=True,
                on=today,
                reason="迁居",
                transferred_to=union,
                version=member["version"],
            )
    return len(people)


async def _spread_over_the_year(
    first_batch: list[int], ordinary: list[int], waiting: list[int], today: dt.date
) -> None:
    """Date the demo's story as it happened: the first batch of backbone members about a
    year ago, the others joining month by month since, the applicants in recent weeks
    (the enrollment rules date everything today; the dashboard's monthly chart needs a past).
    """
    start = today - dt.timedelta(days=330)
    dates = {member_id: (start, start + dt.timedelta(days=7)) for member_id in first_batch}
    for n, member_id in enumerate(ordinary):  # in approval order: card numbers stay in order
        applied = start + dt.timedelta(days=30 + n * 280 // max(len(ordinary), 1))
        dates[member_id] = (applied, applied + dt.timedelta(days=5))
    for n, member_id in enumerate(waiting):
        dates[member_id] = (today - dt.timedelta(days=20 - n % 20), None)
    for member_id, (applied, joined) in dates.items():
        changes = {Member.applied_on: applied, Member.join_date: joined}
        if member_id in first_batch:
            changes[Member.first_batch_on] = joined
        await Member.update(changes).where(Member.id == member_id).run()
        for action, day in (("applied", applied), ("approved", joined)):
            if day is not None:
                await (
                    MemberEvent.update({MemberEvent.at: _local(day, random.Random(member_id))})
                    .where((MemberEvent.member == member_id) & (MemberEvent.action == action))
                    .run()
                )


# --- many members, quickly: `coop demo --members N` ---------------------------------------
#
# Built in Python and written a chunk per transaction by the members' one writer of
# new members (members.write_new_members, one INSERT per table): going through the
# enrollment rules one person at a time would take hours for 100,000 people. The
# stored values are those enrollment stores (members.applicant_values, then the
# person's later story), card numbers taken from the federation's sequence.

BULK_SEQUENCES = 500  # sequence numbers 500-999; the default demo uses 000-499
BULK_SPACE = BIRTH_DAYS * BULK_SEQUENCES  # 9,131,500 people per area code
BULK_STRIDE = 7_368_787  # coprime with BULK_SPACE: k -> (birth date, sequence) is one-to-one
BULK_AREAS = ["500113", "500112", "500107", "500108", "500106"]
BULK_CHUNK = 2000
BULK_SHARES = [  # status, share
    (Member.Status.applicant.value, 0.03),
    (Member.Status.left.value, 0.01),
    (Member.Status.transferred_out.value, 0.01),
]


def bulk_person(k: int, rng: random.Random) -> Person:
    """The k-th generated person: a different ID number for every k below 45 million."""
    j = k * BULK_STRIDE % BULK_SPACE
    sequence = BULK_SEQUENCES + j // BIRTH_DAYS
    born = BIRTH_FIRST + dt.timedelta(days=j % BIRTH_DAYS)
    number = make_resident_id(BULK_AREAS[k // BULK_SPACE % len(BULK_AREAS)], born, sequence)
    sex = "M" if sequence % 2 else "F"
    return Person(_name(rng, sex), sex, number, f"1990{1_000_000 + k % 9_000_000:07d}")


def _birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@functools.cache
def _birth_place(area: str, year: int) -> str:
    return check_resident_id(make_resident_id(area, dt.date(year, 7, 1), 1)).birth_place


def _local(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(rng.randrange(8, 18), rng.randrange(60)), ZoneInfo(TIME_ZONE)
    )


def _days(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day from start to end, both included."""
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


@dataclass
class _Place:
    cooperatives: list[dict]
    weights: list[int]
    towns: dict[int, list[int]]
    recruiters: dict[int, list[int]]


def _bulk_row(k: int, rng: random.Random, place: _Place, today: dt.date) -> members.NewMember:
    person = bulk_person(k, rng)
    number, phone = person.resident_id, person.phone
    [cooperative] = rng.choices(place.cooperatives, place.weights)
    status = Member.Status.member.value
    draw = rng.random()
    for name, share in BULK_SHARES:
        if draw < share:
            status = name
            break
        draw -= share
    earliest = (cooperative["founded_on"] or dt.date(2022, 6, 1)) + dt.timedelta(days=30)
    applied = _days(rng, earliest, today - dt.timedelta(days=45))
    joined = None if status == "applicant" else applied + dt.timedelta(days=rng.randrange(1, 31))
    ended = status in ("left", "transferred_out")
    left_on = _days(rng, joined + dt.timedelta(days=1), today) if ended else None
    events = [[_local(applied, rng), "applied", ""]]
    if joined:
        events.append([_local(joined, rng), "approved", None])
    pack_at = None
    if joined and rng.random() < 0.62:
        pack_at = _local(joined + dt.timedelta(days=rng.randrange(15)), rng)
        events.append([pack_at, "welcome_pack", ""])
    posts = []
    if not ended and rng.random() < 0.4:
        first, second = rng.sample(POSTS, 2)
        started = _days(rng, applied, today)
        if rng.random() < 0.25 and started < today:
            moved = _days(rng, started + dt.timedelta(days=1), today)
            posts = [(first, started, moved), (second, moved, None)]
        else:
            posts = [(first, started, None)]
        events += [[_local(day, rng), "worker_post", post] for post, day, _ in posts]
    leave_reason = transferred_to = ""
    if ended:
        transfer = status == "transferred_out"
        transferred_to = rng.choice(TRANSFERS) if transfer else ""
        leave_reason = "迁居" if transfer else rng.choice(LEAVE_REASONS)
        events.append([_local(left_on, rng), status, transferred_to or leave_reason])
    recruiters = place.recruiters.get(cooperative["id"])
    data = members.EnrollmentInput(
        name=person.name,
        resident_id=number,
        phone=phone,
        ethnicity=rng.choice(ETHNICITIES),
        education=rng.choice(EDUCATION),
        household_type=rng.choice(HOUSEHOLDS),
        cooperative_id=cooperative["id"],
        village_id=_village(rng, cooperative, place.towns),
        is_backbone=rng.random() < 0.02,
        recruited_by_id=rng.choice(recruiters) if recruiters and rng.random() < 0.85 else None,
        worker_post=posts[-1][0] if posts else "",
    )
    checked = ResidentId(
        number,
        sex=person.sex,
        birth_date=_birth_date(number),
        birth_place=_birth_place(number[:6], int(number[6:10])),
    )
    values = members.applicant_values(data, checked, phone, cooperative["federation"])
    values.update(
        status=status,
        applied_on=applied,
        join_date=joined,
        welcome_pack_at=pack_at,
        left_on=left_on,
        leave_reason=leave_reason,
        transferred_to=transferred_to,
    )
    keys = members.search_key_texts(person.name, number, phone)
    return members.NewMember(values, keys, events, posts, version=len(events))


async def _card_numbers(federation: int, count: int) -> list[str]:
    """The federation's next `count` card numbers, as approval would give them."""
    [row] = (
        await EnrollmentPolicy.update(
            {EnrollmentPolicy.last_card_number: EnrollmentPolicy.last_card_number + count}
        )
        .where(EnrollmentPolicy.federation == federation)
        .returning(EnrollmentPolicy.last_card_number, EnrollmentPolicy.card_prefix)
        .run()
    )
    last = row["last_card_number"]
    return [f"{row['card_prefix']}{n:06d}" for n in range(last - count + 1, last + 1)]


async def _write_chunk(rows: list[members.NewMember]) -> int:
    """Insert one chunk in one transaction; people whose ID is already there are skipped."""
    async with db.transaction():
        hashes = [row.values["id_hash"] for row in rows]
        taken = {
            found["id_hash"]
            for found in await Member.select(Member.id_hash)
            .where(Member.id_hash.is_in(hashes))
            .run()
        }
        rows = [row for row in rows if row.values["id_hash"] not in taken]
        if not rows:
            return 0
        carded: dict[int, list[members.NewMember]] = {}
        for row in rows:
            if row.values["join_date"] is not None:
                carded.setdefault(row.values["federation"], []).append(row)
        for federation, group in carded.items():
            for row, card in zip(group, await _card_numbers(federation, len(group)), strict=True):
                row.values["card_number"] = card
                for event in row.events:
                    if event[2] is None:  # "approved": its detail is the card number
                        event[2] = card
        await members.write_new_members(rows, None)
    return len(rows)


async def add_members(count: int, report: Callable[[str], None] = print) -> int:
    """Add `count` more fictional members to the demo cooperatives; the number added.

    Every run continues where the last one stopped: new ID numbers, card numbers
    after the federation's last one.
    """
    started = time.perf_counter()
    by_name = await _cooperatives()
    cooperatives = [by_name[name] for name, _, _ in MEMBER_PLAN]
    recruiters: dict[int, list[int]] = {}
    for row in (
        await Member.select(Member.id, Member.cooperative)
        .where(Member.is_backbone.eq(True) & Member.status.is_in(list(members.ACTIVE)))
        .order_by(Member.id)
        .run()
    ):
        recruiters.setdefault(row["cooperative"], []).append(row["id"])
    place = _Place(
        cooperatives, [total for _, total, _ in MEMBER_PLAN], await _villages_by_town(), recruiters
    )
    async with db.transaction():
        for federation in {c["federation"] for c in cooperatives}:
            await members._ensure_policy(federation)
    k = await Member.count().run()  # past every person an earlier run generated
    rng = random.Random(f"{SEED}-{k}")
    today = members.local_today()
    added, step = 0, max(BULK_CHUNK, count // 10)
    while added < count:
        size = min(BULK_CHUNK, count - added)
        rows = [_bulk_row(k + i, rng, place, today) for i in range(size)]
        k += size
        before = added
        added += await _write_chunk(rows)
        if added // step > before // step or added == count:
            report(f"{added:>9,} / {count:,} members  {time.perf_counter() - started:6.1f} s")
    await audit.record(ACTOR, "demo_members", "member", "", f"{added} generated members")
    return added
