"""Transfers between unions in the system (会员接转): the sending union starts one, to
another federation or, when the new employer has no union, to the township union (held at
the place-of-residence union); the receiving union accepts it, choosing the cooperative
and village or "no cooperative", or refuses it with a reason; the sender may cancel it
while it waits.

Accepting is one transaction: the member leaves one roll and joins the other with the
original join date and a new card number from the receiving union's sequence, the old one
kept in the history. Every decision is a conditional update of a pending transfer, so a
double tap, a retry or a cancel racing an accept has exactly one effect.

Each side sees the transfer and the person transferred, nothing else of the other's.
"""

from __future__ import annotations

import datetime as dt

from coop import db
from coop.access import MANAGERS, Viewer, actor_id, is_unique_violation, now, require
from coop.audit import domain as audit
from coop.members.domain.approval import next_card
from coop.members.domain.membership import ON_ROLL, Change, ChangeInput, check
from coop.members.domain.records import _event, write_change
from coop.members.queries import get_member
from coop.members.tables import Member, MemberTransfer
from coop.orgs.tables import Cooperative, Union, Village
from coop.validation import Msg, NotFound, ValidationError, clean_text

TransferStatus = MemberTransfer.Status
REFUSAL_MAX = 200
RECEIVING_LEVELS = (Union.Level.federation.value, Union.Level.town.value)
DECIDED = {  # why a decision is refused: the transfer was decided already
    TransferStatus.accepted: Msg("This transfer was already accepted."),
    TransferStatus.refused: Msg("This transfer was already refused."),
    TransferStatus.cancelled: Msg("This transfer was already cancelled."),
}


def _sends(viewer: Viewer, transfer: dict) -> bool:
    return viewer.scope.everything or transfer["from_union"] in viewer.scope.federation_ids


def _receives(viewer: Viewer, transfer: dict) -> bool:
    return viewer.scope.everything or transfer["to_union"] in viewer.scope.federation_ids


# --- reading ------------------------------------------------------------------------

TRANSFER_COLUMNS = (
    MemberTransfer.all_columns(),
    MemberTransfer.member.name.as_alias("member_name"),
    MemberTransfer.member.id_masked.as_alias("member_id_masked"),
    MemberTransfer.member.join_date.as_alias("member_join_date"),
    MemberTransfer.from_union.name.as_alias("from_union_name"),
    MemberTransfer.to_union.name.as_alias("to_union_name"),
)


async def transfers(viewer: Viewer, *, decided: int = 20) -> dict[str, list[dict]]:
    """Pending transfers the viewer's unions send and receive, and the latest decided."""
    require(viewer, MANAGERS)
    query = MemberTransfer.select(*TRANSFER_COLUMNS).order_by(MemberTransfer.id, ascending=False)
    if not viewer.scope.everything:
        mine = list(viewer.scope.federation_ids) or [-1]
        query = query.where(
            MemberTransfer.from_union.is_in(mine) | MemberTransfer.to_union.is_in(mine)
        )
    pending = await query.where(MemberTransfer.status == TransferStatus.pending.value).run()
    return {
        "incoming": [t for t in pending if _receives(viewer, t)],
        "outgoing": [t for t in pending if _sends(viewer, t) and not _receives(viewer, t)],
        "decided": [
            t
            for t in await query.where(MemberTransfer.status != TransferStatus.pending.value)
            .limit(decided)
            .run()
        ],
    }


async def get_transfer(viewer: Viewer, transfer_id: int) -> dict:
    """One transfer, for either side; NotFound for anyone else."""
    require(viewer, MANAGERS)
    transfer = (
        await MemberTransfer.select(*TRANSFER_COLUMNS)
        .where(MemberTransfer.id == transfer_id)
        .first()
        .run()
    )
    if transfer is None or not (_sends(viewer, transfer) or _receives(viewer, transfer)):
        raise NotFound
    transfer["can_decide"] = _receives(viewer, transfer)
    transfer["can_cancel"] = _sends(viewer, transfer)
    return transfer


