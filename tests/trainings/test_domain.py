"""Training rules, straight against the domain and the real database."""

import datetime as dt

import pytest

from coop.accounts.idempotency import KeyReused
from coop.audit.domain import recent
from coop.trainings import domain as trainings
from coop.trainings.tables import Registration, TrainingSession
from coop.validation import Forbidden, NotFound, ValidationError
from tests.factories import (
    make_member,
    make_programme,
    make_session,
    mobile,
    registrant,
    resident_id,
)

NOW = dt.datetime.now(dt.UTC)


async def _open_session(who, tree, **changes) -> dict:
    programme = await make_programme(who["federation"], tree)
    session_id = await make_session(who["federation"], programme, **changes)
    return await trainings.get_session(who["federation"], session_id)


async def _register(session, tree, name="李四", **changes) -> trainings.Registered:
    return await trainings.register(session, registrant(tree, name, **changes))


async def _statuses(session_id: int) -> list[tuple[str, str]]:
    rows = (
        await Registration.select(Registration.name, Registration.status)
        .where(Registration.session == session_id)
        .order_by(Registration.number)
        .run()
    )
    return [(r["name"], r["status"]) for r in rows]


async def _seats_taken(session_id: int) -> int:
    row = await TrainingSession.select(TrainingSession.seats_taken).where(
        TrainingSession.id == session_id
    )
    return row[0]["seats_taken"]


async def test_seats_go_in_order_then_the_waiting_list(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=2)
    for name in ("甲", "乙", "丙", "丁"):
        await _register(session, tree, name)
    assert await _statuses(session["id"]) == [
        ("甲", "confirmed"),
        ("乙", "confirmed"),
        ("丙", "waitlisted"),
        ("丁", "waitlisted"),
    ]
    roster = await trainings.roster(who["federation"], session["id"])
    assert [(r["name"], r.get("position")) for r in roster] == [
        ("甲", None),
        ("乙", None),
        ("丙", 1),
        ("丁", 2),
    ]


async def test_cancelling_a_seat_promotes_the_first_waiting_and_says_so(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=1)
    first = await _register(session, tree, "甲")
    waiting = await _register(session, tree, "乙")
    await _register(session, tree, "丙")
    await trainings.cancel_registration(who["village"], first.registration_id)
    assert await _statuses(session["id"]) == [
        ("甲", "cancelled"),
        ("乙", "confirmed"),
        ("丙", "waitlisted"),
    ]
    seen = await trainings.registration_by_code(session, waiting.code)
    assert (seen["status"], seen["promoted_at"] is not None, seen["position"]) == (
        "confirmed",
        True,
        None,
    )
    assert await _seats_taken(session["id"]) == 1


async def test_walk_in_is_checked_in_even_when_the_session_is_full(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=1)
    await _register(session, tree, "甲")
    walk_in = await trainings.add_walk_in(who["village"], session["id"], registrant(tree, "乙"))
    row = await trainings.get_registration(who["village"], walk_in.registration_id)
    assert (row["status"], row["walk_in"], row["checked_in_at"] is not None) == (
        "confirmed",
        True,
        True,
    )
    figures = await trainings.figures(session["id"])
    assert (figures["registered"], figures["checked_in"], figures["walk_ins"]) == (2, 1, 1)


async def test_registering_twice_with_one_phone_is_refused_without_the_code(world):
    tree, who = world
    session = await _open_session(who, tree)
    phone = mobile()
    await _register(session, tree, "甲", phone=phone)
    with pytest.raises(ValidationError) as refused:  # a stranger knowing only the phone
        await _register(session, tree, "乙", phone=phone)
    assert refused.value.errors == {"phone": trainings.ALREADY_REGISTERED}
    assert await Registration.count() == 1


async def test_organizer_registering_someone_twice_gets_the_same_registration(world):
    tree, who = world
    session = await _open_session(who, tree)
    member_id = await make_member(who["village"], tree, "甲")
    first = await trainings.register_members(who["federation"], session["id"], [member_id])
    again = await trainings.register_members(who["federation"], session["id"], [member_id])
    assert (first.confirmed, again.already, await Registration.count()) == (1, 1, 1)


async def test_registering_again_after_cancelling_goes_to_the_back(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=1)
    phone = mobile()
    first = await _register(session, tree, "甲", phone=phone)
    await trainings.cancel_by_registrant(session, first.code, phone)
    await _register(session, tree, "乙")
    again = await _register(session, tree, "甲", phone=phone)
    assert (again.code, again.status) == (first.code, "waitlisted")


