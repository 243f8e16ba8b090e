import asyncio
import datetime as dt
import sqlite3

import pytest

from coop.accounts.idempotency import KeyReused
from coop.audit.domain import recent
from coop.members import domain as members
from coop.members.identity import make_resident_id
from coop.members.tables import Member
from coop.validation import Forbidden, Msg, ValidationError
from tests.factories import (
    make_member,
    mobile,
    resident_id,
)


def _input(tree, **changes) -> members.EnrollmentInput:
    values = dict(
        name="李四",
        resident_id=resident_id(),
        phone=mobile(),
        cooperative_id=tree.cooperative,
        village_id=tree.village,
    )
    return members.EnrollmentInput(**{**values, **changes})


async def test_enroll_saves_applicant_with_derived_identity_and_no_clear_id(world, settings):
    tree, who = world
    number = resident_id(dt.date(1990, 4, 5))
    member_id = await members.enroll(
        who["village"], _input(tree, resident_id=number, phone="+86 139 0000 1234")
    )
    member = await members.get_member(who["village"], member_id)
    assert (member["status"], member["birth_date"], member["sex"], member["birth_place"]) == (
        "applicant",
        dt.date(1990, 4, 5),
        "M" if int(number[16]) % 2 else "F",
        "重庆市巴南区",
    )
    assert (member["id_masked"], member["phone_masked"]) == (
        number[:6] + "********" + number[-4:],
        "139****1234",
    )
    if settings.engine_name != "postgresql":
        dump = "\n".join(sqlite3.connect(settings.sqlite_path).iterdump())
        assert number not in dump and "13900001234" not in dump


async def test_enroll_rejects_bad_check_digit_and_saves_nothing(world):
    tree, who = world
    number = resident_id()
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        await members.enroll(who["village"], _input(tree, resident_id=bad))
    assert error.value.errors == {
        "resident_id": Msg("The check digit does not match: a digit is probably mistyped.")
    }
    assert await Member.count().run() == 0


async def test_enroll_rejects_landline_phone(world):
    tree, who = world
    with pytest.raises(ValidationError) as error:
        await members.enroll(who["village"], _input(tree, phone="023-66221234"))
    assert list(error.value.errors) == ["phone"]


async def test_enroll_rejects_cooperative_outside_scope(world):
    tree, who = world
    with pytest.raises(ValidationError) as error:
        await members.enroll(
            who["village"],
            _input(tree, cooperative_id=tree.other_cooperative, village_id=tree.other_village),
        )
    assert error.value.errors == {"cooperative_id": Msg("Choose a cooperative from the list.")}


async def test_enroll_rejects_recruiter_from_another_cooperative(world):
    tree, who = world
    recruiter = await make_member(
        who["federation"],
        tree,
        "王五",
        backbone=True,
        cooperative=tree.other_cooperative,
        village=tree.other_village,
    )
    with pytest.raises(ValidationError) as error:
        await members.enroll(who["federation"], _input(tree, recruited_by_id=recruiter))
    assert error.value.errors == {
        "recruited_by_id": Msg("The recruiter must be a backbone member of the same cooperative.")
    }


async def test_recruits_are_listed_for_their_backbone_member(world):
    tree, who = world
    recruiter = await make_member(who["village"], tree, "王五", backbone=True)
    recruit = await members.enroll(who["village"], _input(tree, recruited_by_id=recruiter))
    assert [r["id"] for r in (await members.member_record(who["village"], recruiter)).recruits] == [
        recruit
    ]


async def test_same_id_again_in_scope_is_already_registered_with_a_link(world):
    tree, who = world
    number = resident_id()
    first = await make_member(who["village"], tree, id_number=number)
    with pytest.raises(members.AlreadyRegistered) as taken:
        await members.enroll(who["federation"], _input(tree, resident_id=number.lower()))
    assert (taken.value.member_id, taken.value.in_scope) == (first, True)


