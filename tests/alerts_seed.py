"""Seeds of the alert and notification tests: an asset priced by hand, the user's days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from support import ApiUser


def today() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Istanbul")).date().isoformat()


def yesterday() -> str:
    return (datetime.fromisoformat(today()) - timedelta(days=1)).date().isoformat()


def gold(user: ApiUser) -> dict[str, Any]:
    """A gram of gold bought long ago, priced by the user by hand (no feed needed)."""
    asset = user.create_asset(name="Gram gold", type="metal", unit="gram", currency="TRY")
    assert user.trade(asset["id"], "buy", "10", "2000", "2024-01-02").status_code == 201
    return asset


def price(user: ApiUser, asset_id: str, day: str, value: str) -> None:
    body = {"asset_id": asset_id, "date": day, "price": value}
    response = user.post("/api/prices/manual", json=body)
    assert response.status_code in (200, 201), response.text
