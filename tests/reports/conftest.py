import pytest

from tests.factories import make_role_users, make_tree, viewer


@pytest.fixture
async def world():
    """The test tree and one Viewer per role."""
    tree = await make_tree()
    users = await make_role_users(tree)
    return tree, {role: await viewer(user_id) for role, user_id in users.items()}