async def test_same_id_outside_scope_names_only_the_holding_union(world):
    tree, who = world
    number = resident_id()
    await make_member(
        who["admin"],
        tree,
        cooperative=tree.far_cooperative,
        village=tree.far_village,
        id_number=number,
    )
    with pytest.raises(members.AlreadyRegistered) as taken:
        await members.enroll(who["village"], _input(tree, resident_id=number))
    assert (taken.value.in_scope, taken.value.holder) == (False, "“界石果蔬”产业工会联合会")


async def test_person_who_left_enrolls_again_as_the_same_record(world):
    tree, who = world
    number = resident_id()
    member_id = await make_member(who["federation"], tree, id_number=number, backbone=True)
    await members.approve(who["federation"], [member_id])
    await members.record_change(
        who["federation"],
        member_id,
        members.ChangeInput(kind="withdraw", on_date=members.local_today(), reason=5),
    )
    again = await members.enroll(who["village"], _input(tree, resident_id=number))
    member = await members.get_member(who["village"], again)
    assert (again, member["status"], member["card_number"]) == (member_id, "applicant", None)
    actions = [e["action"] for e in (await members.member_record(who["village"], member_id)).events]
    assert actions == ["applied", "approved", "change_withdraw", "re_enrolled"]


async def test_retried_submission_creates_one_member_and_returns_it(world):
    tree, who = world
    data = _input(tree)
    first = await members.enroll(who["village"], data, submission_key="k1")
    second = await members.enroll(who["village"], data, submission_key="k1")
    assert (first, await Member.count().run()) == (second, 1)


async def test_reused_key_with_different_content_is_refused(world):
    tree, who = world
    await members.enroll(who["village"], _input(tree), submission_key="k1")
    with pytest.raises(KeyReused):
        await members.enroll(who["village"], _input(tree, name="赵六"), submission_key="k1")
    assert await Member.count().run() == 1


async def test_racing_retries_of_one_submission_have_one_effect(world):
    tree, who = world
    data = _input(tree)
    results = await asyncio.gather(
        *[members.enroll(who["village"], data, submission_key="same") for _ in range(4)]
    )
    assert (len(set(results)), await Member.count().run()) == (1, 1)