async def receiving_unions(exclude: int | None = None) -> list[dict]:
    """Unions in the system a member may be transferred to: federations and town unions."""
    query = (
        Union.select(Union.id, Union.name, Union.level)
        .where(Union.level.is_in(list(RECEIVING_LEVELS)))
        .order_by(Union.level)
        .order_by(Union.id)
    )
    return [u for u in await query.run() if u["id"] != exclude]


async def _town_of(union_id: int) -> int | None:
    union = await Union.select(Union.level, Union.parent).where(Union.id == union_id).first()
    if union is None:
        return None
    return union_id if union["level"] == Union.Level.town.value else union["parent"]


async def receiving_places(union_id: int) -> dict[str, list[dict]]:
    """Where the receiving union may place the member: its cooperatives, its town's villages."""
    cooperatives = (
        await Cooperative.select(Cooperative.id, Cooperative.name, Cooperative.village)
        .where(Cooperative.federation == union_id)
        .order_by(Cooperative.name)
        .run()
    )
    villages = (
        await Village.select(Village.id, Village.name)
        .where(Village.town == (await _town_of(union_id) or -1))
        .order_by(Village.name)
        .run()
    )
    return {"cooperatives": cooperatives, "villages": villages}


# --- starting ---------------------------------------------------------------------


async def start_transfer(
    viewer: Viewer, member_id: int, to_union_id: int, on_date: dt.date, reason: int | None
) -> int:
    """The sending union asks another union in the system to take the member; the id.
    The member stays on the sender's roll until the receiving union accepts."""
    require(viewer, MANAGERS)
    member = await get_member(viewer, member_id)
    _, errors = check(
        member,
        ChangeInput(
            kind=Change.transfer_out, on_date=on_date, reason=reason, to_union_id=to_union_id
        ),
    )
    target = await Union.select(Union.id, Union.level).where(Union.id == to_union_id).first().run()
    if target is None or target["level"] not in RECEIVING_LEVELS:
        errors["to_union_id"] = Msg("Choose a union from the list.")
    elif to_union_id == member["federation"]:
        errors["to_union_id"] = Msg("The member already belongs to this union.")
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        try:
            [row] = (
                await MemberTransfer.insert(
                    MemberTransfer(
                        member=member_id,
                        from_union=member["federation"],
                        to_union=to_union_id,
                        on_date=on_date,
                        reason=reason,
                        created_by=actor_id(viewer),
                    )
                )
                .returning(MemberTransfer.id)
                .run()
            )
        except Exception as error:
            if not is_unique_violation(error):
                raise
            raise ValidationError(
                {"to_union_id": Msg("A transfer of this member is already waiting.")}
            ) from None
        await _event(viewer, member_id, "transfer_sent", str(to_union_id))
        await audit.record(viewer.actor, "transfer_sent", "member", member_id, str(row["id"]))
    return row["id"]


# --- deciding ----------------------------------------------------------------------


async def _decide(viewer: Viewer, transfer: dict, status: TransferStatus, **values) -> None:
    """Move a pending transfer to `status` (inside the caller's transaction), or refuse:
    whoever decided first wins."""
    decided = (
        await MemberTransfer.update(
            {
                MemberTransfer.status: status.value,
                MemberTransfer.decided_by: actor_id(viewer),
                MemberTransfer.decided_at: now(),
                MemberTransfer.version: MemberTransfer.version + 1,
                **values,
            }
        )
        .where(
            (MemberTransfer.id == transfer["id"])
            & (MemberTransfer.status == TransferStatus.pending.value)
        )
        .returning(MemberTransfer.id)
        .run()
    )
    if not decided:
        current = (
            await MemberTransfer.select(MemberTransfer.status)
            .where(MemberTransfer.id == transfer["id"])
            .first()
            .run()
        )
        raise ValidationError({"transfer": DECIDED[TransferStatus(current["status"])]})


