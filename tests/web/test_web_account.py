"""The account sections of the settings page: password change, API tokens, signing out
everywhere and deleting the account — through the same service as the API, on both databases."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_forms import post_form, sign_up_through_page

from support import PASSWORD, ApiUser

NEW_PASSWORD = "another quite long passphrase"


def _signed_in(client: TestClient, email: str) -> TestClient:
    sign_up_through_page(client, email)
    return client


def _second_session(app: FastAPI, email: str, password: str = PASSWORD) -> TestClient:
    other = TestClient(app)
    answer = post_form(other, "/signin", {"email": email, "password": password})
    assert answer.status_code == 303, answer.text
    return other


def test_a_wrong_current_password_is_shown_at_its_field_and_changes_nothing(
    client: TestClient,
) -> None:
    _signed_in(client, "pw@example.com")
    form = {"current_password": "not my password at all", "new_password": NEW_PASSWORD}
    answer = post_form(client, "/settings", form, action="/settings/password")
    assert answer.status_code == 422
    assert 'id="current_password-errors"' in answer.text
    assert client.get("/api/auth/session").status_code == 200


def test_changing_the_password_signs_out_the_other_sessions_only(
    client: TestClient, app: FastAPI
) -> None:
    _signed_in(client, "change@example.com")
    with _second_session(app, "change@example.com") as other:
        form = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        answer = post_form(client, "/settings", form, action="/settings/password")
        assert answer.status_code == 303
        assert other.get("/api/auth/session").status_code == 401
    assert client.get("/api/auth/session").status_code == 200
    with _second_session(app, "change@example.com", NEW_PASSWORD):
        pass


def test_an_api_token_is_shown_once_works_and_can_be_revoked(client: TestClient) -> None:
    _signed_in(client, "tokens@example.com")
    answer = post_form(client, "/settings", {"name": "backup script"}, action="/settings/tokens")
    assert answer.status_code == 200
    secret = re.search(r'id="new-token"[^>]*value="([^"]+)"', answer.text)
    assert secret
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    with TestClient(client.app) as script:
        assert script.get("/api/assets", headers=bearer).status_code == 200
        page = client.get("/settings").text
        assert "backup script" in page and secret.group(1) not in page  # listed, never again
        revoke = re.search(r'action="(/settings/tokens/[^"]+/revoke)"', page)
        assert revoke
        assert post_form(client, "/settings", {}, action=revoke.group(1)).status_code == 303
        assert script.get("/api/assets", headers=bearer).status_code == 401


def test_a_blank_token_name_is_refused_at_its_field(
    client: TestClient, count_rows: Callable[[], dict[str, int]]
) -> None:
    _signed_in(client, "blank@example.com")
    before = count_rows()
    answer = post_form(client, "/settings", {"name": "  "}, action="/settings/tokens")
    assert answer.status_code == 422
    assert 'id="name-errors"' in answer.text
    assert count_rows() == before


def test_another_users_token_cannot_be_revoked_from_the_page(
    client: TestClient, alice: ApiUser
) -> None:
    created = alice.post("/api/tokens", json={"name": "alice's script"})
    assert created.status_code == 201, created.text
    token_id, secret = created.json()["id"], created.json()["token"]
    _signed_in(client, "mallory@example.com")
    answer = post_form(client, "/settings", {}, action=f"/settings/tokens/{token_id}/revoke")
    assert answer.status_code == 404
    bearer = {"Authorization": f"Bearer {secret}"}
    assert alice.client.get("/api/assets", headers=bearer).status_code == 200


def test_sign_out_everywhere_ends_every_session_of_the_user(
    client: TestClient, app: FastAPI
) -> None:
    _signed_in(client, "everywhere@example.com")
    with _second_session(app, "everywhere@example.com") as other:
        answer = post_form(client, "/settings", {}, action="/settings/signout-everywhere")
        assert answer.status_code == 303
        assert other.get("/api/auth/session").status_code == 401
    assert client.get("/api/auth/session").status_code == 401


def test_deleting_the_account_needs_the_box_and_the_password(
    client: TestClient, count_rows: Callable[[], dict[str, int]]
) -> None:
    _signed_in(client, "keep@example.com")
    before = count_rows()
    unticked = post_form(client, "/settings", {"password": PASSWORD}, action="/settings/delete")
    assert unticked.status_code == 422 and 'id="confirm-errors"' in unticked.text
    wrong = {"password": "not the password", "confirm": "yes"}
    refused = post_form(client, "/settings", wrong, action="/settings/delete")
    assert refused.status_code == 422 and 'id="password-errors"' in refused.text
    assert count_rows() == before


def test_deleting_the_account_removes_every_row_of_the_user_only(
    client: TestClient, alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    alice.create_asset(name="Alice keeps this")
    before = count_rows()
    _signed_in(client, "leaving@example.com")
    asset = client.post(
        "/api/assets",
        json={"name": "Gone", "type": "metal"},
        headers={"Origin": str(client.base_url).rstrip("/")},
    )
    assert asset.status_code == 201
    form = {"password": PASSWORD, "confirm": "yes"}
    answer = post_form(client, "/settings", form, action="/settings/delete")
    assert answer.status_code == 303
    assert count_rows() == before  # all of the leaver's rows gone, Alice's untouched
    assert "deleted" in client.get(answer.headers["location"]).text
