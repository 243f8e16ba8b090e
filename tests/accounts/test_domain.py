import pytest

from coop.accounts import domain as accounts
from coop.accounts.domain import Role, SignInRefused, UserInput
from coop.audit.domain import recent
from coop.validation import Forbidden, Msg, ValidationError
from tests.factories import PASSWORD, make_role_users, make_tree, make_user


async def test_authenticate_returns_viewer_with_scope():
    tree = await make_tree()
    await make_role_users(tree)
    viewer = (await accounts.authenticate("Village ", PASSWORD)).viewer
    assert (viewer.username, viewer.role) == ("village", Role.village_organizer)
    assert viewer.scope.cooperative_ids == frozenset({tree.cooperative})
    assert viewer.scope.can_manage is False


async def test_passwords_are_stored_as_argon2_hashes():
    from coop.accounts.tables import User

    await make_user("someone", Role.judge)
    row = await User.select(User.password_hash).where(User.username == "someone").first().run()
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]


async def test_wrong_password_is_refused_and_audited():
    await make_user("someone", Role.judge)
    with pytest.raises(SignInRefused) as refused:
        await accounts.authenticate("someone", "wrong password")
    assert refused.value.message == Msg("Wrong username or password.")
    assert (await recent(1))[0]["action"] == "sign_in_failed"


async def test_five_failures_lock_the_username_even_with_the_right_password():
    await make_user("someone", Role.judge)
    for _ in range(4):
        with pytest.raises(SignInRefused):
            await accounts.authenticate("someone", "wrong")
    with pytest.raises(SignInRefused) as fifth:
        await accounts.authenticate("someone", "wrong")
    assert fifth.value.message == Msg(
        "Too many failed sign-ins. Try again in {minutes} minutes.", minutes=15
    )
    with pytest.raises(SignInRefused) as locked:
        await accounts.authenticate("someone", PASSWORD)
    assert locked.value.message.text == "Too many failed sign-ins. Try again in {minutes} minutes."


async def test_unknown_usernames_are_locked_alike():
    for _ in range(5):
        with pytest.raises(SignInRefused):
            await accounts.authenticate("nobody", "wrong")
    with pytest.raises(SignInRefused) as locked:
        await accounts.authenticate("nobody", "wrong")
    assert locked.value.message.text.startswith("Too many failed sign-ins")


async def test_deactivated_user_cannot_sign_in_and_loses_their_session():
    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await accounts.viewer_for(users["admin"])
    await accounts.set_active(admin, users["judge"], False)
    assert await accounts.viewer_for(users["judge"]) is None
    with pytest.raises(SignInRefused):
        await accounts.authenticate("judge", PASSWORD)


async def test_admin_cannot_deactivate_themselves():
    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await accounts.viewer_for(users["admin"])
    with pytest.raises(ValidationError) as error:
        await accounts.set_active(admin, users["admin"], False)
    assert error.value.errors == {"is_active": Msg("You cannot deactivate your own account.")}


async def test_reset_password_lets_the_user_sign_in_with_the_new_one():
    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await accounts.viewer_for(users["admin"])
    await accounts.reset_password(admin, users["judge"], "a brand new secret")
    assert (await accounts.authenticate("judge", "a brand new secret")).viewer.id == users["judge"]


async def test_reset_password_rejects_short_password():
    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await accounts.viewer_for(users["admin"])
    with pytest.raises(ValidationError) as error:
        await accounts.reset_password(admin, users["judge"], "short")
    assert error.value.errors == {"password": Msg("At least {min} characters.", min=8)}


async def test_only_admins_manage_users():
    tree = await make_tree()
    users = await make_role_users(tree)
    organizer = await accounts.viewer_for(users["federation"])
    with pytest.raises(Forbidden):
        await accounts.list_users(organizer)


async def test_federation_organizer_needs_a_federation():
    with pytest.raises(ValidationError) as error:
        await make_user("fed", Role.federation_organizer)
    assert error.value.errors == {
        "federation_id": Msg("Choose the federation this organizer works for.")
    }


async def test_village_organizer_needs_a_cooperative_or_village():
    with pytest.raises(ValidationError) as error:
        await make_user("org", Role.village_organizer)
    assert error.value.errors == {
        "cooperative_ids": Msg("Choose at least one cooperative or village.")
    }


async def test_changing_role_and_scope_replaces_the_old_scope():
    tree = await make_tree()
    users = await make_role_users(tree)
    admin = await accounts.viewer_for(users["admin"])
    data = UserInput("village", "Village", Role.village_organizer, village_ids=[tree.other_village])
    await accounts.save_user(admin, data, users["village"])
    viewer = await accounts.viewer_for(users["village"])
    assert (viewer.scope.cooperative_ids, viewer.scope.village_ids) == (
        frozenset(),
        frozenset({tree.other_village}),
    )


async def test_username_rules_and_uniqueness():
    await make_user("taken", Role.judge)
    with pytest.raises(ValidationError) as taken:
        await make_user("taken", Role.judge)
    assert taken.value.errors == {"username": Msg("That username is taken.")}
    with pytest.raises(ValidationError) as bad:
        await make_user("No Spaces", Role.judge)
    assert list(bad.value.errors) == ["username"]
