"""Organization forms refuse with every error at once, the database's rules among them."""

import re

from tests.factories import make_role_users, make_tree, post_form, sign_in


def _summary(html: str) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    return re.findall(r'<li><a href="#([a-z_]+)">', block)


async def test_cooperative_form_lists_a_missing_name_and_a_village_of_another_town(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "federation")
    answer = await post_form(
        client,
        "/orgs/cooperatives/new",
        {"name": "", "federation_id": tree.federation, "village_id": tree.far_village},
    )
    assert answer.status_code == 422
    assert _summary(answer.text) == ["name", "village_id"]
