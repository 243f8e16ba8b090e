"""The real-name record migration moves existing members' data (both engines)."""

import importlib

from coop.members.tables import Member
from tests.factories import make_member, resident_id

MIGRATION = importlib.import_module(
    "coop.members.piccolo_migrations.members_2026_12_05t21_30_00_000000"
)


async def test_migration_moves_education_and_household_type_and_fills_hukou(world):
    tree, who = world
    first = await make_member(who["federation"], tree, "张三", id_number=resident_id(area="500113"))
    second = await make_member(
        who["federation"], tree, "李四", id_number=resident_id(area="500112")
    )
    third = await make_member(who["federation"], tree, "王五")
    await (await MIGRATION.forwards()).run(backwards=True)  # the schema before it
    for member_id, education, household in (
        (first, "junior", "lifted"),
        (second, "university", "other"),
        (third, "", "monitored"),
    ):
        await Member.raw(
            "UPDATE member SET education = {}, household_type = {} WHERE id = {}",
            education,
            household,
            member_id,
        )

    await (await MIGRATION.forwards()).run()

    rows = await Member.select(
        Member.name,
        Member.education,
        Member.poverty_status,
        Member.hukou_region,
        Member.political_status,
        Member.migrant_worker,
    ).order_by(Member.id)
    assert rows == [
        {
            "name": "张三",
            "education": "70",
            "poverty_status": "lifted",
            "hukou_region": "500113",
            "political_status": "",
            "migrant_worker": False,
        },
        {
            "name": "李四",
            "education": "20",
            "poverty_status": "",
            "hukou_region": "500112",
            "political_status": "",
            "migrant_worker": False,
        },
        {
            "name": "王五",
            "education": "",
            "poverty_status": "monitored",
            "hukou_region": "500113",
            "political_status": "",
            "migrant_worker": False,
        },
    ]
