"""The member list's pair in coop/members/queries.py: its rules rendered as SQL
(`_list_sql`, run by `search`) and as a Piccolo query (`_matching`, which the roster
export uses) give the same rows, with the same types, for every scope and filter."""

import datetime as dt
import itertools

import pytest

from coop.accounts.domain import Role, Viewer
from coop.members import queries
from coop.members.tables import Member
from coop.orgs.domain import Scope
from tests.factories import make_member


async def _reference(viewer: Viewer, where: queries.MemberFilter) -> list[dict]:
    page = max(1, where.page)
    return (
        await queries._matching(Member.select(*queries.LIST_COLUMNS), viewer, where)
        .order_by(Member.id, ascending=False)
        .limit(queries.PAGE_SIZE + 1)
        .offset((page - 1) * queries.PAGE_SIZE)
        .run()
    )[: queries.PAGE_SIZE]


def _viewer(scope: Scope) -> Viewer:
    return Viewer(1, "t", "T", Role.federation_organizer, "zh_CN", scope)


@pytest.fixture
async def crowd(world):
    """Members in three cooperatives of two federations, with every flag the filters read."""
    tree, who = world
    places = [
        (tree.cooperative, tree.village),
        (tree.other_cooperative, tree.other_village),
        (tree.far_cooperative, tree.far_village),
    ]
    names = ["张三", "张三丰", "王丽", "吴玲", "李四"]
    for n, ((cooperative, village), name) in enumerate(itertools.product(places, names)):
        member_id = await make_member(
            who["admin"], tree, name, cooperative=cooperative, village=village, backbone=n % 2 == 1
        )
        changes = {
            Member.status: ["applicant", "member", "member", "left"][n % 4],
            Member.first_batch: n % 3 == 0,
            Member.worker_post: ["", "base", "livestream"][n % 3],
            Member.card_number: f"JJH{n:04d}" if n % 4 else None,
            Member.welcome_pack_at: dt.datetime(2026, 5, 1, tzinfo=dt.UTC) if n % 5 == 0 else None,
        }
        await Member.update(changes).where(Member.id == member_id).run()
    return tree, who


async def test_list_query_matches_the_piccolo_query_for_every_scope_and_filter(crowd):
    tree, who = crowd
    scopes = [
        who["admin"].scope,
        who["federation"].scope,
        who["village"].scope,
        Scope(),  # nothing
        Scope(federation_ids=frozenset({tree.federation, tree.far_federation})),
        Scope(village_ids=frozenset({tree.other_village})),
        Scope(
            cooperative_ids=frozenset({tree.far_cooperative}), village_ids=frozenset({tree.village})
        ),
    ]
    filters = [
        queries.MemberFilter(),
        queries.MemberFilter(q="zs"),
        queries.MemberFilter(q="Zhang San"),
        queries.MemberFilter(q="wl", cooperative_id=tree.cooperative),
        queries.MemberFilter(cooperative_id=tree.other_cooperative),
        queries.MemberFilter(village_id=tree.far_village),
        queries.MemberFilter(status="member", backbone=True),
        queries.MemberFilter(first_batch=True, worker_post="any"),
        queries.MemberFilter(welcome_pack_pending=True),
        queries.MemberFilter(worker_post="livestream", q="l"),
        queries.MemberFilter(page=2),
    ]
    compared = 0
    for scope, where in itertools.product(scopes, filters):
        viewer = _viewer(scope)
        expected = await _reference(viewer, where)
        found = await queries.search(viewer, where)
        assert found.rows == expected, (scope, where)
        for got, want in zip(found.rows, expected, strict=True):  # same Python types too
            assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in want.items()}
        compared += len(expected)
    assert compared > 100  # the cases were not all empty


async def test_list_query_pages_beyond_fifty(crowd):
    tree, who = crowd
    for n in range(queries.PAGE_SIZE):
        await make_member(who["admin"], tree, f"成员{n}")
    viewer = _viewer(who["admin"].scope)
    for page in (1, 2, 3):
        where = queries.MemberFilter(page=page)
        assert (await queries.search(viewer, where)).rows == await _reference(viewer, where)