def _still_pending(transfer: dict) -> None:
    if transfer["status"] != TransferStatus.pending.value:
        raise ValidationError({"transfer": DECIDED[TransferStatus(transfer["status"])]})


async def accept_transfer(
    viewer: Viewer, transfer_id: int, cooperative_id: int | None, village_id: int | None
) -> None:
    """The receiving union takes the member: into one of its cooperatives, or none (an
    industrial worker, or a member held at the township union), and a village of its town."""
    transfer = await get_transfer(viewer, transfer_id)
    if not transfer["can_decide"]:
        raise NotFound
    _still_pending(transfer)
    to_union = transfer["to_union"]
    places = await receiving_places(to_union)
    errors: dict[str, Msg] = {}
    cooperative = next((c for c in places["cooperatives"] if c["id"] == cooperative_id), None)
    if cooperative_id is not None and cooperative is None:
        errors["cooperative_id"] = Msg("Choose a cooperative from the list.")
    if village_id is None and cooperative is not None:
        village_id = cooperative["village"]
    if village_id not in {v["id"] for v in places["villages"]}:
        errors["village_id"] = Msg("Choose a village from the list.")
    if errors:
        raise ValidationError(errors)
    member_id = transfer["member"]
    async with db.transaction():
        await _decide(viewer, transfer, TransferStatus.accepted)
        old = (
            await Member.select(Member.card_number, Member.status)
            .where(Member.id == member_id)
            .first()
            .run()
        )
        card = await next_card(to_union)
        moved = (
            await Member.update(
                {
                    Member.federation: to_union,
                    Member.cooperative: cooperative_id,
                    Member.village: village_id,
                    Member.card_number: card,
                    Member.recruited_by: None,
                    Member.version: Member.version + 1,
                }
            )
            .where(
                (Member.id == member_id)
                & (Member.federation == transfer["from_union"])
                & Member.status.is_in(list(ON_ROLL))
            )
            .returning(Member.id)
            .run()
        )
        if not moved:  # no longer on the sender's roll: the whole acceptance is undone
            raise ValidationError(
                {"transfer": Msg("The member is no longer on the sending union's roll.")}
            )
        old_card = old["card_number"] or ""
        await write_change(
            viewer,
            member_id,
            transfer["from_union"],
            Change.transfer_out.value,
            transfer["on_date"],
            reason=transfer["reason"],
            to_union=to_union,
            card_note=old_card,
        )
        await write_change(
            viewer,
            member_id,
            to_union,
            Change.transfer_in.value,
            transfer["on_date"],
            from_union=transfer["from_union"],
            card_note=old_card,
        )
        await _event(viewer, member_id, "transfer_accepted", f"{old_card} → {card}")
        await audit.record(viewer.actor, "transfer_accepted", "member", member_id, card)


async def refuse_transfer(viewer: Viewer, transfer_id: int, refusal: str) -> None:
    """The receiving union refuses, saying why; the member stays where they are."""
    transfer = await get_transfer(viewer, transfer_id)
    if not transfer["can_decide"]:
        raise NotFound
    _still_pending(transfer)
    errors: dict[str, Msg] = {}
    refusal = clean_text(errors, "refusal", refusal, max_length=REFUSAL_MAX)
    if errors:
        raise ValidationError(errors)
    async with db.transaction():
        await _decide(viewer, transfer, TransferStatus.refused, refusal=refusal)
        await _event(viewer, transfer["member"], "transfer_refused", refusal)
        await audit.record(viewer.actor, "transfer_refused", "member", transfer["member"])


async def cancel_transfer(viewer: Viewer, transfer_id: int) -> None:
    """The sending union takes a waiting transfer back."""
    transfer = await get_transfer(viewer, transfer_id)
    if not transfer["can_cancel"]:
        raise NotFound
    _still_pending(transfer)
    async with db.transaction():
        await _decide(viewer, transfer, TransferStatus.cancelled)
        await _event(viewer, transfer["member"], "transfer_cancelled")
        await audit.record(viewer.actor, "transfer_cancelled", "member", transfer["member"])