async def test_non_member_is_a_lead_until_enrolled(world):
    tree, who = world
    session = await _open_session(who, tree)
    phone = mobile()
    await _register(session, tree, "新农人", phone=phone)
    assert [lead["name"] for lead in await trainings.leads(who["village"])] == ["新农人"]
    member_id = await make_member(who["village"], tree, "新农人", phone=phone)
    assert await trainings.leads(who["village"]) == []
    history = await trainings.member_history(who["village"], member_id)
    assert [h["topic"] for h in history] == ["直播带货基础知识"]


async def test_people_enrolled_after_registering_are_members_at_once_by_id_or_mobile(world):
    tree, who = world
    session = await _open_session(who, tree)
    phone, number = mobile(), resident_id()
    by_phone = await _register(session, tree, "新农人", phone=phone)
    by_id = await _register(session, tree, "老农人", resident_id=number)
    newcomer = await make_member(who["village"], tree, "新农人", phone=phone)
    veteran = await make_member(who["village"], tree, "老农人", id_number=number)
    # Nobody opened the leads page: their trainings are theirs all the same.
    for member_id in (newcomer, veteran):
        history = await trainings.member_history(who["village"], member_id)
        assert [h["topic"] for h in history] == ["直播带货基础知识"]
    found = await trainings.get_registration(who["village"], by_phone.registration_id)
    assert found["member"] == newcomer
    with pytest.raises(ValidationError) as refused:
        await trainings.lead_for_enrollment(who["village"], by_id.registration_id)
    assert list(refused.value.errors) == ["registration"]
    assert await trainings.leads(who["village"]) == []


async def test_a_shared_mobile_makes_a_registration_the_first_enrolled_members(world):
    tree, who = world
    session = await _open_session(who, tree)
    phone = mobile()
    await _register(session, tree, "王家", phone=phone)
    first = await make_member(who["village"], tree, "王大", phone=phone)
    second = await make_member(who["village"], tree, "王二", phone=phone)
    assert len(await trainings.member_history(who["village"], first)) == 1
    assert await trainings.member_history(who["village"], second) == []


async def test_lead_prefills_enrollment_without_the_id_number_and_is_audited(world):
    tree, who = world
    session = await _open_session(who, tree)
    number, phone = resident_id(), mobile()
    done = await _register(session, tree, "新农人", phone=phone, resident_id=number)
    assert await trainings.lead_for_enrollment(who["village"], done.registration_id) == {
        "name": "新农人",
        "phone": phone,
        "village_id": tree.village,
        "cooperative_id": "",
    }
    assert (await recent(1))[0]["action"] == "enroll_lead"


async def test_a_town_sessions_registrants_from_other_towns_stay_hidden(world):
    tree, who = world
    programme = await trainings.save_programme(
        who["admin"], trainings.ProgrammeInput("全区培训", "", tree.district)
    )
    session_id = await make_session(who["admin"], programme)
    session = await trainings.get_session(who["admin"], session_id)
    near = await _register(session, tree, "近")
    far = await _register(session, tree, "远", village_id=tree.far_village)
    seen = await trainings.roster(who["village"], session_id)
    assert [r["name"] for r in seen] == ["近"]
    assert [r["name"] for r in await trainings.leads(who["village"])] == ["近"]
    with pytest.raises(NotFound):
        await trainings.get_registration(who["federation"], far.registration_id)
    assert (await trainings.get_registration(who["admin"], near.registration_id))["name"] == "近"


async def test_member_found_by_phone_is_linked_with_their_own_village(world):
    tree, who = world
    phone, number = mobile(), resident_id()
    member_id = await make_member(
        who["federation"],
        tree,
        "王五",
        phone=phone,
        id_number=number,
        cooperative=tree.other_cooperative,
        village=tree.other_village,
    )
    session = await _open_session(who, tree, audience="members")
    done = await _register(session, tree, "王五", phone=phone, id_tail=number[-4:].lower())
    row = await Registration.select().where(Registration.id == done.registration_id).first()
    assert (row["member"], row["village"], row["cooperative"]) == (
        member_id,
        tree.other_village,
        tree.other_cooperative,
    )


async def test_members_only_session_refuses_a_non_member(world):
    tree, who = world
    session = await _open_session(who, tree, audience="members")
    with pytest.raises(ValidationError) as refused:
        await _register(session, tree)
    assert list(refused.value.errors) == ["id_tail"]
    assert await Registration.count() == 0


