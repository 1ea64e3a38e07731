"""POST /api/auth/signout: the session dies on the server at once; others live on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from support import ApiUser

SIGNOUT = "/api/auth/signout"
SESSION = "/api/auth/session"
OWN_ORIGIN = {"Origin": "http://testserver"}
SessionRow = Callable[[str], dict[str, Any] | None]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_signout_by_bearer_kills_the_token_at_once(
    client: TestClient, alice: ApiUser, session_row: SessionRow
) -> None:
    response = client.post(SIGNOUT, headers=bearer(alice.token))

    assert response.status_code == 204
    assert response.content == b""
    assert session_row(alice.token) is None
    assert client.get(SESSION, headers=bearer(alice.token)).status_code == 401
    client.cookies.set("pt_session", alice.token)
    assert client.get(SESSION).status_code == 401


def test_signout_by_cookie_kills_the_token_and_clears_the_cookie(
    alice: ApiUser, session_row: SessionRow
) -> None:
    response = alice.client.post(SIGNOUT, headers=OWN_ORIGIN)

    assert response.status_code == 204
    cleared = response.headers["set-cookie"].lower()
    assert cleared.startswith('pt_session="";') or cleared.startswith("pt_session=;")
    assert "max-age=0" in cleared
    assert session_row(alice.token) is None
    # even a client that kept the cookie (or the token) is refused now
    alice.client.cookies.set("pt_session", alice.token)
    assert alice.client.get(SESSION).status_code == 401
    assert alice.client.get(SESSION, headers=bearer(alice.token)).status_code == 401


def test_signout_leaves_the_users_other_sessions_and_other_users_alone(
    client: TestClient, alice: ApiUser, bob: ApiUser, password: str
) -> None:
    other = client.post(
        "/api/auth/signin", json={"email": alice.email, "password": password}
    ).json()["token"]

    assert client.post(SIGNOUT, headers=bearer(alice.token)).status_code == 204

    assert client.get(SESSION, headers=bearer(alice.token)).status_code == 401
    assert client.get(SESSION, headers=bearer(other)).status_code == 200
    assert client.get(SESSION, headers=bearer(bob.token)).status_code == 200


def test_signout_without_a_session_is_401(client: TestClient) -> None:
    response = client.post(SIGNOUT)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_second_signout_with_the_same_token_is_401(client: TestClient, alice: ApiUser) -> None:
    assert client.post(SIGNOUT, headers=bearer(alice.token)).status_code == 204
    assert client.post(SIGNOUT, headers=bearer(alice.token)).status_code == 401


def test_signing_in_again_after_signout_works(
    client: TestClient, alice: ApiUser, password: str
) -> None:
    assert client.post(SIGNOUT, headers=bearer(alice.token)).status_code == 204

    response = client.post("/api/auth/signin", json={"email": alice.email, "password": password})

    assert response.status_code == 200
    assert response.json()["token"] != alice.token
    assert client.get(SESSION, headers=bearer(response.json()["token"])).status_code == 200
