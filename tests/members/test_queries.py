"""The reads of coop/members/queries.py that share one rule: who waits for a welcome pack."""

from coop.members import domain as members
from coop.members import queries
from coop.members.tables import Member
from tests.factories import make_member


async def test_welcome_pack_pending_is_one_rule_for_the_count_the_list_and_the_filter(world):
    tree, who = world
    federation = who["federation"]
    waiting = await make_member(federation, tree, "张三", backbone=True)
    given = await make_member(federation, tree, "李四", backbone=True)
    leaving = await make_member(federation, tree, "王五", backbone=True)
    await make_member(federation, tree, "赵六")  # an applicant: no pack yet, none due
    await members.approve(federation, [waiting, given, leaving])
    await members.issue_welcome_pack(federation, given)
    await Member.update({Member.status: "left"}).where(Member.id == leaving).run()

    count = (await queries.counts(federation))["welcome_packs_pending"]
    listed = [m["id"] for m in await queries.pending_welcome_packs(federation, None)]
    filtered = await queries.search(federation, queries.MemberFilter(welcome_pack_pending=True))

    assert (count, listed, [m["id"] for m in filtered.rows]) == (1, [waiting], [waiting])