async def test_member_of_another_federation_is_not_a_member_here(world):
    tree, who = world
    phone = mobile()
    await make_member(
        who["admin"],
        tree,
        "远方",
        phone=phone,
        cooperative=tree.far_cooperative,
        village=tree.far_village,
    )
    session = await _open_session(who, tree, audience="members")
    with pytest.raises(ValidationError):
        await _register(session, tree, "远方", phone=phone)


@pytest.mark.parametrize(
    ("changes", "status", "expected"),
    [
        ({"registration_opens_at": NOW + dt.timedelta(days=1)}, "open", "not opened yet"),
        ({"registration_closes_at": NOW - dt.timedelta(hours=1)}, "open", "closed"),
        (
            {"starts_at": NOW - dt.timedelta(hours=1), "ends_at": NOW + dt.timedelta(hours=1)},
            "open",
            "closed",
        ),
        ({}, "closed", "closed"),
        ({}, "cancelled", "cancelled"),
    ],
)
async def test_registration_outside_its_window_is_refused(world, changes, status, expected):
    tree, who = world
    session = await _open_session(who, tree, **changes)
    if status == "cancelled":
        await trainings.cancel_session(who["federation"], session["id"])
    else:
        await TrainingSession.update({TrainingSession.status: status}).where(
            TrainingSession.id == session["id"]
        )
    session = await trainings.get_session(who["federation"], session["id"])
    with pytest.raises(ValidationError) as refused:
        await _register(session, tree)
    assert expected in refused.value.errors["session"].text
    assert await Registration.count() == 0


async def test_draft_session_has_no_public_page(world):
    tree, who = world
    session = await _open_session(who, tree, status="draft")
    with pytest.raises(NotFound):
        await trainings.public_session(session["slug"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "1391234567"}, "phone"),
        ({"phone": "023-6666666"}, "phone"),
        ({"resident_id": "11010519491231002X".replace("X", "1")}, "resident_id"),
        ({"village_id": 999999}, "village_id"),
    ],
)
async def test_bad_registration_is_refused_with_the_field_named(world, changes, field):
    tree, who = world
    session = await _open_session(who, tree)
    data = registrant(tree)
    for name, value in changes.items():
        setattr(data, name, value)
    with pytest.raises(ValidationError) as refused:
        await trainings.register(session, data)
    assert list(refused.value.errors) == [field]
    assert await Registration.count() == 0


async def test_same_submission_twice_registers_once_and_changed_content_is_refused(world):
    tree, who = world
    session = await _open_session(who, tree)
    data = registrant(tree)
    first = await trainings.register(session, data, "key-1")
    second = await trainings.register(session, data, "key-1")
    assert (second.code, await Registration.count()) == (first.code, 1)
    with pytest.raises(KeyReused):
        await trainings.register(session, registrant(tree, "别人"), "key-1")


async def test_cancelling_needs_the_code_and_its_own_phone(world):
    tree, who = world
    session = await _open_session(who, tree)
    phone = mobile()
    done = await _register(session, tree, phone=phone)
    other = await _register(session, tree, "乙")
    for code, number in ((done.code, mobile()), (other.code, phone), ("ZZZZZZZZ", phone)):
        with pytest.raises(ValidationError) as refused:
            await trainings.cancel_by_registrant(session, code, number)
        assert refused.value.errors == {"code": trainings.NO_MATCH}
    await trainings.cancel_by_registrant(session, done.code.lower(), phone)
    assert [s for _, s in await _statuses(session["id"])] == ["cancelled", "confirmed"]


async def test_capacity_below_seats_taken_is_refused_and_raising_it_promotes(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=2)
    for name in ("甲", "乙", "丙"):
        await _register(session, tree, name)
    data = trainings.SessionInput(
        **{
            name: session[name]
            for name in (
                "topic",
                "trainer",
                "starts_at",
                "ends_at",
                "place",
                "online_link",
                "audience",
                "status",
                "registration_opens_at",
                "registration_closes_at",
            )
        },
        capacity=1,
        version=session["version"],
    )
    with pytest.raises(ValidationError) as refused:
        await trainings.update_session(who["federation"], session["id"], data)
    assert refused.value.errors["capacity"].params == {"n": 2}
    data.capacity = 3
    await trainings.update_session(who["federation"], session["id"], data)
    assert [s for _, s in await _statuses(session["id"])] == ["confirmed"] * 3


