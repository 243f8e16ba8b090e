"""The demo's story, as the seed article tells it: the first batch of backbone members and
the members they brought in, the 新农人孵化培养计划 trainings, and the livestream-selling
contest. Everything goes through the domain's own rules.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from coop import db, privacy
from coop.accounts import domain as accounts
from coop.accounts.tables import User
from coop.demo.people import (
    ETHNICITIES,
    LEAVE_REASONS,
    MEMBER_PLAN,
    POSTS,
    SEED,
    TRANSFERS,
    Person,
    _cooperatives,
    _local,
    _name,
    _village,
    _villages_by_town,
    demo_people,
    record_fields,
)
from coop.demo.tree import DEMO_PASSWORD, _id_of
from coop.i18n import TIME_ZONE
from coop.members import domain as members
from coop.members.tables import Member, MemberEvent, MembershipChange
from coop.orgs.tables import Cooperative, Union

# --- the members: 首批, then everyone ---------------------------------------------------

CARD_PREFIXES = {"“姜家黑”产业工会联合会": "JJH", "“界石果蔬”产业工会联合会": "JSGS"}

APPLICANTS = 20  # ordinary members still waiting for approval
WELCOME_PACK_SHARE = 0.6
POST_SHARE = 0.4


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
                    **record_fields(rng),
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
        await _membership_changes(viewer, rng, ordinary_members, today)
    return len(people)


RETIRED = 3  # retained members (保留会籍): retired from their work


async def _membership_changes(
    viewer, rng: random.Random, ordinary: list[int], today: dt.date
) -> None:
    """Withdrawals and transfers out of the system, a few members retained on retirement,
    one transfer to the second town's federation accepted there and one still waiting."""
    home = await _id_of(Union, "“姜家黑”产业工会联合会")
    second = await _id_of(Union, "“界石果蔬”产业工会联合会")
    at_home = [
        m["id"]
        for m in await Member.select(Member.id)
        .where(Member.id.is_in(ordinary) & (Member.federation == home))
        .order_by(Member.id)
        .run()
    ]
    chosen = rng.sample(at_home, len(LEAVE_REASONS) + len(TRANSFERS) + RETIRED + 2)
    queue = iter(chosen)
    Change = members.ChangeInput
    for reason in LEAVE_REASONS:
        await members.record_change(viewer, next(queue), Change("withdraw", today, 5, note=reason))
    for union in TRANSFERS:
        await members.record_change(
            viewer, next(queue), Change("transfer_out", today, 1, to_union_name=union, note="迁居")
        )
    for _ in range(RETIRED):
        await members.record_change(viewer, next(queue), Change("retain", today, 1, note="退休"))
    cooperative = (
        await Cooperative.select(Cooperative.id).where(Cooperative.federation == second).first()
    )
    accepted = await members.start_transfer(viewer, next(queue), second, today, 1)
    await members.accept_transfer(viewer, accepted, cooperative["id"], None)
    await members.start_transfer(viewer, next(queue), second, today, 1)  # waits


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
        if joined is not None:
            await (
                MembershipChange.update({MembershipChange.on_date: joined})
                .where((MembershipChange.member == member_id) & (MembershipChange.kind == "join"))
                .run()
            )
        for action, day in (("applied", applied), ("approved", joined)):
            if day is not None:
                await (
                    MemberEvent.update({MemberEvent.at: _local(day, random.Random(member_id))})
                    .where((MemberEvent.member == member_id) & (MemberEvent.action == action))
                    .run()
                )


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
