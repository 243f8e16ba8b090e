"""Membership changes (会籍变化): the state machine as a table, every change from every
status; transfers between unions in the system, and their races."""

import asyncio
import datetime as dt

import pytest

from coop import access
from coop.members import domain as members
from coop.members.tables import Member, MembershipChange, MemberTransfer
from coop.validation import Msg, NotFound, ValidationError
from tests.factories import make_member, make_user, viewer

S = Member.Status
C = members.Change
TODAY = members.local_today()

# What every change leads to from every status: None, refused. Written out in full, as
# the union's rules read, apart from the table in coop.members.domain.membership.
EXPECTED = {
    (S.applicant, C.join): S.member,
    (S.applicant, C.transfer_in): S.member,
    (S.applicant, C.withdraw): S.left,
    (S.member, C.retain): S.retained,
    (S.member, C.transfer_out): S.transferred_out,
    (S.member, C.expel): S.expelled,
    (S.member, C.withdraw): S.left,
    (S.retained, C.restore): S.member,
    (S.retained, C.transfer_out): S.transferred_out,
    (S.retained, C.expel): S.expelled,
    (S.retained, C.withdraw): S.left,
    (S.transferred_out, C.transfer_in): S.member,
    (S.left, C.join): S.member,
}

REASON_FOR = {C.retain: 1, C.transfer_out: 1, C.expel: 6, C.withdraw: 5}


def _change(kind: C, **more) -> members.ChangeInput:
    extra = {"to_union_name": "外省某工会"} if kind == C.transfer_out else {}
    if kind == C.transfer_in:
        extra = {"from_union_name": "外省某工会", "card_note": "OLD-1"}
    values = {"kind": kind.value, "on_date": TODAY, "reason": REASON_FOR.get(kind), **extra}
    return members.ChangeInput(**{**values, **more})


async def _in_status(who, tree, status: S) -> int:
    member_id = await make_member(who["federation"], tree, backbone=True)
    if status != S.applicant:
        await members.approve(who["federation"], [member_id])
        await Member.update({Member.status: status.value}).where(Member.id == member_id).run()
    return member_id


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("change", list(C))
async def test_every_change_from_every_status_follows_the_table(world, status, change):
    tree, who = world
    member_id = await _in_status(who, tree, status)
    expected = EXPECTED.get((status, change))
    assert members.next_status(status.value, change) == (expected and expected.value)
    if expected is None:
        with pytest.raises(ValidationError) as refused:
            await members.record_change(who["federation"], member_id, _change(change))
        assert refused.value.errors["kind"] == members.NOT_ALLOWED[status]
        after = await members.get_member(who["federation"], member_id)
        assert after["status"] == status.value
        return
    await members.record_change(who["federation"], member_id, _change(change))
    after = await members.get_member(who["federation"], member_id)
    kinds = [
        c["kind"]
        for c in await MembershipChange.select().where(MembershipChange.member == member_id)
    ]
    assert (after["status"], kinds[-1]) == (expected.value, change.value)


async def test_transfer_in_keeps_the_original_join_date_and_the_old_card_in_history(world):
    tree, who = world
    member_id = await make_member(who["federation"], tree, backbone=True)
    await members.record_change(
        who["federation"],
        member_id,
        _change(C.transfer_in, join_date=dt.date(2015, 5, 4), card_note="CQ-0042"),
    )
    member = await members.get_member(who["federation"], member_id)
    history = await members.membership_changes(who["federation"], member_id)
    assert (member["status"], member["join_date"], member["card_number"]) == (
        "member",
        dt.date(2015, 5, 4),
        f"F{tree.federation}-000001",
    )
    assert [(h["kind"], h["from_union_name"], h["card_note"]) for h in history] == [
        ("transfer_in", "外省某工会", "CQ-0042")
    ]


async def test_a_reason_outside_the_change_s_list_is_refused_naming_the_allowed(world):
    tree, who = world
    member_id = await _in_status(who, tree, S.member)
    with pytest.raises(ValidationError) as refused:
        await members.record_change(who["federation"], member_id, _change(C.expel, reason=5))
    assert refused.value.errors == {
        "reason": Msg("Choose a reason from the list: {codes}.", codes="6")
    }


async def test_rejoin_after_withdrawal_is_a_new_join_on_the_same_person(world):
    tree, who = world
    member_id = await _in_status(who, tree, S.member)
    card = (await members.get_member(who["federation"], member_id))["card_number"]
    await members.record_change(who["federation"], member_id, _change(C.withdraw))
    await members.record_change(who["federation"], member_id, _change(C.join))
    member = await members.get_member(who["federation"], member_id)
    kinds = [h["kind"] for h in await members.membership_changes(who["federation"], member_id)]
    assert (member["status"], member["card_number"], kinds) == (
        "member",
        card,
        ["join", "withdraw", "join"],
    )


