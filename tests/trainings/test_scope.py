"""Whose registrations a village organizer sees and acts on: its own people only, except at
the door, where anyone's code checks them in (README, Trainings: "Whose registrations")."""

import pathlib

from coop.trainings import domain as trainings
from coop.trainings.tables import Registration
from tests.factories import (
    csrf_token,
    make_programme,
    make_session,
    post_form,
    registrant,
    sign_in,
)

README = pathlib.Path(__file__).parents[2] / "README.md"


async def _two_people(world) -> tuple[dict, trainings.Registered, trainings.Registered]:
    """An open session with one of the village organizer's people (蔡家寺村) and one of the
    same federation's other village and cooperative (文石村), which is not theirs."""
    tree, who = world
    programme = await make_programme(who["federation"], tree)
    session_id = await make_session(who["federation"], programme, audience="anyone")
    session = await trainings.get_session(who["federation"], session_id)
    own = await trainings.register(session, registrant(tree, "张自家"))
    other = await trainings.register(
        session,
        registrant(
            tree, "王别家", village_id=tree.other_village, cooperative_id=tree.other_cooperative
        ),
    )
    return session, own, other


def test_readme_states_that_anyone_with_a_code_is_checked_in_at_the_door():
    text = " ".join(README.read_text(encoding="utf-8").split())
    sentence = (
        "At the door of any session it can see, every organizer may check in anyone who "
        "shows their registration code"
    )
    assert text.count(sentence) == 1


async def test_village_organizer_cannot_cancel_another_cooperatives_registration(client, world):
    session, _, other = await _two_people(world)
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/registrations/{other.registration_id}/cancel",
        {},
        form_url=f"/trainings/sessions/{session['id']}",
    )
    status = await Registration.select(Registration.status).where(
        Registration.id == other.registration_id
    )
    assert (answer.status_code, status) == (404, [{"status": "confirmed"}])


async def test_village_organizer_cannot_mark_another_cooperatives_registration_notified(
    client, world
):
    session, _, other = await _two_people(world)
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/registrations/{other.registration_id}/notified",
        {},
        form_url=f"/trainings/sessions/{session['id']}",
    )
    told = await Registration.select(Registration.notified_at).where(
        Registration.id == other.registration_id
    )
    assert (answer.status_code, told) == (404, [{"notified_at": None}])


async def test_village_organizer_cannot_undo_a_check_in_someone_else_made(client, world):
    session, _, other = await _two_people(world)
    _, who = world
    await trainings.check_in(who["federation"], other.registration_id)
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/registrations/{other.registration_id}/undo-check-in",
        {},
        form_url=f"/trainings/sessions/{session['id']}/check-in",
    )
    row = await Registration.select(Registration.checked_in_by).where(
        Registration.id == other.registration_id
    )
    assert (answer.status_code, row) == (404, [{"checked_in_by": who["federation"].id}])


async def test_village_organizer_cannot_tap_check_in_another_cooperatives_registration(
    client, world
):
    session, _, other = await _two_people(world)
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/registrations/{other.registration_id}/check-in",
        {},
        form_url=f"/trainings/sessions/{session['id']}/check-in",
    )
    assert answer.status_code == 404


async def test_village_organizers_roster_search_and_sheet_list_only_its_own_people(client, world):
    session, _, other = await _two_people(world)
    await sign_in(client, "village")
    pages = [
        await client.get(f"/trainings/sessions/{session['id']}"),
        await client.get(f"/trainings/sessions/{session['id']}/check-in"),
        await client.get(f"/trainings/sessions/{session['id']}/check-in?q=wbj"),
        await client.get(f"/trainings/sessions/{session['id']}/sign-in-sheet"),
        await client.get("/trainings/leads"),
    ]
    assert [(p.status_code, "王别家" in p.text, other.code in p.text) for p in pages] == [
        (200, False, False)
    ] * 5
    assert "张自家" in pages[1].text and "张自家" in pages[4].text


async def test_federation_organizer_running_the_session_sees_everyone(client, world):
    session, _, _ = await _two_people(world)
    await sign_in(client, "federation")
    page = await client.get(f"/trainings/sessions/{session['id']}/check-in")
    assert ("张自家" in page.text, "王别家" in page.text) == (True, True)


async def test_village_organizer_checks_in_anyone_by_code_and_hears_only_the_name(client, world):
    session, _, other = await _two_people(world)
    await sign_in(client, "village")
    answer = await post_form(
        client,
        f"/trainings/sessions/{session['id']}/check-in-code",
        {"code": other.code},
        form_url=f"/trainings/sessions/{session['id']}/check-in",
    )
    page = await client.get(answer.headers["location"])
    row = await Registration.select(Registration.phone_masked).where(
        Registration.id == other.registration_id
    )
    assert "王别家 已签到。" in page.text
    assert (row[0]["phone_masked"] in page.text, other.code in page.text) == (False, False)


async def test_village_organizer_undoes_a_check_in_it_made_by_code(client, world):
    session, _, other = await _two_people(world)
    await sign_in(client, "village")
    check_in_page = f"/trainings/sessions/{session['id']}/check-in"
    await post_form(
        client,
        f"/trainings/sessions/{session['id']}/check-in-code",
        {"code": other.code},
        form_url=check_in_page,
    )
    page = await client.get(check_in_page)
    answer = await client.post(
        f"/trainings/registrations/{other.registration_id}/undo-check-in",
        data={"_csrf_token": csrf_token(page)},
        follow_redirects=False,
    )
    row = await Registration.select(Registration.checked_in_at).where(
        Registration.id == other.registration_id
    )
    assert (answer.status_code, answer.headers["location"], row) == (
        303,
        check_in_page,
        [{"checked_in_at": None}],
    )
