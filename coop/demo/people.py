"""The demo's fictional people, and where they live.

Everyone is invented: names drawn from common surnames and given-name characters,
resident ID numbers built with a valid check digit, mobile numbers in the 199 0xxx
range. A fixed seed makes every run produce the same people.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from coop.i18n import TIME_ZONE
from coop.members.identity import make_resident_id
from coop.members.tables import Member
from coop.orgs.tables import Cooperative, Village

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
# The real-name record: GB/T 4658 education (mostly 初中 and 普通高中), GB/T 4762 political
# status (most 群众, a few 中共党员), the ACFTU lists; some migrant workers, some 脱贫户.
EDUCATION = ["80"] * 2 + ["70"] * 5 + ["60"] * 3 + ["40", "30"]
POLITICAL = ["13"] * 16 + ["01", "01", "03", "02"]
EMPLOYMENT = ["1"] * 9 + ["4"]
SKILLS = [""] * 7 + ["5", "5", "4"]
POVERTY = ["ordinary"] * 8 + ["lifted", "monitored"]
EMPLOYERS = ["", "", "巴南区姜家镇黑猪加工厂", "重庆黑黑黑农业开发有限公司"]


def record_fields(rng) -> dict:
    """Plausible real-name record fields for one demo member."""
    return dict(
        education=rng.choice(EDUCATION),
        political_status=rng.choice(POLITICAL),
        employment_status=rng.choice(EMPLOYMENT),
        skill_level=rng.choice(SKILLS),
        migrant_worker=rng.random() < 0.15,
        residence_address=rng.choice(["", "巴南区姜家镇", "巴南区界石镇"]),
        employer=rng.choice(EMPLOYERS),
        poverty_status=rng.choice(POVERTY),
    )


POSTS = [p.value for p in Member.Post if p is not Member.Post.other]

# (cooperative, members, of whom backbone); the backbone members are the first batch
MEMBER_PLAN = [
    ("蔡家寺村“黑黑黑”合作社", 80, 12),
    ("文石村蔬菜专业合作社", 65, 10),
    ("凉河村生态养殖合作社", 60, 9),
    ("桂花村果蔬合作社", 35, 5),
]

LEAVE_REASONS = ["外出务工", "外出务工", "年老体弱", "身体原因"]
TRANSFERS = ["南彭街道总工会", "界石镇总工会", "一品街道总工会"]


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


def _local(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(rng.randrange(8, 18), rng.randrange(60)), ZoneInfo(TIME_ZONE)
    )


# --- where they live -------------------------------------------------------------------


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
