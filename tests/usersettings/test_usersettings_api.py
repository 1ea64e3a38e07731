"""GET/PUT /api/settings: defaults, validation, isolation and the data version bump."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from support import user_version

if TYPE_CHECKING:
    from support import ApiUser


def test_it_answers_the_defaults_when_nothing_is_stored(alice: ApiUser) -> None:
    response = alice.get("/api/settings")
    assert response.status_code == 200
    assert response.json() == {
        "base_currency": "TRY",
        "locale": "tr-TR",
        "time_zone": "Europe/Istanbul",
    }


def test_it_stores_each_field_and_keeps_the_others(alice: ApiUser, engine: Engine) -> None:
    before = user_version(engine, alice.id)
    response = alice.put("/api/settings", json={"base_currency": "usd"})
    assert response.status_code == 200, response.text
    assert response.json()["base_currency"] == "USD"
    assert user_version(engine, alice.id) > before
    alice.put("/api/settings", json={"locale": "en_us", "time_zone": "America/New_York"})
    assert alice.get("/api/settings").json() == {
        "base_currency": "USD",
        "locale": "en-US",
        "time_zone": "America/New_York",
    }


def test_any_iso_code_is_a_valid_base_currency(alice: ApiUser) -> None:
    assert (
        alice.put("/api/settings", json={"base_currency": "CHF"}).json()["base_currency"] == "CHF"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"base_currency": "DOLLARS"}, "base_currency"),
        ({"base_currency": "T1Y"}, "base_currency"),
        ({"base_currency": None}, "base_currency"),
        ({"locale": "fr-FR"}, "locale"),
        ({"locale": 5}, "locale"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": "/etc/localtime"}, "time_zone"),
        ({"time_zone": "Europe/Istanbul\x00"}, "time_zone"),
        ({"theme": "dark"}, "theme"),
    ],
)
def test_it_refuses_bad_values_naming_the_field_and_writes_nothing(
    alice: ApiUser, engine: Engine, body: dict[str, object], field: str
) -> None:
    before = user_version(engine, alice.id)
    response = alice.put("/api/settings", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][-1] == field
    assert user_version(engine, alice.id) == before
    assert alice.get("/api/settings").json()["base_currency"] == "TRY"


def test_settings_are_per_user(alice: ApiUser, bob: ApiUser) -> None:
    alice.put("/api/settings", json={"base_currency": "EUR"})
    assert bob.get("/api/settings").json()["base_currency"] == "TRY"


def test_it_needs_a_session(client: TestClient) -> None:
    assert client.get("/api/settings").status_code == 401
    assert client.put("/api/settings", json={"locale": "en-US"}).status_code == 401
