"""Many members, quickly: `coop demo --members N`, for benchmarks.

Built in Python and written a chunk per transaction by the members' one writer of
new members (members.write_new_members, one INSERT per table): going through the
enrollment rules one person at a time would take hours for 100,000 people. The
stored values are those enrollment stores (members.applicant_values, then the
person's later story), card numbers taken from the federation's sequence.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from coop import db
from coop.audit import domain as audit
from coop.demo.people import (
    BIRTH_DAYS,
    BIRTH_FIRST,
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
    record_fields,
)
from coop.demo.tree import ACTOR
from coop.members import domain as members
from coop.members.identity import ResidentId, check_resident_id, make_resident_id
from coop.members.tables import EnrollmentPolicy, Member

BULK_SEQUENCES = 500  # sequence numbers 500-999; the default demo uses 000-499
BULK_SPACE = BIRTH_DAYS * BULK_SEQUENCES  # 9,131,500 people per area code
BULK_STRIDE = 7_368_787  # coprime with BULK_SPACE: k -> (birth date, sequence) is one-to-one
BULK_AREAS = ["500113", "500112", "500107", "500108", "500106"]
BULK_CHUNK = 2000
BULK_SHARES = [  # status, share
    (Member.Status.applicant.value, 0.03),
    (Member.Status.left.value, 0.01),
    (Member.Status.transferred_out.value, 0.01),
]


def bulk_person(k: int, rng: random.Random) -> Person:
    """The k-th generated person: a different ID number for every k below 45 million."""
    j = k * BULK_STRIDE % BULK_SPACE
    sequence = BULK_SEQUENCES + j // BIRTH_DAYS
    born = BIRTH_FIRST + dt.timedelta(days=j % BIRTH_DAYS)
    number = make_resident_id(BULK_AREAS[k // BULK_SPACE % len(BULK_AREAS)], born, sequence)
    sex = "M" if sequence % 2 else "F"
    return Person(_name(rng, sex), sex, number, f"1990{1_000_000 + k % 9_000_000:07d}")


def _birth_date(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@functools.cache
def _birth_place(area: str, year: int) -> str:
    return check_resident_id(make_resident_id(area, dt.date(year, 7, 1), 1)).birth_place


def _days(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A day from start to end, both included."""
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days + 1)))


@dataclass
class _Place:
    cooperatives: list[dict]
    weights: list[int]
    towns: dict[int, list[int]]
    recruiters: dict[int, list[int]]


def _bulk_row(k: int, rng: random.Random, place: _Place, today: dt.date) -> members.NewMember:
    person = bulk_person(k, rng)
    number, phone = person.resident_id, person.phone
    [cooperative] = rng.choices(place.cooperatives, place.weights)
    status = Member.Status.member.value
    draw = rng.random()
    for name, share in BULK_SHARES:
        if draw < share:
            status = name
            break
        draw -= share
    earliest = (cooperative["founded_on"] or dt.date(2022, 6, 1)) + dt.timedelta(days=30)
    applied = _days(rng, earliest, today - dt.timedelta(days=45))
    joined = None if status == "applicant" else applied + dt.timedelta(days=rng.randrange(1, 31))
    ended = status in ("left", "transferred_out")
    left_on = _days(rng, joined + dt.timedelta(days=1), today) if ended else None
    events = [[_local(applied, rng), "applied", ""]]
    if joined:
        events.append([_local(joined, rng), "approved", None])
    pack_at = None
    if joined and rng.random() < 0.62:
        pack_at = _local(joined + dt.timedelta(days=rng.randrange(15)), rng)
        events.append([pack_at, "welcome_pack", ""])
    posts = []
    if not ended and rng.random() < 0.4:
        first, second = rng.sample(POSTS, 2)
        started = _days(rng, applied, today)
        if rng.random() < 0.25 and started < today:
            moved = _days(rng, started + dt.timedelta(days=1), today)
            posts = [(first, started, moved), (second, moved, None)]
        else:
            posts = [(first, started, None)]
        events += [[_local(day, rng), "worker_post", post] for post, day, _ in posts]
    leave_reason = transferred_to = ""
    if ended:
        transfer = status == "transferred_out"
        transferred_to = rng.choice(TRANSFERS) if transfer else ""
        leave_reason = "迁居" if transfer else rng.choice(LEAVE_REASONS)
        events.append([_local(left_on, rng), status, transferred_to or leave_reason])
    recruiters = place.recruiters.get(cooperative["id"])
    data = members.EnrollmentInput(
        name=person.name,
        resident_id=number,
        phone=phone,
        ethnicity=rng.choice(ETHNICITIES),
        **record_fields(rng),
        cooperative_id=cooperative["id"],
        village_id=_village(rng, cooperative, place.towns),
        is_backbone=rng.random() < 0.02,
        recruited_by_id=rng.choice(recruiters) if recruiters and rng.random() < 0.85 else None,
        worker_post=posts[-1][0] if posts else "",
    )
    checked = ResidentId(
        number,
        sex=person.sex,
        birth_date=_birth_date(number),
        birth_place=_birth_place(number[:6], int(number[6:10])),
    )
    values = members.applicant_values(data, checked, phone, cooperative["federation"])
    values.update(
        status=status,
        applied_on=applied,
        join_date=joined,
        welcome_pack_at=pack_at,
        left_on=left_on,
        leave_reason=leave_reason,
        transferred_to=transferred_to,
    )
    keys = members.search_key_texts(person.name, number, phone)
    return members.NewMember(values, keys, events, posts, version=len(events))


