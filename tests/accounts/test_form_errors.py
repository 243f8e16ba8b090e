"""The user form refuses with every error at once, the database's rules among them."""

import re

from tests.factories import make_role_users, make_tree, post_form, sign_in


def _summary(html: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'<li><a href="#([a-z_]+)">', block)


async def test_user_form_lists_a_taken_username_and_a_missing_name(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    answer = await post_form(
        client,
        "/accounts/users/new",
        {
            "username": "federation",
            "display_name": "",
            "role": "federation_organizer",
            "federation_id": str(tree.federation),
            "password": "long-enough-password",
        },
    )
    assert answer.status_code == 422
    assert _summary(answer.text) == ["username", "display_name"]
