"""Text that a database cannot store is refused as input, not crashed on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from support import ApiUser


def test_a_nul_character_in_sign_in_is_a_422(client: TestClient) -> None:
    response = client.post("/api/auth/signin", json={"email": "\x00", "password": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_a_nul_character_in_an_asset_name_is_a_422(alice: ApiUser) -> None:
    response = alice.post("/api/assets", json={"name": "Gold\x00", "type": "metal"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    assert alice.get("/api/assets").json() == []
