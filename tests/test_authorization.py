"""Every route, every role: exactly the status each should get, guessed IDs included."""

import pytest
from litestar.testing import AsyncTestClient

from coop.app import create_app
from coop.contests import domain as contests
from coop.members import domain as members
from coop.orgs import domain as orgs
from coop.trainings import domain as trainings
from tests.factories import (
    EVERYTHING,
    csrf_token,
    make_contest,
    make_member,
    make_role_users,
    make_session,
    make_tree,
    registrant,
    sign_in,
    viewer,
)

ROLES = ["anonymous", "admin", "federation", "village", "judge"]
SIGN_IN = 303  # anonymous users are sent to the sign-in page

# (method, route template, concrete path, expected status per role in ROLES order)
# A POST of an empty form is refused as invalid (422) where the role may post at all.
MATRIX = [
    ("GET", "/", "/", [SIGN_IN, 200, 200, 200, 200]),
    ("GET", "/login", "/login", [200, 303, 303, 303, 303]),
    ("GET", "/healthz", "/healthz", [200, 200, 200, 200, 200]),
    ("GET", "/static/{name:str}", "/static/coop.css", [200, 200, 200, 200, 200]),
    ("GET", "/orgs", "/orgs/", [SIGN_IN, 200, 200, 200, 403]),
    (
        "GET",
        "/orgs/unions/{union_id:int}",
        "/orgs/unions/{federation}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/orgs/unions/{union_id:int}",
        "/orgs/unions/{far_federation}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    ("GET", "/orgs/unions/{union_id:int}", "/orgs/unions/99999", [SIGN_IN, 404, 404, 404, 403]),
    (
        "GET",
        "/orgs/cooperatives/{cooperative_id:int}",
        "/orgs/cooperatives/{cooperative}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/orgs/cooperatives/{cooperative_id:int}",
        "/orgs/cooperatives/{other_cooperative}",
        [SIGN_IN, 200, 200, 404, 403],
    ),
    (
        "GET",
        "/orgs/cooperatives/{cooperative_id:int}",
        "/orgs/cooperatives/{far_cooperative}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/orgs/villages/{village_id:int}",
        "/orgs/villages/{village}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/orgs/villages/{village_id:int}",
        "/orgs/villages/{far_village}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    ("GET", "/orgs/federations/new", "/orgs/federations/new", [SIGN_IN, 200, 403, 403, 403]),
    ("POST", "/orgs/federations/new", "/orgs/federations/new", [SIGN_IN, 422, 403, 403, 403]),
    (
        "GET",
        "/orgs/federations/{federation_id:int}/edit",
        "/orgs/federations/{federation}/edit",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/edit",
        "/orgs/federations/{federation}/edit",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "GET",
        "/orgs/federations/{federation_id:int}/edit",
        "/orgs/federations/{far_federation}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/edit",
        "/orgs/federations/{far_federation}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    ("GET", "/orgs/villages/new", "/orgs/villages/new", [SIGN_IN, 200, 200, 403, 403]),
    ("POST", "/orgs/villages/new", "/orgs/villages/new", [SIGN_IN, 422, 422, 403, 403]),
    (
        "GET",
        "/orgs/villages/{village_id:int}/edit",
        "/orgs/villages/{village}/edit",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "POST",
        "/orgs/villages/{village_id:int}/edit",
        "/orgs/villages/{village}/edit",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "GET",
        "/orgs/villages/{village_id:int}/edit",
        "/orgs/villages/{far_village}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/orgs/villages/{village_id:int}/edit",
        "/orgs/villages/{far_village}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    ("GET", "/orgs/cooperatives/new", "/orgs/cooperatives/new", [SIGN_IN, 200, 200, 403, 403]),
    ("POST", "/orgs/cooperatives/new", "/orgs/cooperatives/new", [SIGN_IN, 422, 422, 403, 403]),
    (
        "GET",
        "/orgs/cooperatives/{cooperative_id:int}/edit",
        "/orgs/cooperatives/{cooperative}/edit",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "POST",
        "/orgs/cooperatives/{cooperative_id:int}/edit",
        "/orgs/cooperatives/{cooperative}/edit",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "GET",
        "/orgs/cooperatives/{cooperative_id:int}/edit",
        "/orgs/cooperatives/{far_cooperative}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/orgs/cooperatives/{cooperative_id:int}/edit",
        "/orgs/cooperatives/{far_cooperative}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/orgs/federations/{federation_id:int}/standards",
        "/orgs/federations/{federation}/standards",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/orgs/federations/{federation_id:int}/standards",
        "/orgs/federations/{far_federation}/standards",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/standards/{item_id:int}",
        "/orgs/federations/{federation}/standards/{standard_item}",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/standards/{item_id:int}",
        "/orgs/federations/{far_federation}/standards/{far_standard_item}",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/standards/new",
        "/orgs/federations/{federation}/standards/new",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/standards/new",
        "/orgs/federations/{far_federation}/standards/new",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/standards/{item_id:int}/delete",
        "/orgs/federations/{federation}/standards/{standard_item}/delete",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/orgs/federations/{federation_id:int}/standards/{item_id:int}/delete",
        "/orgs/federations/{far_federation}/standards/{far_standard_item}/delete",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    ("GET", "/reports", "/reports/", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/reports", "/reports/?union={far_federation}", [SIGN_IN, 200, 404, 404, 403]),
    ("GET", "/accounts/users", "/accounts/users/", [SIGN_IN, 200, 403, 403, 403]),
    ("GET", "/accounts/users/new", "/accounts/users/new", [SIGN_IN, 200, 403, 403, 403]),
    ("POST", "/accounts/users/new", "/accounts/users/new", [SIGN_IN, 422, 403, 403, 403]),
    (
        "GET",
        "/accounts/users/{user_id:int}",
        "/accounts/users/{judge_user}",
        [SIGN_IN, 200, 403, 403, 403],
    ),
    (
        "GET",
        "/accounts/users/{user_id:int}",
        "/accounts/users/99999",
        [SIGN_IN, 404, 403, 403, 403],
    ),
    (
        "POST",
        "/accounts/users/{user_id:int}",
        "/accounts/users/{judge_user}",
        [SIGN_IN, 422, 403, 403, 403],
    ),
    (
        "POST",
        "/accounts/users/{user_id:int}/active",
        "/accounts/users/{judge_user}/active",
        [SIGN_IN, 303, 403, 403, 403],
    ),
    (
        "POST",
        "/accounts/users/{user_id:int}/password",
        "/accounts/users/{judge_user}/password",
        [SIGN_IN, 422, 403, 403, 403],
    ),
    ("GET", "/audit", "/audit", [SIGN_IN, 200, 403, 403, 403]),
    ("GET", "/audit.csv", "/audit.csv", [SIGN_IN, 200, 403, 403, 403]),
    ("GET", "/site-files", "/site-files/", [SIGN_IN, 200, 403, 403, 403]),
    ("POST", "/site-files", "/site-files/", [SIGN_IN, 422, 403, 403, 403]),
    (
        "POST",
        "/site-files/{name:str}/delete",
        "/site-files/MP_verify_x.txt/delete",
        [SIGN_IN, 303, 403, 403, 403],
    ),
    ("GET", "/favicon.ico", "/favicon.ico", [200, 200, 200, 200, 200]),
    ("GET", "/{path:path}", "/no/such/page", [404, 404, 404, 404, 404]),
    ("GET", "/members/export", "/members/export", [SIGN_IN, 200, 200, 200, 403]),
    # An empty form: the standard roster, masked, as CSV.
    ("POST", "/members/export", "/members/export", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/members/import", "/members/import", [SIGN_IN, 200, 200, 403, 403]),
    ("POST", "/members/import", "/members/import", [SIGN_IN, 422, 422, 403, 403]),
    (
        "GET",
        "/members/import/{token:str}",
        "/members/import/no-such-import",
        [SIGN_IN, 404, 404, 403, 403],
    ),
    (
        "POST",
        "/members/import/{token:str}",
        "/members/import/no-such-import",
        [SIGN_IN, 404, 404, 403, 403],
    ),
    (
        "POST",
        "/members/import/{token:str}/drop",
        "/members/import/no-such-import/drop",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    ("GET", "/members", "/members/", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/members/enroll", "/members/enroll", [SIGN_IN, 200, 200, 200, 403]),
    ("POST", "/members/enroll", "/members/enroll", [SIGN_IN, 422, 422, 422, 403]),
    ("POST", "/members/id-check", "/members/id-check", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/members/recruiters", "/members/recruiters", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/members/{member_id:int}", "/members/{member}", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/members/{member_id:int}", "/members/{other_member}", [SIGN_IN, 200, 200, 404, 403]),
    ("GET", "/members/{member_id:int}", "/members/{far_member}", [SIGN_IN, 200, 404, 404, 403]),
    ("GET", "/members/{member_id:int}", "/members/99999", [SIGN_IN, 404, 404, 404, 403]),
    (
        "POST",
        "/members/{member_id:int}/reveal",
        "/members/{member}/reveal",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/reveal",
        "/members/{far_member}/reveal",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/phone",
        "/members/{member}/phone",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/phone",
        "/members/{far_member}/phone",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/approve",
        "/members/{member}/approve",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/approve",
        "/members/{far_member}/approve",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    ("POST", "/members/approve", "/members/approve", [SIGN_IN, 303, 303, 403, 403]),
    ("GET", "/members/welcome-packs", "/members/welcome-packs", [SIGN_IN, 200, 200, 200, 403]),
    (
        "POST",
        "/members/{member_id:int}/welcome-pack",
        "/members/{member}/welcome-pack",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/welcome-pack",
        "/members/{far_member}/welcome-pack",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/welcome-pack/undo",
        "/members/{member}/welcome-pack/undo",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/post",
        "/members/{member}/post",
        [SIGN_IN, 422, 422, 422, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/post",
        "/members/{far_member}/post",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/members/{member_id:int}/edit",
        "/members/{member}/edit",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/members/{member_id:int}/edit",
        "/members/{far_member}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/edit",
        "/members/{member}/edit",
        [SIGN_IN, 422, 422, 422, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/edit/phone",
        "/members/{member}/edit/phone",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/edit/phone",
        "/members/{far_member}/edit/phone",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/edit",
        "/members/{far_member}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/members/{member_id:int}/changes",
        "/members/{member}/changes",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/members/{member_id:int}/changes",
        "/members/{far_member}/changes",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/changes",
        "/members/{member}/changes",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/members/{member_id:int}/changes",
        "/members/{far_member}/changes",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    ("GET", "/members/transfers", "/members/transfers", [SIGN_IN, 200, 200, 403, 403]),
    ("GET", "/reports/membership", "/reports/membership", [SIGN_IN, 200, 200, 403, 403]),
    (
        "GET",
        "/reports/membership.xlsx",
        "/reports/membership.xlsx",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/members/transfers/{transfer_id:int}",
        "/members/transfers/{transfer}",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/members/transfers/{transfer_id:int}",
        "/members/transfers/{far_transfer}",
        [SIGN_IN, 200, 404, 403, 403],
    ),
    (
        "POST",
        "/members/transfers/{transfer_id:int}/accept",
        "/members/transfers/{transfer}/accept",
        [SIGN_IN, 422, 404, 403, 403],
    ),
    (
        "POST",
        "/members/transfers/{transfer_id:int}/refuse",
        "/members/transfers/{transfer}/refuse",
        [SIGN_IN, 422, 404, 403, 403],
    ),
    (
        "POST",
        "/members/transfers/{transfer_id:int}/cancel",
        "/members/transfers/{far_transfer}/cancel",
        [SIGN_IN, 303, 404, 403, 403],
    ),
    (
        "POST",
        "/members/transfers/{transfer_id:int}/cancel",
        "/members/transfers/{transfer}/cancel",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "GET",
        "/members/policy/{federation_id:int}",
        "/members/policy/{federation}",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/members/policy/{federation_id:int}",
        "/members/policy/{far_federation}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/members/policy/{federation_id:int}",
        "/members/policy/{federation}",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/members/policy/{federation_id:int}",
        "/members/policy/{far_federation}",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    ("GET", "/trainings", "/trainings/", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/trainings/leads", "/trainings/leads", [SIGN_IN, 200, 200, 200, 403]),
    (
        "GET",
        "/trainings/programmes/new",
        "/trainings/programmes/new",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "POST",
        "/trainings/programmes/new",
        "/trainings/programmes/new",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "GET",
        "/trainings/programmes/{programme_id:int}",
        "/trainings/programmes/{programme}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/programmes/{programme_id:int}",
        "/trainings/programmes/{far_programme}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/programmes/{programme_id:int}/edit",
        "/trainings/programmes/{programme}/edit",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/trainings/programmes/{programme_id:int}/edit",
        "/trainings/programmes/{far_programme}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/programmes/{programme_id:int}/edit",
        "/trainings/programmes/{programme}/edit",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/trainings/programmes/{programme_id:int}/edit",
        "/trainings/programmes/{far_programme}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/programmes/{programme_id:int}/sessions/new",
        "/trainings/programmes/{programme}/sessions/new",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/trainings/programmes/{programme_id:int}/sessions/new",
        "/trainings/programmes/{far_programme}/sessions/new",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/programmes/{programme_id:int}/sessions/new",
        "/trainings/programmes/{programme}/sessions/new",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/trainings/programmes/{programme_id:int}/sessions/new",
        "/trainings/programmes/{far_programme}/sessions/new",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}",
        "/trainings/sessions/{session}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}",
        "/trainings/sessions/{far_session}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/edit",
        "/trainings/sessions/{session}/edit",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/edit",
        "/trainings/sessions/{far_session}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/edit",
        "/trainings/sessions/{session}/edit",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/edit",
        "/trainings/sessions/{far_session}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/check-in",
        "/trainings/sessions/{session}/check-in",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/check-in",
        "/trainings/sessions/{far_session}/check-in",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/check-in-code",
        "/trainings/sessions/{session}/check-in-code",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/check-in-code",
        "/trainings/sessions/{far_session}/check-in-code",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/walk-in",
        "/trainings/sessions/{session}/walk-in",
        [SIGN_IN, 422, 422, 422, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/walk-in",
        "/trainings/sessions/{far_session}/walk-in",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/poster",
        "/trainings/sessions/{session}/poster",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/poster",
        "/trainings/sessions/{far_session}/poster",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/sign-in-sheet",
        "/trainings/sessions/{session}/sign-in-sheet",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/sign-in-sheet",
        "/trainings/sessions/{far_session}/sign-in-sheet",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/sign-in-sheet.xlsx",
        "/trainings/sessions/{session}/sign-in-sheet.xlsx",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/sign-in-sheet.xlsx",
        "/trainings/sessions/{far_session}/sign-in-sheet.xlsx",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/add-members",
        "/trainings/sessions/{session}/add-members",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/sessions/{session_id:int}/add-members",
        "/trainings/sessions/{far_session}/add-members",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/add-members",
        "/trainings/sessions/{session}/add-members",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/add-members",
        "/trainings/sessions/{far_session}/add-members",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/check-in",
        "/trainings/registrations/{registration}/check-in",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/check-in",
        "/trainings/registrations/{far_registration}/check-in",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/undo-check-in",
        "/trainings/registrations/{registration}/undo-check-in",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/undo-check-in",
        "/trainings/registrations/{far_registration}/undo-check-in",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/notified",
        "/trainings/registrations/{registration}/notified",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/notified",
        "/trainings/registrations/{far_registration}/notified",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/enroll",
        "/trainings/registrations/{registration}/enroll",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/enroll",
        "/trainings/registrations/{far_registration}/enroll",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/cancel",
        "/trainings/registrations/{spare_registration}/cancel",
        [SIGN_IN, 303, 303, 303, 403],
    ),
    (
        "POST",
        "/trainings/registrations/{registration_id:int}/cancel",
        "/trainings/registrations/{far_registration}/cancel",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "GET",
        "/trainings/members/{member_id:int}",
        "/trainings/members/{member}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/trainings/members/{member_id:int}",
        "/trainings/members/{far_member}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/cancel",
        "/trainings/sessions/{spare_session}/cancel",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/trainings/sessions/{session_id:int}/cancel",
        "/trainings/sessions/{far_session}/cancel",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    # Public pages: the same for everyone; a draft has no public page.
    ("GET", "/r/{slug:str}", "/r/{slug}", [200, 200, 200, 200, 200]),
    ("GET", "/r/{slug:str}", "/r/{draft_slug}", [404, 404, 404, 404, 404]),
    ("POST", "/r/{slug:str}", "/r/{slug}", [422, 422, 422, 422, 422]),
    ("GET", "/r/{slug:str}/find", "/r/{slug}/find", [200, 200, 200, 200, 200]),
    ("POST", "/r/{slug:str}/find", "/r/{slug}/find", [422, 422, 422, 422, 422]),
    ("POST", "/r/{slug:str}/cancel", "/r/{slug}/cancel", [422, 422, 422, 422, 422]),
    ("GET", "/r/{slug:str}/qr.svg", "/r/{slug}/qr.svg", [200, 200, 200, 200, 200]),
    (
        "GET",
        "/r/{slug:str}/registration/{code:str}",
        "/r/{slug}/registration/{code}",
        [200, 200, 200, 200, 200],
    ),
    (
        "GET",
        "/r/{slug:str}/registration/{code:str}",
        "/r/{slug}/registration/WRONG234",
        [404, 404, 404, 404, 404],
    ),
    ("GET", "/api/v1/trainings/sessions", "/api/v1/trainings/sessions/", [401, 401, 401, 401, 401]),
    (
        "POST",
        "/api/v1/trainings/sessions",
        "/api/v1/trainings/sessions/",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/trainings/sessions/{session_id:int}/registrations",
        "/api/v1/trainings/sessions/{session}/registrations",
        [401, 401, 401, 401, 401],
    ),
    # Public, JSON only: a form post is not a registration.
    (
        "POST",
        "/api/v1/trainings/sessions/{session_id:int}/registrations",
        "/api/v1/trainings/sessions/{session}/registrations",
        [400, 400, 400, 400, 400],
    ),
    ("GET", "/contests", "/contests/", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/contests/new", "/contests/new", [SIGN_IN, 200, 200, 403, 403]),
    ("POST", "/contests/new", "/contests/new", [SIGN_IN, 422, 422, 403, 403]),
    ("GET", "/contests/{contest_id:int}", "/contests/{contest}", [SIGN_IN, 200, 200, 200, 403]),
    ("GET", "/contests/{contest_id:int}", "/contests/{far_contest}", [SIGN_IN, 200, 404, 404, 403]),
    (
        "GET",
        "/contests/{contest_id:int}/edit",
        "/contests/{contest}/edit",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/edit",
        "/contests/{far_contest}/edit",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/edit",
        "/contests/{contest}/edit",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/edit",
        "/contests/{far_contest}/edit",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/scheme",
        "/contests/{contest}/scheme",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/scheme",
        "/contests/{far_contest}/scheme",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/criteria",
        "/contests/{contest}/criteria",
        [SIGN_IN, 422, 422, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/criteria",
        "/contests/{far_contest}/criteria",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/tie-breaks",
        "/contests/{contest}/tie-breaks",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/tie-breaks",
        "/contests/{far_contest}/tie-breaks",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/judges",
        "/contests/{contest}/judges",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/judges",
        "/contests/{far_contest}/judges",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/judges/{user_id:int}/reopen",
        "/contests/{contest}/judges/{judge_user}/reopen",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/judges/{user_id:int}/reopen",
        "/contests/{far_contest}/judges/{judge_user}/reopen",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/entries/new",
        "/contests/{contest}/entries/new",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/entries/new",
        "/contests/{far_contest}/entries/new",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/entries/new",
        "/contests/{contest}/entries/new",
        [SIGN_IN, 422, 422, 422, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/entries/new",
        "/contests/{far_contest}/entries/new",
        [SIGN_IN, 422, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/entries/{entry_id:int}",
        "/contests/{contest}/entries/{entry}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/entries/{entry_id:int}",
        "/contests/{far_contest}/entries/{far_entry}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/entries/{entry_id:int}/figures",
        "/contests/{contest}/entries/{entry}/figures",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/entries/{entry_id:int}/figures",
        "/contests/{far_contest}/entries/{far_entry}/figures",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/results",
        "/contests/{contest}/results",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/results",
        "/contests/{far_contest}/results",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/results/print",
        "/contests/{contest}/results/print",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/results/print",
        "/contests/{far_contest}/results/print",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/results.xlsx",
        "/contests/{contest}/results.xlsx",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/results.xlsx",
        "/contests/{far_contest}/results.xlsx",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/criteria/{criterion_id:int}/delete",
        "/contests/{contest}/criteria/{criterion}/delete",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/criteria/{criterion_id:int}/delete",
        "/contests/{far_contest}/criteria/{far_criterion}/delete",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/judges/{user_id:int}/remove",
        "/contests/{contest}/judges/{judge_user}/remove",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/judges/{user_id:int}/remove",
        "/contests/{far_contest}/judges/{judge_user}/remove",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/advance",
        "/contests/{contest}/advance",
        [SIGN_IN, 200, 200, 403, 403],
    ),
    (
        "GET",
        "/contests/{contest_id:int}/advance",
        "/contests/{far_contest}/advance",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/advance",
        "/contests/{contest}/advance",
        [SIGN_IN, 303, 303, 403, 403],
    ),
    (
        "POST",
        "/contests/{contest_id:int}/advance",
        "/contests/{far_contest}/advance",
        [SIGN_IN, 303, 404, 404, 403],
    ),
    (
        "GET",
        "/contests/members/{member_id:int}",
        "/contests/members/{member}",
        [SIGN_IN, 200, 200, 200, 403],
    ),
    (
        "GET",
        "/contests/members/{member_id:int}",
        "/contests/members/{far_member}",
        [SIGN_IN, 200, 404, 404, 403],
    ),
    # Judges score on their own sheet only; organizers have no sheet there.
    ("GET", "/judging", "/judging/", [SIGN_IN, 200, 200, 200, 200]),
    (
        "GET",
        "/judging/{contest_id:int}",
        "/judging/{judging_contest}",
        [SIGN_IN, 404, 404, 404, 200],
    ),
    (
        "GET",
        "/judging/{contest_id:int}/entries/{entry_id:int}",
        "/judging/{judging_contest}/entries/{judging_entry}",
        [SIGN_IN, 404, 404, 404, 200],
    ),
    (
        "POST",
        "/judging/{contest_id:int}/entries/{entry_id:int}",
        "/judging/{judging_contest}/entries/{judging_entry}",
        [SIGN_IN, 404, 404, 404, 303],
    ),
    (
        "POST",
        "/judging/{contest_id:int}/submit",
        "/judging/{judging_contest}/submit",
        [SIGN_IN, 404, 404, 404, 303],
    ),
    ("GET", "/results/{slug:str}", "/results/{contest_slug}", [404, 404, 404, 404, 404]),
    ("GET", "/api/v1/contests", "/api/v1/contests/", [401, 401, 401, 401, 401]),
    (
        "GET",
        "/api/v1/contests/{contest_id:int}/results",
        "/api/v1/contests/{contest}/results",
        [404, 404, 404, 404, 404],
    ),
    # The JSON API takes bearer tokens only: a browser session (and so a forged
    # cross-site request, the API being exempt from form tokens) gets nothing.
    ("GET", "/api/v1/members", "/api/v1/members/", [401, 401, 401, 401, 401]),
    (
        "GET",
        "/api/v1/members/{member_id:int}",
        "/api/v1/members/{member}",
        [401, 401, 401, 401, 401],
    ),
    ("POST", "/api/v1/members", "/api/v1/members/", [401, 401, 401, 401, 401]),
    (
        "GET",
        "/api/v1/members/{member_id:int}/changes",
        "/api/v1/members/{member}/changes",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/members/{member_id:int}/changes",
        "/api/v1/members/{member}/changes",
        [401, 401, 401, 401, 401],
    ),
    ("POST", "/api/v1/transfers", "/api/v1/transfers", [401, 401, 401, 401, 401]),
    (
        "GET",
        "/api/v1/transfers/{transfer_id:int}",
        "/api/v1/transfers/{transfer}",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/transfers/{transfer_id:int}/accept",
        "/api/v1/transfers/{transfer}/accept",
        [401, 401, 401, 401, 401],
    ),
    (
        "POST",
        "/api/v1/transfers/{transfer_id:int}/refuse",
        "/api/v1/transfers/{transfer}/refuse",
        [401, 401, 401, 401, 401],
    ),
    (
        "GET",
        "/api/v1/reports/membership",
        "/api/v1/reports/membership",
        [401, 401, 401, 401, 401],
    ),
    ("GET", "/api/v1/schema", "/api/v1/schema", [200, 200, 200, 200, 200]),
    (
        "GET",
        "/api/v1/schema/openapi.json",
        "/api/v1/schema/openapi.json",
        [200, 200, 200, 200, 200],
    ),
    ("GET", "/api/v1/schema/{path:str}", "/api/v1/schema/nothing", [404, 404, 404, 404, 404]),
    ("POST", "/login", "/login", [422, 422, 422, 422, 422]),
    ("POST", "/language", "/language", [303, 303, 303, 303, 303]),
    ("POST", "/logout", "/logout", [303, 303, 303, 303, 303]),
]


async def _members(tree, admin_id) -> dict:
    """An applicant in each part of the tree; not backbone, so approving it is always refused."""
    admin = await viewer(admin_id)
    return {
        "member": await make_member(admin, tree, "张三"),
        "other_member": await make_member(
            admin, tree, "李四", cooperative=tree.other_cooperative, village=tree.other_village
        ),
        "far_member": await make_member(
            admin, tree, "王五", cooperative=tree.far_cooperative, village=tree.far_village
        ),
    }


async def _transfers(tree, admin_id) -> dict:
    """A transfer waiting from the federation to the far one, and one within the far town."""
    admin = await viewer(admin_id)
    ids = {}
    for name, cooperative, village, to_union in (
        ("transfer", tree.cooperative, tree.village, tree.far_federation),
        ("far_transfer", tree.far_cooperative, tree.far_village, tree.far_town),
    ):
        member_id = await make_member(
            admin, tree, "赵六", backbone=True, cooperative=cooperative, village=village
        )
        await members.approve(admin, [member_id])
        ids[name] = await members.start_transfer(
            admin, member_id, to_union, members.local_today(), 1
        )
    return ids


async def _trainings(tree, admin_id) -> dict:
    """A programme and sessions here and in the far town, each with a non-member registered."""
    admin = await viewer(admin_id)
    ids = {}
    for prefix, federation in (("", tree.federation), ("far_", tree.far_federation)):
        programme = await trainings.save_programme(
            admin, trainings.ProgrammeInput("培训", "", federation)
        )
        session_id = await make_session(admin, programme)
        session = await trainings.get_session(admin, session_id)
        village = tree.village if not prefix else tree.far_village
        done = await trainings.register(session, registrant(tree, village_id=village))
        ids |= {
            f"{prefix}programme": programme,
            f"{prefix}session": session_id,
            f"{prefix}registration": done.registration_id,
        }
        if not prefix:
            spare = await trainings.register(session, registrant(tree, "乙"))
            ids |= {
                "slug": session["slug"],
                "code": done.code,
                "spare_registration": spare.registration_id,
            }
    ids["spare_session"] = await make_session(admin, ids["programme"])
    draft = await make_session(admin, ids["programme"], status="draft")
    ids["draft_slug"] = (await trainings.get_session(admin, draft))["slug"]
    return ids


async def _contests(tree, users) -> dict:
    """A contest open for entries here and in the far town, each with an entry and a judge;
    and one in judging, for the judge's own sheet."""
    admin, judge = await viewer(users["admin"]), users["judge"]
    ids = {}
    for prefix, federation, place in (
        ("", tree.federation, {}),
        (
            "far_",
            tree.far_federation,
            {"cooperative": tree.far_cooperative, "village": tree.far_village},
        ),
    ):
        contest_id = await make_contest(admin, tree, union_id=federation)
        await contests.add_judge(admin, contest_id, judge)
        await contests.advance(admin, contest_id)
        member_id = await make_member(admin, tree, "参赛者", backbone=True, **place)
        await members.approve(admin, [member_id])
        entry = await contests.enter(admin, contest_id, contests.EntryInput([member_id], "直播间"))
        ids |= {
            f"{prefix}contest": contest_id,
            f"{prefix}entry": entry,
            f"{prefix}criterion": (await contests.criteria(contest_id))[0]["id"],
        }
    ids["contest_slug"] = (await contests.get_contest(admin, ids["contest"])).slug
    judging = await make_contest(admin, tree)
    await contests.add_judge(admin, judging, judge)
    await contests.advance(admin, judging)
    member_id = await make_member(admin, tree, "评审对象", backbone=True)
    await members.approve(admin, [member_id])
    ids["judging_entry"] = await contests.enter(
        admin, judging, contests.EntryInput([member_id], "直播间")
    )
    await contests.advance(admin, judging)
    ids["judging_contest"] = judging
    return ids


async def _standards(tree) -> dict:
    """An item of each federation's standards checklist."""
    ids = {}
    for prefix, federation in (("", tree.federation), ("far_", tree.far_federation)):
        checklist = await orgs.standard_checklist(EVERYTHING, federation)
        ids[f"{prefix}standard_item"] = checklist.items[0]["id"]
    return ids


def test_matrix_covers_every_route():
    app = create_app()
    routes = {
        (method, route.path) for route in app.routes for method in getattr(route, "methods", ())
    }
    routes = {(m, p) for m, p in routes if m in ("GET", "POST")}
    covered = {(method, template) for method, template, _, _ in MATRIX}
    assert routes - covered == set()


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_exactly_its_statuses(settings, role):
    tree = await make_tree()
    users = await make_role_users(tree)
    ids = {
        **vars(tree),
        "judge_user": users["judge"],
        **await _members(tree, users["admin"]),
        **await _transfers(tree, users["admin"]),
        **await _trainings(tree, users["admin"]),
        **await _contests(tree, users),
        **await _standards(tree),
    }
    async with AsyncTestClient(app=create_app(settings)) as client:
        if role != "anonymous":
            await sign_in(client, role)
        token = csrf_token(await client.get("/login"))
        got, expected = [], []
        for method, _, path, statuses in MATRIX:
            if method == "POST" and path == "/logout":
                continue  # would end the session for the rows after it
            url = path.format(**ids)
            if method == "GET":
                response = await client.get(url, follow_redirects=False)
            else:
                response = await client.post(
                    url, data={"_csrf_token": token}, follow_redirects=False
                )
            got.append((method, url, response.status_code))
            expected.append((method, url, statuses[ROLES.index(role)]))
        assert got == expected
        response = await client.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
