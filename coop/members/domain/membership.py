"""Membership changes (会籍变化, 《工会会员会籍管理办法》 ACFTU 2016: "一次入会、动态接转"):
the kinds of change, their coded reasons, the state machine saying from which status each
change is allowed, and recording one change.

The state machine is `TRANSITIONS`, a table: nothing else decides whether a change is
allowed. A transfer to a union in the system is started here and finished by the
receiving union (coop.members.domain.transfers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from coop import db
from coop.access import MANAGERS, Viewer, require
from coop.audit import domain as audit
from coop.i18n import local_today
from coop.members.domain.approval import approve_on, next_card
from coop.members.domain.records import _event, write_change
from coop.members.queries import get_member
from coop.members.tables import Member, WorkerPost
from coop.validation import Msg, ValidationError

Status = Member.Status


class Change(StrEnum):
    join = "join"  # 入会
    transfer_in = "transfer_in"  # 转入
    retain = "retain"  # 保留
    restore = "restore"  # 恢复 (from retained)
    transfer_out = "transfer_out"  # 转出
    expel = "expel"  # 除名
    withdraw = "withdraw"  # 退会


class Reason(IntEnum):
    """会籍变化原因, the union's six coded reasons."""

    work_relation_changed = 1  # 劳动（工作）关系发生变化
    laid_off = 2  # 在本单位下岗后待岗
    unemployed = 3  # 失业
    employer_bankrupt = 4  # 所在企业破产
    own_request = 5  # 个人要求退会
    expelled_for_crime = 6  # 因犯罪被开除会籍


# The state machine: each change, the statuses it is allowed from, the status it leads to.
# A re-join after withdrawal is a new join on the same person (from `left`). A transfer
# between unions in the system keeps the person a member (coop.members.domain.transfers);
# `transfer_out` here ends the membership in the system (to a union outside it).
TRANSITIONS: dict[Change, tuple[frozenset[str], str]] = {
    Change.join: (frozenset({Status.applicant, Status.left}), Status.member),
    Change.transfer_in: (frozenset({Status.applicant, Status.transferred_out}), Status.member),
    Change.retain: (frozenset({Status.member}), Status.retained),
    Change.restore: (frozenset({Status.retained}), Status.member),
    Change.transfer_out: (frozenset({Status.member, Status.retained}), Status.transferred_out),
    Change.expel: (frozenset({Status.member, Status.retained}), Status.expelled),
    Change.withdraw: (
        frozenset({Status.applicant, Status.member, Status.retained}),
        Status.left,
    ),
}

# The reasons each change takes (empty: none).
REASONS: dict[Change, frozenset[Reason]] = {
    Change.join: frozenset(),
    Change.transfer_in: frozenset(),
    Change.restore: frozenset(),
    Change.retain: frozenset(
        {Reason.work_relation_changed, Reason.laid_off, Reason.unemployed, Reason.employer_bankrupt}
    ),
    Change.transfer_out: frozenset({Reason.work_relation_changed}),
    Change.expel: frozenset({Reason.expelled_for_crime}),
    Change.withdraw: frozenset({Reason.own_request}),
}

ON_ROLL = (Status.member.value, Status.retained.value)  # counted; retained apart
ENTRIES = (Change.join.value, Change.transfer_in.value)  # onto a union's roll
EXITS = (Change.transfer_out.value, Change.expel.value, Change.withdraw.value)  # off it

UNION_NAME_MAX = 100
CARD_NOTE_MAX = 40
NOTE_MAX = 200


def next_status(status: str, change: Change) -> str | None:
    """The status `change` leads to from `status`; None: not allowed from there."""
    allowed_from, to = TRANSITIONS[change]
    return to.value if status in allowed_from else None


def allowed_changes(status: str) -> list[Change]:
    """The changes allowed from `status`, in the table's order."""
    return [change for change in Change if next_status(status, change)]


@dataclass
class ChangeInput:
    """One change as the form and the API send it (already checked for type and length)."""

    kind: str
    on_date: dt.date
    reason: int | None = None
    to_union_id: int | None = None  # a union in the system: starts a transfer
    to_union_name: str = ""  # a union outside the system
    from_union_name: str = ""  # transfer in: the union they come from, outside the system
    card_note: str = ""  # transfer in: the card number they bring
    join_date: dt.date | None = None  # transfer in: the original join date, kept
    note: str = ""
    version: int | None = None  # the member's version the form was made from