async def _card_numbers(federation: int, count: int) -> list[str]:
    """The federation's next `count` card numbers, as approval would give them."""
    [row] = (
        await EnrollmentPolicy.update(
            {EnrollmentPolicy.last_card_number: EnrollmentPolicy.last_card_number + count}
        )
        .where(EnrollmentPolicy.federation == federation)
        .returning(EnrollmentPolicy.last_card_number, EnrollmentPolicy.card_prefix)
        .run()
    )
    last = row["last_card_number"]
    return [f"{row['card_prefix']}{n:06d}" for n in range(last - count + 1, last + 1)]


async def _write_chunk(rows: list[members.NewMember]) -> int:
    """Insert one chunk in one transaction; people whose ID is already there are skipped."""
    async with db.transaction():
        hashes = [row.values["id_hash"] for row in rows]
        taken = {
            found["id_hash"]
            for found in await Member.select(Member.id_hash)
            .where(Member.id_hash.is_in(hashes))
            .run()
        }
        rows = [row for row in rows if row.values["id_hash"] not in taken]
        if not rows:
            return 0
        carded: dict[int, list[members.NewMember]] = {}
        for row in rows:
            if row.values["join_date"] is not None:
                carded.setdefault(row.values["federation"], []).append(row)
        for federation, group in carded.items():
            for row, card in zip(group, await _card_numbers(federation, len(group)), strict=True):
                row.values["card_number"] = card
                for event in row.events:
                    if event[2] is None:  # "approved": its detail is the card number
                        event[2] = card
        await members.write_new_members(rows, None)
    return len(rows)


async def add_members(count: int, report: Callable[[str], None] = print) -> int:
    """Add `count` more fictional members to the demo cooperatives; the number added.

    Every run continues where the last one stopped: new ID numbers, card numbers
    after the federation's last one.
    """
    started = time.perf_counter()
    by_name = await _cooperatives()
    cooperatives = [by_name[name] for name, _, _ in MEMBER_PLAN]
    recruiters: dict[int, list[int]] = {}
    for row in (
        await Member.select(Member.id, Member.cooperative)
        .where(Member.is_backbone.eq(True) & Member.status.is_in(list(members.ACTIVE)))
        .order_by(Member.id)
        .run()
    ):
        recruiters.setdefault(row["cooperative"], []).append(row["id"])
    place = _Place(
        cooperatives, [total for _, total, _ in MEMBER_PLAN], await _villages_by_town(), recruiters
    )
    async with db.transaction():
        for federation in {c["federation"] for c in cooperatives}:
            await members._ensure_policy(federation)
    k = await Member.count().run()  # past every person an earlier run generated
    rng = random.Random(f"{SEED}-{k}")
    today = members.local_today()
    added, step = 0, max(BULK_CHUNK, count // 10)
    while added < count:
        size = min(BULK_CHUNK, count - added)
        rows = [_bulk_row(k + i, rng, place, today) for i in range(size)]
        k += size
        before = added
        added += await _write_chunk(rows)
        if added // step > before // step or added == count:
            report(f"{added:>9,} / {count:,} members  {time.perf_counter() - started:6.1f} s")
    await audit.record(ACTOR, "demo_members", "member", "", f"{added} generated members")
    return added
