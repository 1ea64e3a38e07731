"""Decimals sent as JSON numbers keep every digit (not rounded through a float)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from support import ApiUser


def test_a_long_json_number_round_trips_exactly(alice: ApiUser) -> None:
    asset = alice.create_asset()
    body = json.dumps({"asset_id": asset["id"], "type": "buy", "transaction_date": "2024-01-02"})
    body = (
        body[:-1] + ', "quantity": 123456789012.123456789, "price_per_unit": 0.123456789012345678}'
    )
    response = alice.client.post(
        "/api/transactions",
        content=body,
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["quantity"] == "123456789012.123456789"
    assert response.json()["price_per_unit"] == "0.123456789012345678"


def test_json_nan_and_huge_exponents_are_refused(alice: ApiUser) -> None:
    asset = alice.create_asset()
    for literal in ("NaN", "Infinity", "1e400", "-1e400"):
        body = (
            json.dumps(
                {
                    "asset_id": asset["id"],
                    "type": "buy",
                    "price_per_unit": "1",
                    "transaction_date": "2024-01-02",
                }
            )[:-1]
            + f', "quantity": {literal}}}'
        )
        response = alice.client.post(
            "/api/transactions",
            content=body,
            headers={**alice.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (literal, response.text)
        assert response.json()["detail"][0]["loc"][-1] == "quantity"