async def test_retained_member_gets_no_welcome_pack(world):
    tree, who = world
    member_id = await _in_status(who, tree, S.member)
    await members.record_change(who["federation"], member_id, _change(C.retain))
    with pytest.raises(ValidationError):
        await members.issue_welcome_pack(who["federation"], member_id)


async def test_village_organizer_may_not_record_changes(world):
    tree, who = world
    member_id = await _in_status(who, tree, S.member)
    with pytest.raises(Exception) as refused:
        await members.record_change(who["village"], member_id, _change(C.retain))
    assert type(refused.value).__name__ == "Forbidden"


# --- transfers ------------------------------------------------------------------------


@pytest.fixture
async def far(world):
    tree, _ = world
    user = await make_user(
        "far", access.Role.federation_organizer, federation_id=tree.far_federation
    )
    return await viewer(user)


async def _sent(who, tree, to_union=None) -> tuple[int, int]:
    member_id = await _in_status(who, tree, S.member)
    transfer_id = await members.start_transfer(
        who["federation"], member_id, to_union or tree.far_federation, TODAY, 1
    )
    return member_id, transfer_id


async def test_accepted_transfer_moves_the_member_with_join_date_and_a_new_card(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    before = await members.get_member(who["federation"], member_id)
    await members.accept_transfer(far, transfer_id, tree.far_cooperative, None)
    after = await members.get_member(far, member_id)
    assert (after["federation"], after["cooperative"], after["village"], after["status"]) == (
        tree.far_federation,
        tree.far_cooperative,
        tree.far_village,
        "member",
    )
    assert (after["join_date"], after["card_number"]) == (
        before["join_date"],
        f"F{tree.far_federation}-000001",
    )
    history = await members.membership_changes(far, member_id)
    assert [(h["kind"], h["federation"], h["card_note"]) for h in history] == [
        ("join", tree.federation, ""),
        ("transfer_out", tree.federation, before["card_number"]),
        ("transfer_in", tree.far_federation, before["card_number"]),
    ]
    with pytest.raises(NotFound):  # the sender no longer sees the person
        await members.get_member(who["federation"], member_id)


async def test_receiving_organizer_sees_the_person_transferred_and_nobody_else(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    listed = await members.transfers(far)
    assert [t["member"] for t in listed["incoming"]] == [member_id]
    with pytest.raises(NotFound):
        await members.get_member(far, member_id)


async def test_accepting_with_no_cooperative_places_an_industrial_worker(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    await members.accept_transfer(far, transfer_id, None, tree.far_village)
    after = await members.get_member(far, member_id)
    assert (after["cooperative"], after["cooperative_name"], after["village"]) == (
        None,
        None,
        tree.far_village,
    )


async def test_transfer_to_the_township_union_is_accepted_by_its_staff(world):
    tree, who = world
    town_staff = await viewer(
        await make_user("town", access.Role.federation_organizer, federation_id=tree.far_town)
    )
    member_id, transfer_id = await _sent(who, tree, to_union=tree.far_town)
    assert [t["id"] for t in (await members.transfers(town_staff))["incoming"]] == [transfer_id]
    await members.accept_transfer(town_staff, transfer_id, None, tree.far_village)
    after = await members.get_member(town_staff, member_id)
    assert (after["federation"], after["cooperative"], after["card_number"]) == (
        tree.far_town,
        None,
        f"F{tree.far_town}-000001",
    )


async def test_transfer_to_the_member_s_own_federation_is_refused(world):
    tree, who = world
    member_id = await _in_status(who, tree, S.member)
    with pytest.raises(ValidationError) as refused:
        await members.start_transfer(who["federation"], member_id, tree.federation, TODAY, 1)
    assert refused.value.errors == {"to_union_id": Msg("The member already belongs to this union.")}


async def test_second_transfer_while_one_waits_is_refused(world):
    tree, who = world
    member_id, _ = await _sent(who, tree)
    with pytest.raises(ValidationError) as refused:
        await members.start_transfer(who["federation"], member_id, tree.far_town, TODAY, 1)
    assert refused.value.errors == {
        "to_union_id": Msg("A transfer of this member is already waiting.")
    }


async def test_accepting_twice_is_refused_and_changes_nothing_more(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    await members.accept_transfer(far, transfer_id, tree.far_cooperative, None)
    with pytest.raises(ValidationError) as refused:
        await members.accept_transfer(far, transfer_id, tree.far_cooperative, None)
    assert refused.value.errors == {"transfer": Msg("This transfer was already accepted.")}
    assert await MembershipChange.count().where(MembershipChange.member == member_id) == 3
    assert (await members.get_member(far, member_id))["card_number"] == (
        f"F{tree.far_federation}-000001"
    )


async def test_refused_transfer_keeps_the_member_and_says_why(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    with pytest.raises(ValidationError) as empty:
        await members.refuse_transfer(far, transfer_id, " ")
    await members.refuse_transfer(far, transfer_id, "本人未到岗")
    transfer = await members.get_transfer(who["federation"], transfer_id)
    member = await members.get_member(who["federation"], member_id)
    assert empty.value.errors == {"refusal": Msg("This field is required.")}
    assert (transfer["status"], transfer["refusal"], member["federation"]) == (
        "refused",
        "本人未到岗",
        tree.federation,
    )


async def test_out_of_scope_transfer_and_member_are_not_found(world, far):
    tree, who = world
    _, transfer_id = await _sent(who, tree)
    other = await viewer(
        await make_user("other", access.Role.federation_organizer, federation_id=tree.far_town)
    )
    with pytest.raises(NotFound):
        await members.get_transfer(other, transfer_id)
    with pytest.raises(NotFound):
        await members.accept_transfer(who["federation"], transfer_id, None, tree.village)
    far_member = await make_member(
        far, tree, cooperative=tree.far_cooperative, village=tree.far_village
    )
    with pytest.raises(NotFound):
        await members.record_change(who["federation"], far_member, _change(C.withdraw))


async def test_sender_cancelling_while_receiver_accepts_one_wins(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    outcomes = await asyncio.gather(
        members.cancel_transfer(who["federation"], transfer_id),
        members.accept_transfer(far, transfer_id, tree.far_cooperative, None),
        return_exceptions=True,
    )
    won = [o for o in outcomes if o is None]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(won), len(lost)) == (1, 1)
    transfer = await MemberTransfer.select().where(MemberTransfer.id == transfer_id).first()
    member = await Member.select(Member.federation).where(Member.id == member_id).first()
    expected = tree.far_federation if transfer["status"] == "accepted" else tree.federation
    changes = await MembershipChange.count().where(MembershipChange.member == member_id)
    assert (member["federation"], changes) == (
        expected,
        3 if transfer["status"] == "accepted" else 1,
    )


async def test_double_tapped_accept_has_one_effect(world, far):
    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    outcomes = await asyncio.gather(
        *(members.accept_transfer(far, transfer_id, tree.far_cooperative, None) for _ in range(3)),
        return_exceptions=True,
    )
    assert sum(o is None for o in outcomes) == 1
    assert await MembershipChange.count().where(MembershipChange.member == member_id) == 3


async def test_member_without_cooperative_is_listed_edited_and_exported(world, far, client):
    from tests.factories import post_form, sign_in

    tree, who = world
    member_id, transfer_id = await _sent(who, tree)
    await members.accept_transfer(far, transfer_id, None, tree.far_village)
    found = await members.search(far, members.MemberFilter())
    member = await members.get_member(far, member_id)
    changes = members.MemberChanges(
        phone="",
        village_id=tree.far_village,
        is_backbone=True,
        recruited_by_id=None,
        ethnicity="",
        education="",
        poverty_status="",
        version=member["version"],
    )
    await members.update_member(far, member_id, changes)
    await sign_in(client, "far")
    listed = await client.get("/members/")
    exported = await post_form(
        client, "/members/export", {"format": "csv", "columns": ["name", "cooperative"]}
    )
    assert [(m["id"], m["cooperative_name"]) for m in found.rows] == [(member_id, None)]
    assert (await members.get_member(far, member_id))["is_backbone"] is True
    assert "不属合作社（产业工人）" in listed.text
    name = member["name"]
    assert (exported.status_code, exported.text.splitlines()[1:]) == (200, [f"{name},"])


async def test_migration_writes_the_history_so_far_as_changes(world):
    """The migration's last statements, run again on rows as they were before it: joins,
    transfers out and departures recorded on the member become changes."""
    import importlib

    from coop.members.tables import MemberEvent

    migration = importlib.import_module(
        "coop.members.piccolo_migrations.members_2026_12_05t21_40_00_000000"
    )
    tree, who = world
    stayed, moved, left = [await _in_status(who, tree, S.member) for _ in range(3)]
    day = dt.date(2025, 3, 1)
    await (
        Member.update(
            {Member.status: "transferred_out", Member.left_on: day, Member.transferred_to: "外省"}
        )
        .where(Member.id == moved)
        .run()
    )
    await (
        Member.update({Member.status: "left", Member.left_on: day, Member.leave_reason: "外出务工"})
        .where(Member.id == left)
        .run()
    )
    await MembershipChange.delete(force=True).run()
    for sql in migration.statements("")[-3:]:
        await MemberEvent.raw(sql).run()
    rows = (
        await MembershipChange.select(
            MembershipChange.member,
            MembershipChange.kind,
            MembershipChange.reason,
            MembershipChange.to_union_name,
            MembershipChange.note,
        )
        .order_by(MembershipChange.member)
        .order_by(MembershipChange.kind)
    )
    assert [tuple(r.values()) for r in rows] == [
        (stayed, "join", None, "", ""),
        (moved, "join", None, "", ""),
        (moved, "transfer_out", 1, "外省", ""),
        (left, "join", None, "", ""),
        (left, "withdraw", 5, "", "外出务工"),
    ]
