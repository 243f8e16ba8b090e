"""Approval: applicants become members, with the federation's next card number, under its
enrollment policy (the card prefix, and backbone members first: 首批).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from coop import db
from coop.access import MANAGERS, Viewer, require
from coop.audit import domain as audit
from coop.i18n import local_today
from coop.members.domain.records import _event, write_change
from coop.members.queries import Status, get_member, policy
from coop.members.tables import EnrollmentPolicy, Member
from coop.orgs import domain as orgs
from coop.validation import Msg, NotFound, ValidationError

CARD_PREFIX_MAX = 10


@dataclass
class Approval:
    approved: list[int] = field(default_factory=list)
    refused: dict[int, Msg] = field(default_factory=dict)


# --- the enrollment policy ------------------------------------------------------------


def card_prefix(rules: dict) -> str:
    """The chosen prefix; without one, the federation's number, so cards stay unique."""
    return rules["card_prefix"] or f"F{rules['federation']}-"


async def _ensure_policy(federation_id: int) -> None:
    await (
        EnrollmentPolicy.insert(EnrollmentPolicy(federation=federation_id))
        .on_conflict(target=EnrollmentPolicy.federation, action="DO NOTHING")
        .run()
    )


async def set_policy(
    viewer: Viewer, federation_id: int, card_prefix: str, backbone_first: bool
) -> None:
    """Card-number prefix and enrollment phase; the prefix is fixed once a card is issued."""
    require(viewer, MANAGERS)
    await orgs.federation_for_edit(viewer.scope, federation_id)
    current = await policy(viewer, federation_id)
    errors: dict[str, Msg] = {}
    prefix = card_prefix.strip().upper()
    if len(prefix) > CARD_PREFIX_MAX or not all(c.isascii() and c.isalnum() for c in prefix):
        errors["card_prefix"] = Msg("Up to {max} letters and digits.", max=CARD_PREFIX_MAX)
    elif prefix != current["card_prefix"] and current["last_card_number"] > 0:
        errors["card_prefix"] = Msg(
            "Member cards with prefix “{prefix}” have been issued; "
            "the prefix can no longer change.",
            prefix=current["card_prefix"],
        )
    elif prefix and await EnrollmentPolicy.exists().where(
        (EnrollmentPolicy.card_prefix == prefix) & (EnrollmentPolicy.federation != federation_id)
    ):
        errors["card_prefix"] = Msg("Another federation uses this prefix; choose another.")
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await _ensure_policy(federation_id)
        opened_on = current["opened_on"]
        if not backbone_first and current["backbone_first"]:
            opened_on = local_today()
        await (
            EnrollmentPolicy.update(
                {
                    EnrollmentPolicy.card_prefix: prefix,
                    EnrollmentPolicy.backbone_first: backbone_first,
                    EnrollmentPolicy.opened_on: opened_on,
                }
            )
            .where(EnrollmentPolicy.federation == federation_id)
            .run()
        )
        await audit.record(
            viewer.actor,
            "update",
            "enrollment_policy",
            federation_id,
            f"card_prefix={prefix} backbone_first={backbone_first}",
        )


# --- approving ---------------------------------------------------------------------


async def approve(viewer: Viewer, member_ids: list[int]) -> Approval:
    """Approve applicants: join date today, the federation's next card number.

    Each member is approved or refused on its own, with the reason; one refusal
    does not stop the others.
    """
    require(viewer, MANAGERS)
    result = Approval()
    today = local_today()
    for member_id in dict.fromkeys(member_ids):
        try:
            member = await get_member(viewer, member_id)
        except NotFound:
            result.refused[member_id] = Msg("Not found.")
            continue
        if member["status"] != Status.applicant.value:
            result.refused[member_id] = Msg("Only applicants can be approved.")
            continue
        try:
            await _approve_one(viewer, member, today)
        except _Refused as refused:
            result.refused[member_id] = refused.message
            continue
        result.approved.append(member_id)
    return result


class _Refused(Exception):
    def __init__(self, message: Msg):
        super().__init__(message.text)
        self.message = message


async def next_card(federation_id: int) -> str:
    """The union's next card number (inside the caller's transaction): numbers only go up."""
    await _ensure_policy(federation_id)
    [numbered] = (
        await EnrollmentPolicy.update(
            {EnrollmentPolicy.last_card_number: EnrollmentPolicy.last_card_number + 1}
        )
        .where(EnrollmentPolicy.federation == federation_id)
        .returning(
            EnrollmentPolicy.federation,
            EnrollmentPolicy.card_prefix,
            EnrollmentPolicy.last_card_number,
        )
        .run()
    )
    return f"{card_prefix(numbered)}{numbered['last_card_number']:06d}"


async def approve_on(viewer: Viewer, member: dict, day: dt.date) -> str:
    """Approve one applicant with this join date (the membership change 入会)."""
    require(viewer, MANAGERS)
    try:
        return await _approve_one(viewer, member, day)
    except _Refused as refused:
        raise ValidationError({"kind": refused.message}) from None


async def _approve_one(viewer: Viewer, member: dict, today: dt.date) -> str:
    member_id = member["id"]
    async with db.transaction():
        await _ensure_policy(member["federation"])
        rules = (
            await EnrollmentPolicy.select()
            .where(EnrollmentPolicy.federation == member["federation"])
            .first()
            .run()
        )
        if rules["backbone_first"] and not member["is_backbone"]:
            raise _Refused(
                Msg(
                    "The federation is enrolling backbone members first; open enrollment to "
                    "everyone before approving other applicants."
                )
            )
        card = await next_card(member["federation"])
        changed = (
            await Member.update(
                {
                    Member.status: Status.member.value,
                    Member.join_date: today,
                    Member.card_number: card,
                    Member.first_batch: rules["backbone_first"],
                    Member.first_batch_on: today if rules["backbone_first"] else None,
                    Member.version: Member.version + 1,
                }
            )
            .where((Member.id == member_id) & (Member.status == Status.applicant.value))
            .returning(Member.id)
            .run()
        )
        if not changed:  # approved by someone else a moment ago: undo the number
            raise _Refused(Msg("Only applicants can be approved."))
        await _event(viewer, member_id, "approved", card)
        await write_change(viewer, member_id, member["federation"], "join", today)
        await audit.record(viewer.actor, "approve", "member", member_id, card)
    return card