async def test_two_organizers_enrolling_one_id_at_once_make_one_person(world):
    tree, who = world
    number = resident_id()
    outcomes = await asyncio.gather(
        members.enroll(who["village"], _input(tree, resident_id=number)),
        members.enroll(who["federation"], _input(tree, resident_id=number)),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyRegistered", "int"]
    assert await Member.count().run() == 1


async def test_approval_assigns_sequential_cards_with_prefix_and_first_batch(world):
    tree, who = world
    await members.set_policy(who["federation"], tree.federation, "jjh", backbone_first=True)
    first = await make_member(who["village"], tree, "王一", backbone=True)
    second = await make_member(who["village"], tree, "王二", backbone=True)
    result = await members.approve(who["federation"], [first, second])
    assert (result.approved, result.refused) == ([first, second], {})
    cards = [
        (await members.get_member(who["federation"], m))["card_number"] for m in (first, second)
    ]
    assert cards == ["JJH000001", "JJH000002"]
    member = await members.get_member(who["federation"], first)
    assert (member["first_batch"], member["first_batch_on"], member["join_date"]) == (
        True,
        members.local_today(),
        members.local_today(),
    )


async def test_backbone_first_phase_refuses_ordinary_applicants_until_opened(world):
    tree, who = world
    ordinary = await make_member(who["village"], tree, "普通社员")
    refused = await members.approve(who["federation"], [ordinary])
    assert refused.refused[ordinary].text.startswith(
        "The federation is enrolling backbone members first"
    )
    await members.set_policy(who["federation"], tree.federation, "", backbone_first=False)
    approved = await members.approve(who["federation"], [ordinary])
    member = await members.get_member(who["federation"], ordinary)
    assert (approved.approved, member["first_batch"], member["card_number"]) == (
        [ordinary],
        False,
        f"F{tree.federation}-000001",
    )


async def test_village_organizer_cannot_approve(world):
    tree, who = world
    member_id = await make_member(who["village"], tree, backbone=True)
    with pytest.raises(Forbidden):
        await members.approve(who["village"], [member_id])


async def test_approving_outside_scope_is_refused_as_not_found(world):
    tree, who = world
    far = await make_member(
        who["admin"],
        tree,
        backbone=True,
        cooperative=tree.far_cooperative,
        village=tree.far_village,
    )
    result = await members.approve(who["federation"], [far])
    assert result.refused == {far: Msg("Not found.")}


async def test_card_prefix_cannot_change_once_cards_are_issued(world):
    tree, who = world
    await members.set_policy(who["federation"], tree.federation, "JJH", backbone_first=True)
    await members.approve(
        who["federation"], [await make_member(who["village"], tree, backbone=True)]
    )
    with pytest.raises(ValidationError) as error:
        await members.set_policy(who["federation"], tree.federation, "NEW", backbone_first=True)
    assert error.value.errors["card_prefix"].params == {"prefix": "JJH"}


async def test_card_numbers_are_never_reused_after_leaving(world):
    tree, who = world
    first = await make_member(who["village"], tree, backbone=True)
    await members.approve(who["federation"], [first])
    await members.record_change(
        who["federation"],
        first,
        members.ChangeInput(
            kind="transfer_out", on_date=members.local_today(), reason=1, to_union_name="外省"
        ),
    )
    second = await make_member(who["village"], tree, backbone=True)
    await members.approve(who["federation"], [second])
    cards = [
        (await members.get_member(who["federation"], m))["card_number"] for m in (first, second)
    ]
    assert cards == [f"F{tree.federation}-000001", f"F{tree.federation}-000002"]


async def test_transfer_out_needs_the_receiving_union(world):
    tree, who = world
    member_id = await make_member(who["village"], tree, backbone=True)
    await members.approve(who["federation"], [member_id])
    with pytest.raises(ValidationError) as error:
        await members.record_change(
            who["federation"],
            member_id,
            members.ChangeInput(kind="transfer_out", on_date=members.local_today(), reason=1),
        )
    assert error.value.errors == {"to_union_name": Msg("Name the union that receives the member.")}


async def test_welcome_pack_second_tap_changes_nothing_and_undo_works_the_same_day(world):
    tree, who = world
    member_id = await make_member(who["village"], tree, backbone=True)
    await members.approve(who["federation"], [member_id])
    assert [m["id"] for m in await members.pending_welcome_packs(who["village"], tree.village)] == [
        member_id
    ]
    await members.issue_welcome_pack(who["village"], member_id)
    await members.issue_welcome_pack(who["village"], member_id)
    assert await members.pending_welcome_packs(who["village"], tree.village) == []
    await members.undo_welcome_pack(who["village"], member_id)
    actions = [e["action"] for e in (await members.member_record(who["village"], member_id)).events]
    assert actions == ["applied", "approved", "welcome_pack", "welcome_pack_undone"]


async def test_welcome_pack_cannot_be_undone_the_next_day(world):
    tree, who = world
    member_id = await make_member(who["village"], tree, backbone=True)
    await members.approve(who["federation"], [member_id])
    await members.issue_welcome_pack(who["village"], member_id)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    await Member.update({Member.welcome_pack_at: yesterday}).where(Member.id == member_id).run()
    with pytest.raises(ValidationError) as error:
        await members.undo_welcome_pack(who["village"], member_id)
    assert list(error.value.errors) == ["welcome_pack"]


async def test_worker_post_history_keeps_the_previous_post(world):
    tree, who = world
    member_id = await make_member(who["village"], tree)
    await members.record_post(who["village"], member_id, "base", dt.date(2025, 3, 1))
    await members.record_post(who["village"], member_id, "livestream", dt.date(2026, 5, 1))
    posts = [
        (p["post"], p["started_on"], p["ended_on"])
        for p in (await members.member_record(who["village"], member_id)).posts
    ]
    assert posts == [
        ("base", dt.date(2025, 3, 1), dt.date(2026, 5, 1)),
        ("livestream", dt.date(2026, 5, 1), None),
    ]
    assert (await members.get_member(who["village"], member_id))["worker_post"] == "livestream"


async def test_stale_edit_is_refused(world):
    tree, who = world
    member_id = await make_member(who["village"], tree)
    changes = members.MemberChanges(
        phone=mobile(),
        village_id=tree.village,
        is_backbone=True,
        recruited_by_id=None,
        ethnicity="01",
        education="",
        version=1,
    )
    await members.update_member(who["village"], member_id, changes)
    with pytest.raises(ValidationError) as error:
        await members.update_member(who["federation"], member_id, changes)
    assert list(error.value.errors) == ["version"]


@pytest.mark.parametrize(
    "term", ["单雄信", "shanxiongxin", "sxx", "dxx", "DAN xiong", "5678", "123x"]
)
async def test_search_finds_by_name_pinyin_initials_and_number_tails(world, term):
    tree, who = world
    number = next(  # one ending in X, to search for its tail in lower case
        n
        for seq in range(1000)
        if (n := make_resident_id("500113", dt.date(1980, 1, 1), seq)).endswith("X")
    )
    term = term.replace("123x", number[-4:].lower())
    wanted = await make_member(
        who["village"], tree, "单雄信", id_number=number, phone="13912345678"
    )
    await make_member(who["village"], tree, "张三")
    found = await members.search(who["village"], members.MemberFilter(q=term))
    assert [row["id"] for row in found.rows] == [wanted]


async def test_search_is_limited_to_scope_and_filters(world):
    tree, who = world
    mine = await make_member(who["village"], tree, "张三", backbone=True)
    await make_member(
        who["federation"],
        tree,
        "张三丰",
        cooperative=tree.other_cooperative,
        village=tree.other_village,
    )
    found = await members.search(who["village"], members.MemberFilter(q="zs"))
    assert [r["id"] for r in found.rows] == [mine]
    both = await members.search(who["federation"], members.MemberFilter(q="zs"))
    assert len(both.rows) == 2
    backbone = await members.search(who["federation"], members.MemberFilter(backbone=True))
    assert [r["id"] for r in backbone.rows] == [mine]


async def test_search_pages_by_fifty(world):
    tree, who = world
    for n in range(members.PAGE_SIZE + 1):
        await make_member(who["admin"], tree, f"成员{n}")
    first = await members.search(who["admin"], members.MemberFilter())
    second = await members.search(who["admin"], members.MemberFilter(page=2))
    assert (len(first.rows), first.has_next, len(second.rows), second.has_next) == (
        50,
        True,
        1,
        False,
    )


async def test_full_id_is_revealed_to_approvers_only_and_audited(world):
    tree, who = world
    number = resident_id()
    member_id = await make_member(who["village"], tree, id_number=number)
    with pytest.raises(Forbidden):
        await members.reveal_resident_id(who["village"], member_id)
    assert await members.reveal_resident_id(who["federation"], member_id) == number
    latest = (await recent(1))[0]
    assert (latest["action"], latest["record_id"], number in latest["detail"]) == (
        "reveal_id",
        str(member_id),
        False,
    )


async def test_card_numbers_stay_unique_across_federations_without_a_prefix(world):
    tree, who = world
    here = await make_member(who["village"], tree, "王一", backbone=True)
    far = await make_member(
        who["admin"],
        tree,
        "王二",
        backbone=True,
        cooperative=tree.far_cooperative,
        village=tree.far_village,
    )
    result = await members.approve(who["admin"], [here, far])
    cards = [(await members.get_member(who["admin"], m))["card_number"] for m in result.approved]
    assert cards == [f"F{tree.federation}-000001", f"F{tree.far_federation}-000001"]


async def test_a_prefix_another_federation_uses_is_refused(world):
    tree, who = world
    await members.set_policy(who["admin"], tree.federation, "JJH", backbone_first=True)
    with pytest.raises(ValidationError) as refused:
        await members.set_policy(who["admin"], tree.far_federation, "jjh", backbone_first=True)
    assert list(refused.value.errors) == ["card_prefix"]