async def test_stale_session_form_is_refused(world):
    tree, who = world
    session = await _open_session(who, tree)
    data = trainings.SessionInput(
        topic="新题目",
        trainer="",
        starts_at=session["starts_at"],
        ends_at=session["ends_at"],
        place="村委会",
        online_link="",
        capacity=50,
        audience="anyone",
        status="open",
        version=session["version"] - 1,
    )
    with pytest.raises(ValidationError) as refused:
        await trainings.update_session(who["federation"], session["id"], data)
    assert refused.value.errors == {"version": trainings.STALE}


async def test_session_must_end_after_it_starts_and_have_a_place(world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    with pytest.raises(ValidationError) as refused:
        await make_session(
            who["federation"],
            programme,
            ends_at=NOW,
            starts_at=NOW + dt.timedelta(days=1),
            place="",
            capacity=0,
        )
    assert set(refused.value.errors) == {"ends_at", "place", "capacity"}


async def test_organizer_registers_members_in_bulk_up_to_capacity(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=2)
    ids = [await make_member(who["village"], tree, name) for name in ("甲", "乙", "丙")]
    far = await make_member(
        who["admin"], tree, "远", cooperative=tree.far_cooperative, village=tree.far_village
    )
    result = await trainings.register_members(who["federation"], session["id"], [*ids, far])
    assert vars(result) == {"confirmed": 2, "waitlisted": 1, "already": 0, "refused": 1}
    again = await trainings.register_members(who["federation"], session["id"], ids[:1])
    assert again.already == 1


async def test_check_in_by_code_and_undo(world):
    tree, who = world
    session = await _open_session(who, tree)
    done = await _register(session, tree)
    row = await trainings.check_in_by_code(who["village"], session["id"], done.code.lower())
    assert row == {"id": done.registration_id, "session": session["id"], "name": "李四"}
    row = await trainings.get_registration(who["village"], done.registration_id)
    assert row["checked_in_at"] is not None
    row = await trainings.undo_check_in(who["village"], done.registration_id)
    assert row["checked_in_at"] is None
    with pytest.raises(ValidationError):
        await trainings.check_in_by_code(who["village"], session["id"], "NOPE2345")


async def test_checking_in_someone_waiting_gives_them_a_seat(world):
    tree, who = world
    session = await _open_session(who, tree, capacity=1)
    await _register(session, tree, "甲")
    waiting = await _register(session, tree, "乙")
    await trainings.check_in(who["village"], waiting.registration_id)
    assert (await _statuses(session["id"]), await _seats_taken(session["id"])) == (
        [("甲", "confirmed"), ("乙", "confirmed")],
        2,
    )


async def test_roster_search_by_pinyin_initials_and_phone_tail(world):
    tree, who = world
    session = await _open_session(who, tree)
    await _register(session, tree, "张三", phone="13900001234")
    await _register(session, tree, "李四")
    for q in ("zs", "zhangsan", "张", "1234"):
        found = await trainings.roster(who["village"], session["id"], q)
        assert [r["name"] for r in found] == ["张三"], q


async def test_programme_totals_count_person_times_at_held_sessions_by_place(world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    past = NOW - dt.timedelta(days=2)
    for topic in ("短视频创作", "直播带货基础知识"):
        session_id = await make_session(
            who["federation"],
            programme,
            topic=topic,
            starts_at=past,
            ends_at=past + dt.timedelta(hours=2),
        )
        for name, village in (("甲", tree.village), ("乙", tree.other_village)):
            data = registrant(tree, name, phone=f"1390000000{1 if name == '甲' else 2}")
            data.village_id = village
            await trainings.add_walk_in(who["federation"], session_id, data)
        await TrainingSession.update({TrainingSession.status: "held"}).where(
            TrainingSession.id == session_id
        )
    await make_session(who["federation"], programme, topic="未举办")
    totals = await trainings.programme_totals(who["federation"], programme)
    assert (totals["sessions_held"], totals["person_times"]) == (2, 4)
    assert [(r["name"], r["n"]) for r in totals["by_village"]] == [("文石村", 2), ("蔡家寺村", 2)]


async def test_programmes_are_seen_within_scope_and_run_by_managers_only(world):
    tree, who = world
    session = await _open_session(who, tree)
    assert [p["title"] for p in await trainings.programmes(who["village"])] == [
        "新农人孵化培养计划"
    ]
    with pytest.raises(Forbidden):
        await trainings.session_for_edit(who["village"], session["id"])
    far = await trainings.save_programme(
        who["admin"], trainings.ProgrammeInput("界石培训", "", tree.far_federation)
    )
    with pytest.raises(NotFound):
        await trainings.get_programme(who["federation"], far)
    with pytest.raises(ValidationError):
        await trainings.save_programme(
            who["federation"], trainings.ProgrammeInput("越界", "", tree.far_federation)
        )


async def test_a_checked_in_registration_can_no_longer_be_cancelled(world):
    tree, who = world
    session = await _open_session(who, tree)
    phone = mobile()
    done = await _register(session, tree, phone=phone)
    await trainings.check_in(who["village"], done.registration_id)
    with pytest.raises(ValidationError) as refused:
        await trainings.cancel_by_registrant(session, done.code, phone)
    assert refused.value.errors == {"code": trainings.ALREADY_HERE}
    with pytest.raises(ValidationError):
        await trainings.cancel_registration(who["village"], done.registration_id)
    assert (await trainings.figures(session["id"]))["checked_in"] == 1


async def test_check_in_code_reads_full_width_and_spaces_but_not_a_nul_byte(world):
    tree, who = world
    session = await _open_session(who, tree)
    done = await _register(session, tree)
    typed = " ".join(done.code.lower()).translate(str.maketrans(CODE_CHARS, FULL_WIDTH_CHARS))
    row = await trainings.check_in_by_code(who["village"], session["id"], typed)
    assert row["name"] == "李四" and (await trainings.figures(session["id"]))["checked_in"] == 1
    with pytest.raises(ValidationError):  # PostgreSQL answered 500 for the NUL
        await trainings.check_in_by_code(who["village"], session["id"], done.code + "\x00")


CODE_CHARS = "0123456789abcdefghijklmnopqrstuvwxyz"
FULL_WIDTH_CHARS = "".join(chr(ord(ch) + 0xFEE0) for ch in CODE_CHARS)


async def _member_and_session(who, tree) -> tuple[int, str, str, dict]:
    phone, number = mobile(), resident_id()
    member_id = await make_member(who["federation"], tree, "王五", phone=phone, id_number=number)
    return member_id, phone, number, await _open_session(who, tree, audience="members")


async def test_members_only_session_answers_a_members_phone_as_any_other_unconfirmed(world):
    tree, who = world
    _, phone, _, session = await _member_and_session(who, tree)
    answers = []
    for number in (phone, mobile()):
        with pytest.raises(ValidationError) as refused:
            await _register(session, tree, "冒名", phone=number)
        answers.append(refused.value.errors)
    assert answers[0] == answers[1]
    assert await Registration.count() == 0


async def test_members_only_session_refuses_a_members_phone_with_wrong_id_tail(world):
    tree, who = world
    _, phone, number, session = await _member_and_session(who, tree)
    wrong = "0000" if number[-4:] != "0000" else "1111"
    with pytest.raises(ValidationError) as refused:
        await _register(session, tree, "冒名", phone=phone, id_tail=wrong)
    assert list(refused.value.errors) == ["id_tail"]


async def test_confirmed_member_disputes_an_earlier_unconfirmed_registration_of_their_phone(
    world,
):
    tree, who = world
    phone, number = mobile(), resident_id()
    member_id = await make_member(who["federation"], tree, "王五", phone=phone, id_number=number)
    session = await _open_session(who, tree, audience="anyone")
    first = await _register(session, tree, "冒名", phone=phone)
    mine = await _register(session, tree, "王五", phone=phone, id_tail=number[-4:])
    rows = await Registration.select(Registration.name, Registration.member).order_by(
        Registration.id
    )
    assert [(r["name"], r["member"]) for r in rows] == [("冒名", None), ("王五", member_id)]
    assert mine.registration_id != first.registration_id
    roster = await trainings.roster(who["federation"], session["id"])
    assert [(r["name"], r["disputed_at"] is not None) for r in roster] == [
        ("冒名", True),
        ("王五", False),
    ]


async def test_programme_totals_count_people_from_other_villages_apart_and_last(world):
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    past = NOW - dt.timedelta(days=2)
    session_id = await make_session(
        who["federation"], programme, starts_at=past, ends_at=past + dt.timedelta(hours=2)
    )
    outsider = registrant(tree, "甲", phone="13900000001", village_other="江北区")
    outsider.village_id = None
    await trainings.add_walk_in(who["federation"], session_id, outsider)
    await trainings.add_walk_in(
        who["federation"], session_id, registrant(tree, "乙", phone="13900000002")
    )
    await TrainingSession.update({TrainingSession.status: "held"}).where(
        TrainingSession.id == session_id
    )
    totals = await trainings.programme_totals(who["federation"], programme)
    assert [(r["name"], r["n"]) for r in totals["by_village"]] == [("蔡家寺村", 1), (None, 1)]
