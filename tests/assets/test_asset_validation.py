"""Every bad asset input is a 422 naming the field, and the database is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from support import refusals

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser

BAD_VALUES: dict[str, list[Any]] = {
    "name": ["", "   ", "\t\n", "x" * 201, None, 5, [], {"en": "Gold"}],
    "type": ["bond", "", "METAL", "Metal", None, 1, True],
    "currency": ["US", "usdx", "ı", "ııı", "€€€", "US1", "U$D", "", "   ", 840, None],
    "ticker_symbol": ["$$$", "a b", "-AAPL", "x" * 33, "", 7],
}


@pytest.mark.parametrize("field", sorted(BAD_VALUES))
def test_create_asset_with_a_bad_field_is_422(
    alice: ApiUser, count_rows: CountRows, field: str
) -> None:
    def send(value: Any) -> Any:
        return alice.post("/api/assets", json={"name": "Gold", "type": "metal", field: value})

    values = [v for v in BAD_VALUES[field] if not (field == "ticker_symbol" and v is None)]
    assert refusals(count_rows, send, values, field) == []


@pytest.mark.parametrize("field", sorted(BAD_VALUES))
def test_update_asset_with_a_bad_field_is_422_and_the_asset_is_unchanged(
    alice: ApiUser, count_rows: CountRows, field: str
) -> None:
    asset = alice.create_asset(name="Gold", ticker_symbol="XAU", currency="USD")

    def send(value: Any) -> Any:
        return alice.put(f"/api/assets/{asset['id']}", json={field: value})

    values = [v for v in BAD_VALUES[field] if not (field == "ticker_symbol" and v is None)]
    assert refusals(count_rows, send, values, field) == []
    assert alice.get("/api/assets").json() == [asset]


def test_name_of_200_characters_is_accepted(alice: ApiUser) -> None:
    assert alice.create_asset(name="x" * 200)["name"] == "x" * 200


@pytest.mark.parametrize("field", ["name", "type"])
def test_missing_required_field_is_422(alice: ApiUser, count_rows: CountRows, field: str) -> None:
    body = {"name": "Gold", "type": "metal"}
    del body[field]
    before = count_rows()

    response = alice.post("/api/assets", json=body)

    assert response.status_code == 422
    assert any(err["loc"][-1] == field for err in response.json()["detail"])
    assert count_rows() == before


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_unknown_fields_are_refused(alice: ApiUser, count_rows: CountRows, method: str) -> None:
    asset = alice.create_asset()
    url = "/api/assets" if method == "POST" else f"/api/assets/{asset['id']}"

    def send(field: str) -> Any:
        body = {"name": "Gold", "type": "metal", field: "x"}
        return alice.client.request(method, url, json=body, headers=alice.headers)

    for field in ["bogus", "id", "user_id", "next_sequence", "tickerSymbol"]:
        assert refusals(count_rows, send, [field], field) == [], field
    assert alice.get("/api/assets").json() == [asset]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_malformed_body_is_a_json_4xx_never_500(
    alice: ApiUser, count_rows: CountRows, method: str
) -> None:
    asset = alice.create_asset()
    url = "/api/assets" if method == "POST" else f"/api/assets/{asset['id']}"
    before = count_rows()

    for content in ['{"name": ', "{'a': 1}", "", "[]", "null", '"Gold"', "\xff"]:
        response = alice.client.request(
            method,
            url,
            content=content.encode("utf-8", "surrogateescape"),
            headers={**alice.headers, "Content-Type": "application/json"},
        )

        assert 400 <= response.status_code < 500, (content, response.text)
        assert response.headers["content-type"].startswith("application/json")
    assert count_rows() == before


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/lots"), ("GET", "/realized")],
)
def test_invalid_asset_id_in_the_path_is_422(
    alice: ApiUser, count_rows: CountRows, method: str, suffix: str
) -> None:
    alice.create_asset()

    def send(bad: str) -> Any:
        return alice.client.request(
            method,
            f"/api/assets/{bad}{suffix}",
            headers=alice.headers,
            json={"name": "x"} if method == "PUT" else None,
        )

    bad = ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g"]
    assert refusals(count_rows, send, bad, "asset_id") == []
