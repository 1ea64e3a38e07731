"""Messages a person reads: no "Value error, " prefixes, allowed values named instead of a
regular expression."""

from __future__ import annotations

from fastapi.testclient import TestClient

from support import ApiUser


def test_validator_messages_carry_no_value_error_prefix(client: TestClient) -> None:
    response = client.post(
        "/api/auth/signup", json={"email": "not an address", "password": "password"}
    )
    assert response.status_code == 422
    messages = [error["msg"] for error in response.json()["detail"]]
    assert messages
    assert not [m for m in messages if m.startswith(("Value error", "Assertion failed"))]
    assert any("not a valid email address" in m for m in messages)


def test_an_unknown_metal_is_told_which_metals_exist(alice: ApiUser) -> None:
    response = alice.get("/api/prices/metal?symbol=XPT")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "symbol"]
    assert "XAU" in error["msg"] and "XAG" in error["msg"]
    assert "^" not in error["msg"]  # no regular expression
