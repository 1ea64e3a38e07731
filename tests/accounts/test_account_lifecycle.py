"""Password change, signing out everywhere, API tokens, the account export and the account's
deletion, over the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from portfolio_tracker.db.models import Base, UserSession
from support import PASSWORD

if TYPE_CHECKING:
    from support import ApiUser

NEW_PASSWORD = "another quite long passphrase"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/signin", json={"email": email, "password": password})


def new_token(user: ApiUser, **body: Any) -> dict[str, Any]:
    response = user.post("/api/tokens", json={"name": "backup script", **body})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def alive(client: TestClient, token: str) -> bool:
    status: int = client.get("/api/auth/session", headers=bearer(token)).status_code
    assert status in (200, 401)
    return status == 200


def test_a_password_change_revokes_every_other_session(client: TestClient, alice: ApiUser) -> None:
    other = sign_in(client, alice.email).json()["token"]
    api = new_token(alice)["token"]

    changed = alice.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert changed.status_code == 204, changed.text
    assert alive(client, alice.token)
    assert not alive(client, other)
    assert not alive(client, api)
    assert sign_in(client, alice.email).status_code == 401
    assert sign_in(client, alice.email, NEW_PASSWORD).status_code == 200


def test_a_wrong_current_or_a_weak_new_password_changes_nothing(
    client: TestClient, alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    other = sign_in(client, alice.email).json()["token"]
    before = count_rows()
    wrong = alice.post(
        "/api/auth/password", json={"current_password": "not it at all", "new_password": "x" * 20}
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "current_password"]
    weak = alice.post(
        "/api/auth/password", json={"current_password": PASSWORD, "new_password": "password"}
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"][:2] == ["body", "new_password"]
    assert alive(client, other)
    assert count_rows() == before
    assert sign_in(client, alice.email).status_code == 200


def test_wrong_passwords_are_rate_limited_like_sign_ins(
    build_app: Callable[..., FastAPI], open_client: Callable[..., TestClient]
) -> None:
    app = build_app(auth_rate_limit="3/minute")
    client = open_client(app)
    signed_up = client.post(
        "/api/auth/signup", json={"email": "r@example.com", "password": PASSWORD}
    )
    headers = bearer(signed_up.json()["token"])
    body = {"current_password": "wrong wrong wrong", "new_password": NEW_PASSWORD}
    answers = [
        client.post("/api/auth/password", json=body, headers=headers).status_code for _ in range(4)
    ]
    assert answers == [422, 422, 422, 429]
    # The same budget as sign-in: the right password is refused too until the window passes.
    assert sign_in(client, "r@example.com").status_code == 429
    delete = client.request("DELETE", "/api/account", json={"password": PASSWORD}, headers=headers)
    assert delete.status_code == 429


def test_sign_out_everywhere_revokes_every_session_and_token(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    other = sign_in(client, alice.email).json()["token"]
    api = new_token(alice)["token"]

    response = alice.post("/api/auth/signout-all")

    assert response.status_code == 204
    assert not any(alive(client, token) for token in (alice.token, other, api))
    assert alive(client, bob.token)


def test_api_tokens_are_shown_once_stored_hashed_and_revocable(
    client: TestClient, alice: ApiUser, engine: Engine
) -> None:
    created = new_token(alice, expires_in_days=30)
    forever = new_token(alice, name="  forever  ")

    assert set(created) == {"id", "name", "token", "created_at", "expires_at", "last_used_at"}
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert forever["name"] == "forever" and forever["expires_at"] is None
    # A token is a bearer credential for the whole API, and is not extended by use.
    assert client.get("/api/assets", headers=bearer(created["token"])).status_code == 200
    session = client.get("/api/auth/session", headers=bearer(forever["token"])).json()
    assert session["expires_at"] is None

    listed = alice.get("/api/tokens").json()
    assert [t["id"] for t in listed] == [forever["id"], created["id"]]
    assert all("token" not in t for t in listed)
    assert (
        listed[1]["last_used_at"] is not None and listed[1]["expires_at"] == created["expires_at"]
    )
    with engine.connect() as connection:
        stored = connection.execute(select(UserSession.token_hash, UserSession.kind)).all()
    assert all(created["token"] not in row.token_hash for row in stored)
    assert {row.kind for row in stored} == {"web", "api"}

    assert alice.delete(f"/api/tokens/{created['id']}").status_code == 204
    assert not alive(client, created["token"])
    assert alive(client, forever["token"])
    assert alice.delete(f"/api/tokens/{created['id']}").status_code == 404


def test_tokens_of_others_and_sign_in_sessions_are_not_tokens(
    client: TestClient, alice: ApiUser, bob: ApiUser
) -> None:
    token = new_token(alice)
    assert bob.get("/api/tokens").json() == []
    assert bob.delete(f"/api/tokens/{token['id']}").status_code == 404
    assert alive(client, token["token"])
    session_id = alice.get("/api/auth/session").json()["session"]["id"]
    assert alice.delete(f"/api/tokens/{session_id}").status_code == 404
    assert alive(client, alice.token)


def _fill(user: ApiUser) -> None:
    """One row of the user in every table a user can write to."""
    asset = user.create_asset(name=f"Gold of {user.email}")
    assert user.trade(asset["id"], "buy", "2", "1000", "2024-01-02").status_code == 201
    manual = {"asset_id": asset["id"], "date": "2024-01-02", "price": "1100"}
    assert user.post("/api/prices/manual", json=manual).status_code == 201
    assert user.put("/api/settings", json={"base_currency": "USD"}).status_code == 200
    new_token(user)


def test_the_account_export_holds_everything_of_yours_and_nothing_else(
    alice: ApiUser, bob: ApiUser
) -> None:
    _fill(alice)
    _fill(bob)

    response = alice.get("/api/account/export")

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    export = response.json()
    assert export["profile"]["email"] == alice.email
    assert export["settings"]["base_currency"] == "USD"
    assert [a["name"] for a in export["assets"]] == [f"Gold of {alice.email}"]
    assert [t["quantity"] for t in export["transactions"]] == ["2"]
    assert [p["price"] for p in export["manual_prices"]] == ["1100"]
    assert [t["name"] for t in export["api_tokens"]] == ["backup script"]
    assert len(export["sessions"]) == 1
    text_of_it = json.dumps(export)
    assert bob.email not in text_of_it and bob.id not in text_of_it
    assert "hashed_password" not in text_of_it and "token_hash" not in text_of_it
    assert alice.token not in text_of_it
    # Every table with rows of a user has its section.
    owned = {t.name for t in Base.metadata.sorted_tables if "user_id" in t.c}
    assert owned - {"users", "sessions", "user_settings"} <= set(export)


def test_deleting_the_account_removes_every_row_of_yours_and_nothing_else(
    make_user: Callable[..., ApiUser],
    client: TestClient,
    engine: Engine,
    count_rows: Callable[[], dict[str, int]],
) -> None:
    bob = make_user()
    _fill(bob)
    bobs_world = count_rows()
    alice = make_user()
    _fill(alice)
    sign_in(client, alice.email)
    assert all(count_rows()[t] >= bobs_world[t] for t in bobs_world)

    wrong = alice.client.request(
        "DELETE", "/api/account", json={"password": "not my password"}, headers=alice.headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["loc"] == ["body", "password"]

    deleted = alice.client.request(
        "DELETE", "/api/account", json={"password": PASSWORD}, headers=alice.headers
    )

    assert deleted.status_code == 204, deleted.text
    assert count_rows() == bobs_world
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            column = "id" if table.name == "users" else "user_id"
            if column in table.c:
                left = connection.execute(
                    select(table.c[column]).where(table.c[column] == uuid.UUID(alice.id))
                ).all()
                assert left == [], table.name
        assert (
            connection.execute(
                text("SELECT COUNT(*) FROM data_versions WHERE scope = :scope"),
                {"scope": f"user:{alice.id}"},
            ).scalar_one()
            == 0
        )
    assert not alive(client, alice.token)
    assert sign_in(client, alice.email).status_code == 401
    assert bob.get("/api/assets").status_code == 200
    assert len(bob.get("/api/transactions").json()) == 1