# Why a change is refused, by the member's status.
NOT_ALLOWED = {
    Status.applicant: Msg("This change is not allowed for an applicant."),
    Status.member: Msg("This change is not allowed for a member."),
    Status.retained: Msg("This change is not allowed while the membership is retained."),
    Status.transferred_out: Msg("This change is not allowed for someone who transferred out."),
    Status.left: Msg("This change is not allowed for someone who withdrew."),
    Status.expelled: Msg("This change is not allowed for someone who was expelled."),
}
STALE = Msg("Someone else changed this member a moment ago. Check the record and try again.")


def check(member: dict, data: ChangeInput) -> tuple[Change, dict[str, Msg]]:
    """The change asked for, and what is wrong with it (field → message)."""
    errors: dict[str, Msg] = {}
    try:
        change = Change(data.kind)
    except ValueError:
        return Change.join, {"kind": Msg("Choose a change from the list.")}
    if next_status(member["status"], change) is None:
        errors["kind"] = NOT_ALLOWED[Status(member["status"])]
    reasons = REASONS[change]
    if reasons and data.reason not in {r.value for r in reasons}:
        errors["reason"] = Msg(
            "Choose a reason from the list: {codes}.",
            codes=", ".join(str(r.value) for r in sorted(reasons)),
        )
    elif not reasons and data.reason is not None:
        errors["reason"] = Msg("This change takes no reason.")
    if data.on_date > local_today():
        errors["on_date"] = Msg("The date cannot be in the future.")
    if member["join_date"] and data.on_date < member["join_date"] and change != Change.join:
        errors["on_date"] = Msg("The date cannot be before the member joined.")
    if change == Change.transfer_out and not (data.to_union_id or data.to_union_name):
        errors["to_union_name"] = Msg("Name the union that receives the member.")
    if change == Change.transfer_in:
        if data.join_date and data.join_date > data.on_date:
            errors["join_date"] = Msg("The original join date cannot be after the transfer.")
        if not (data.from_union_name or member["join_date"]):
            errors["from_union_name"] = Msg("Name the union the member comes from.")
    return change, errors


async def record_change(viewer: Viewer, member_id: int, data: ChangeInput) -> None:
    """Record one change of membership, if the state machine allows it from the member's
    current status; a transfer to a union in the system waits for that union instead."""
    require(viewer, MANAGERS)
    member = await get_member(viewer, member_id)
    change, errors = check(member, data)
    if errors:
        raise ValidationError(errors)
    if data.version is not None and data.version != member["version"]:
        raise ValidationError({"version": STALE})
    if change == Change.transfer_out and data.to_union_id:
        from coop.members.domain.transfers import start_transfer

        await start_transfer(viewer, member_id, data.to_union_id, data.on_date, data.reason)
        return
    if change == Change.join and member["status"] == Status.applicant.value:
        await approve_on(viewer, member, data.on_date)
        return
    await _write(viewer, member, change, data)


async def _write(viewer: Viewer, member: dict, change: Change, data: ChangeInput) -> None:
    member_id = member["id"]
    status = next_status(member["status"], change)
    values: dict = {Member.status: status, Member.version: Member.version + 1}
    card_note = data.card_note
    if change in (Change.join, Change.transfer_in):
        values[Member.left_on] = None
        values[Member.join_date] = (
            data.join_date or member["join_date"] if change == Change.transfer_in else data.on_date
        ) or data.on_date
    if change in (Change.transfer_out, Change.expel, Change.withdraw):
        values[Member.left_on] = data.on_date
        values[Member.leave_reason] = data.note
        values[Member.transferred_to] = data.to_union_name
    async with db.transaction():
        if change == Change.transfer_in or (change == Change.join and not member["card_number"]):
            if member["card_number"] and change == Change.transfer_in:
                card_note = card_note or member["card_number"]
            values[Member.card_number] = await next_card(member["federation"])
        changed = (
            await Member.update(values)
            .where((Member.id == member_id) & (Member.status == member["status"]))
            .returning(Member.id)
            .run()
        )
        if not changed:  # a moment ago someone else changed the status: nothing happens
            raise ValidationError({"version": STALE})
        if change in (Change.transfer_out, Change.expel, Change.withdraw):
            await (
                WorkerPost.update({WorkerPost.ended_on: data.on_date})
                .where((WorkerPost.member == member_id) & WorkerPost.ended_on.is_null())
                .run()
            )
        await write_change(
            viewer,
            member_id,
            member["federation"],
            change.value,
            data.on_date,
            reason=data.reason,
            from_union_name=data.from_union_name,
            to_union_name=data.to_union_name,
            card_note=card_note,
            note=data.note,
        )
        detail = data.to_union_name or data.from_union_name or data.note
        await _event(viewer, member_id, f"change_{change.value}", detail)
        await audit.record(viewer.actor, f"change_{change.value}", "member", member_id)
