"""Every bad transaction input is a 422 naming the field, and nothing is written.

Malformed requests (bad JSON, bad ids in the path or query, bad paging) are 4xx JSON,
never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from support import refusals

CountRows = Callable[[], dict[str, int]]

if TYPE_CHECKING:
    from support import ApiUser

TOMORROW_PLUS = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()

BAD_DECIMALS: list[Any] = [
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999999999",
    "-1e999999999",
    "1E+15",
    "1000000000000000",
    10**15,
    "1000000000000000.5",
    10**20,
    "0.0000000000000000001",  # 19 decimal places
    "1.1234567890123456789",
    "1e-19",
    "abc",
    "",
    " ",
    "1,5",
    "1.2.3",
    "0x10",
    "½",
    True,
    False,
    None,
    [],
    ["1"],
    {"value": "1"},
]

BAD_DATES: list[Any] = [
    "2099-01-01",
    TOMORROW_PLUS,
    "1899-12-31",
    "0001-01-01",
    "01/02/2024",
    "2024-13-01",
    "2024-02-30",
    "2024-1-5",
    "yesterday",
    "",
    20240102,
    1704153600,
    1704153600.0,
    True,
    None,
    [],
    {"date": "2024-01-01"},
]


def _valid_body(asset_id: str) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "type": "buy",
        "quantity": "1",
        "price_per_unit": "10",
        "transaction_date": "2024-01-01",
        "fee": "0",
        "note": None,
    }


def _assert_422_naming(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    locations = [tuple(err["loc"]) for err in detail]
    assert any(loc and loc[-1] == field for loc in locations), locations


@pytest.fixture
def asset_id(alice: ApiUser) -> str:
    asset = alice.create_asset()
    response = alice.trade(asset["id"], "buy", "100", "1", "2023-01-01")
    assert response.status_code == 201, response.text
    return str(asset["id"])


def test_quantity_not_positive_is_422(alice: ApiUser, count_rows: CountRows, asset_id: str) -> None:
    def send(value: Any) -> Any:
        return alice.post("/api/transactions", json={**_valid_body(asset_id), "quantity": value})

    assert (
        refusals(count_rows, send, ["0", 0, "-1", -1, "-0.000001", "-0", "0E-18"], "quantity") == []
    )


@pytest.mark.parametrize("field", ["price_per_unit", "fee"])
def test_negative_price_or_fee_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str, field: str
) -> None:
    def send(value: Any) -> Any:
        return alice.post("/api/transactions", json={**_valid_body(asset_id), field: value})

    assert refusals(count_rows, send, ["-1", -0.01, "-0.000000000000000001"], field) == []


@pytest.mark.parametrize("field", ["quantity", "price_per_unit", "fee"])
def test_non_finite_oversized_overprecise_or_non_numeric_decimal_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str, field: str
) -> None:
    def send(value: Any) -> Any:
        return alice.post("/api/transactions", json={**_valid_body(asset_id), field: value})

    assert refusals(count_rows, send, BAD_DECIMALS, field) == []


def test_null_fee_is_422(alice: ApiUser, count_rows: CountRows, asset_id: str) -> None:
    before = count_rows()

    response = alice.post("/api/transactions", json={**_valid_body(asset_id), "fee": None})

    _assert_422_naming(response, "fee")
    assert count_rows() == before


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999999999"])
def test_json_number_literals_that_are_not_finite_are_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str, literal: str
) -> None:
    before = count_rows()
    body = (
        f'{{"asset_id": "{asset_id}", "type": "buy", "quantity": {literal}, '
        '"price_per_unit": "1", "transaction_date": "2024-01-01"}'
    )

    response = alice.client.post(
        "/api/transactions",
        content=body,
        headers={**alice.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert count_rows() == before


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("quantity", "999999999999999.999999999999999999", "999999999999999.999999999999999999"),
        ("quantity", "0.000000000000000001", "0.000000000000000001"),
        ("quantity", 0.1, "0.1"),
        ("price_per_unit", "0", "0"),
        ("fee", "0.000000000000000001", "0.000000000000000001"),
    ],
)
def test_decimals_at_the_limits_are_accepted(
    alice: ApiUser, asset_id: str, field: str, value: Any, shown: str
) -> None:
    response = alice.post("/api/transactions", json={**_valid_body(asset_id), field: value})

    assert response.status_code == 201, response.text
    assert response.json()[field] == shown


def test_bad_transaction_date_is_422(alice: ApiUser, count_rows: CountRows, asset_id: str) -> None:
    def send(value: Any) -> Any:
        body = {**_valid_body(asset_id), "transaction_date": value}
        return alice.post("/api/transactions", json=body)

    assert refusals(count_rows, send, BAD_DATES, "transaction_date") == []


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01",
        "2024-01-01T10:30:00",
        "2024-01-01T10:30:00Z",
        "2024-01-01T10:30:00+03:00",
        "1900-01-01",
        datetime.now(UTC).date().isoformat(),
    ],
)
def test_iso_dates_and_date_times_up_to_today_are_accepted(
    alice: ApiUser, asset_id: str, value: str
) -> None:
    response = alice.post(
        "/api/transactions", json={**_valid_body(asset_id), "transaction_date": value}
    )

    assert response.status_code == 201, response.text


def test_type_not_buy_or_sell_is_422(alice: ApiUser, count_rows: CountRows, asset_id: str) -> None:
    def send(value: Any) -> Any:
        return alice.post("/api/transactions", json={**_valid_body(asset_id), "type": value})

    assert refusals(count_rows, send, ["BUY", "Buy", "dividend", "", 1, None, True], "type") == []


def test_bad_asset_id_in_the_body_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str
) -> None:
    def send(value: Any) -> Any:
        return alice.post("/api/transactions", json={**_valid_body(asset_id), "asset_id": value})

    bad = ["not-a-uuid", "", 123, None, "00000000-0000-0000-0000", [asset_id]]
    assert refusals(count_rows, send, bad, "asset_id") == []


def test_note_longer_than_1000_characters_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str
) -> None:
    before = count_rows()

    response = alice.post("/api/transactions", json={**_valid_body(asset_id), "note": "n" * 1001})

    _assert_422_naming(response, "note")
    assert count_rows() == before


@pytest.mark.parametrize(
    "field", ["asset_id", "type", "quantity", "price_per_unit", "transaction_date"]
)
def test_missing_required_field_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str, field: str
) -> None:
    body = _valid_body(asset_id)
    del body[field]
    before = count_rows()

    response = alice.post("/api/transactions", json=body)

    _assert_422_naming(response, field)
    assert count_rows() == before


@pytest.mark.parametrize("field", ["bogus", "user_id", "id", "sequence", "assetId"])
def test_unknown_field_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str, field: str
) -> None:
    before = count_rows()

    response = alice.post("/api/transactions", json={**_valid_body(asset_id), field: "x"})

    _assert_422_naming(response, field)
    assert count_rows() == before


BAD_EDITS: list[tuple[str, Any]] = [
    ("quantity", "0"),
    ("quantity", "NaN"),
    ("quantity", "1e999999999"),
    ("price_per_unit", "-1"),
    ("fee", "-1"),
    ("fee", "Infinity"),
    ("transaction_date", "2099-01-01"),
    ("transaction_date", "01/02/2024"),
    ("transaction_date", 20240102),
    ("type", "gift"),
    ("asset_id", "nope"),
    ("note", "n" * 1001),
    ("bogus", 1),
    ("asset_id", None),
    ("type", None),
    ("quantity", None),
    ("price_per_unit", None),
    ("transaction_date", None),
    ("fee", None),
]


@pytest.mark.parametrize("field", sorted({field for field, _ in BAD_EDITS}))
def test_bad_edit_is_422_naming_the_field_and_changes_nothing(
    alice: ApiUser, count_rows: CountRows, asset_id: str, field: str
) -> None:
    created = alice.trade(asset_id, "buy", "1", "1", "2024-01-01", note="before")
    assert created.status_code == 201, created.text
    url = f"/api/transactions/{created.json()['id']}"
    listed = alice.get("/api/transactions").json()

    def send(value: Any) -> Any:
        return alice.put(url, json={field: value})

    values = [value for name, value in BAD_EDITS if name == field]
    assert refusals(count_rows, send, values, field) == []
    assert alice.get("/api/transactions").json() == listed


MALFORMED_BODIES: list[tuple[str, str]] = [
    ('{"asset_id": ', "application/json"),
    ("{'single': 'quotes'}", "application/json"),
    ("not json at all", "application/json"),
    ("", "application/json"),
    ("[]", "application/json"),
    ('"a string"', "application/json"),
    ("null", "application/json"),
    ("42", "application/json"),
    ('{"quantity": "1"}', "text/plain"),
    ("\xff\xfe", "application/json"),
]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_malformed_body_is_a_json_4xx_never_500(
    alice: ApiUser, count_rows: CountRows, asset_id: str, method: str
) -> None:
    created = alice.trade(asset_id, "buy", "1", "1", "2024-01-01")
    url = "/api/transactions" if method == "POST" else f"/api/transactions/{created.json()['id']}"
    before = count_rows()

    for content, content_type in MALFORMED_BODIES:
        response = alice.client.request(
            method,
            url,
            content=content.encode("utf-8", "surrogateescape"),
            headers={**alice.headers, "Content-Type": content_type},
        )

        assert 400 <= response.status_code < 500, (content, response.text)
        assert response.headers["content-type"].startswith("application/json"), content
        assert "detail" in response.json()
    assert count_rows() == before


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_invalid_transaction_id_in_the_path_is_422(
    alice: ApiUser, count_rows: CountRows, asset_id: str, method: str
) -> None:
    def send(bad: str) -> Any:
        return alice.client.request(
            method,
            f"/api/transactions/{bad}",
            headers=alice.headers,
            json={"note": "x"} if method == "PUT" else None,
        )

    bad = ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "%20"]
    assert refusals(count_rows, send, bad, "transaction_id") == []


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"assetId": "nope"}, "assetId"),
    ({"asset_id": "nope"}, "asset_id"),
    ({"assetId": ""}, "assetId"),
    ({"limit": 0}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": 10_001}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"offset": -1}, "offset"),
    ({"offset": "x"}, "offset"),
    ({"offset": "1.5"}, "offset"),
]


def test_bad_query_parameters_are_422(alice: ApiUser, asset_id: str) -> None:
    problems = []
    for params, field in BAD_QUERIES:
        response = alice.get("/api/transactions", params=params)
        locations = (
            [err["loc"][-1] for err in response.json()["detail"]]
            if response.status_code == 422
            else []
        )
        if field not in locations:
            problems.append(f"{params}: {response.status_code} {response.text[:200]}")

    assert problems == []


@pytest.mark.parametrize("limit", [1, 10_000])
def test_limit_bounds_are_accepted(alice: ApiUser, asset_id: str, limit: int) -> None:
    response = alice.get("/api/transactions", params={"limit": limit})

    assert response.status_code == 200
    assert len(response.json()) == 1
