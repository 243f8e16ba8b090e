import gzip

import pytest

from coop.orgs.tables import Cooperative
from tests.factories import csrf_token, make_role_users, make_tree, post_form, sign_in


async def test_tree_page_shows_the_article_hierarchy(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    page = await client.get("/orgs/")
    text = page.text
    order = [
        "巴南区总工会",
        "姜家镇总工会",
        "“姜家黑”产业工会联合会",
        "蔡家寺村“黑黑黑”合作社",
        "黑玉米",
    ]
    assert [text.index(name) for name in order] == sorted(text.index(name) for name in order)


async def test_federation_organizer_creates_cooperative(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "federation")
    response = await post_form(
        client,
        "/orgs/cooperatives/new",
        {
            "name": "文石村黑米合作社",
            "federation_id": tree.federation,
            "village_id": tree.other_village,
            "products": "黑米，糯米",
        },
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "文石村黑米合作社" in page.text and "糯米" in page.text
    assert "已保存。" in page.text


async def test_duplicate_cooperative_name_is_shown_next_to_the_field_with_values_kept(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "federation")
    response = await post_form(
        client,
        "/orgs/cooperatives/new",
        {
            "name": "蔡家寺村“黑黑黑”合作社",
            "federation_id": tree.federation,
            "village_id": tree.village,
            "products": "黑猪、新产品",
        },
    )
    assert response.status_code == 422
    assert '<p class="error" id="name-error">该联合会已有同名合作社。</p>' in response.text
    assert 'aria-describedby="name-error"' in response.text
    assert 'value="黑猪、新产品"' in response.text
    assert await Cooperative.count().run() == 3


async def test_empty_and_overlong_names_get_messages_in_english_too(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    client.cookies.set("coop_locale", "en")
    empty = await post_form(client, "/orgs/villages/new", {"name": "  ", "town_id": tree.town})
    assert "This field is required." in empty.text
    long = await post_form(client, "/orgs/villages/new", {"name": "村" * 101, "town_id": tree.town})
    assert "At most 100 characters." in long.text


# (edit page, the record's id in the tree, its form as saved, where it is shown)
EDIT_PAGES = [
    (
        "/orgs/federations/{}/edit",
        "federation",
        {"name": "“姜家黑”产业工会联合会", "town_id": "town", "founded_on": "2022-06-01"},
        "/orgs/unions/{}",
    ),
    (
        "/orgs/villages/{}/edit",
        "village",
        {"name": "蔡家寺村", "town_id": "town"},
        "/orgs/villages/{}",
    ),
    (
        "/orgs/cooperatives/{}/edit",
        "cooperative",
        {
            "name": "蔡家寺村“黑黑黑”合作社",
            "federation_id": "federation",
            "village_id": "village",
            "products": "黑猪、黑玉米、黑豆、黑米",
        },
        "/orgs/cooperatives/{}",
    ),
]


@pytest.mark.parametrize(("url", "record", "saved", "shown_at"), EDIT_PAGES)
async def test_an_edit_form_shows_the_record_comes_back_with_what_was_typed_and_saves(
    client, url, record, saved, shown_at
):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "admin")
    record_id = getattr(tree, record)
    url = url.format(record_id)
    form = {name: getattr(tree, value, value) for name, value in saved.items()}
    page = await client.get(url)
    assert (page.status_code, f'value="{saved["name"]}"' in page.text) == (200, True)
    assert 'maxlength="100"' in page.text

    refused = await post_form(client, url, {**form, "name": "村" * 101})
    assert (refused.status_code, f'value="{"村" * 101}"' in refused.text) == (422, True)
    assert f'href="{shown_at.format(record_id)}"' in refused.text  # still the record's page

    renamed = await post_form(client, url, {**form, "name": "新名字"})
    assert (renamed.status_code, renamed.headers["location"]) == (303, shown_at.format(record_id))
    assert "新名字" in (await client.get(shown_at.format(record_id))).text


async def test_htmx_post_with_token_header_gets_hx_redirect(client):
    page = await client.get("/login")
    response = await client.post(
        "/language",
        data={"locale": "en", "next": "/login"},
        headers={"hx-request": "true", "x-csrftoken": csrf_token(page)},
    )
    assert (response.status_code, response.headers["hx-redirect"]) == (200, "/login")


async def test_not_found_page_is_translated_and_reveals_nothing(client):
    tree = await make_tree()
    await make_role_users(tree)
    await sign_in(client, "village")
    page = await client.get(f"/orgs/cooperatives/{tree.far_cooperative}")
    assert page.status_code == 404
    assert "没有找到该页面，或您无权查看。" in page.text
    assert "桂花村" not in page.text


async def test_every_page_is_under_14_kb_gzipped(client):
    tree = await make_tree()
    users = await make_role_users(tree)
    await sign_in(client, "admin")
    sizes = {}
    for path in [
        "/",
        "/orgs/",
        f"/orgs/unions/{tree.federation}",
        f"/orgs/unions/{tree.town}",
        f"/orgs/cooperatives/{tree.cooperative}",
        f"/orgs/villages/{tree.village}",
        "/orgs/cooperatives/new",
        f"/orgs/federations/{tree.federation}/edit",
        "/accounts/users/",
        f"/accounts/users/{users['village']}",
        "/audit",
    ]:
        page = await client.get(path)
        assert page.status_code == 200, path
        sizes[path] = len(gzip.compress(page.content))
    assert {p: s for p, s in sizes.items() if s > 14 * 1024} == {}
