"""What the fuzzer checks at the edges of the document: the `Allow` header of a 405, a body
that cannot even be decoded, and the shapes the document promises for request fields."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from portfolio_tracker.api.types import (
    DAY_PATTERN,
    INSTANT_PATTERN,
    NON_NEGATIVE_DECIMAL_PATTERN,
    POSITIVE_DECIMAL_PATTERN,
)

if TYPE_CHECKING:
    from support import ApiUser

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def _allow(response: Any) -> set[str]:
    return {m.strip() for m in response.headers["allow"].split(",") if m.strip()}


def test_a_405_lists_every_method_the_document_gives_the_path(app: FastAPI, alice: ApiUser) -> None:
    paths = app.openapi()["paths"]
    some_id = "00000000-0000-4000-8000-000000000000"
    for template, item in paths.items():
        documented = {m.upper() for m in item if m in HTTP_METHODS}
        url = re.sub(r"\{[^}]+\}", some_id, template)
        for method in ("OPTIONS", "PATCH", "TRACE"):
            if method in documented:
                continue
            response = alice.client.request(method, url, headers=alice.headers)
            assert response.status_code == 405, (method, template)
            assert _allow(response) == documented, (method, template)


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/assets", {"GET", "POST"}),
        ("/api/assets/abc", {"GET", "PUT", "DELETE"}),
        ("/api/transactions/abc", {"GET", "PUT", "DELETE"}),
        ("/api/settings", {"GET", "PUT"}),
        ("/api/prices/manual", {"GET", "POST"}),
    ],
)
def test_options_is_a_405_with_the_full_allow_header(
    client: TestClient, path: str, methods: set[str]
) -> None:
    response = client.options(path)
    assert response.status_code == 405
    assert _allow(response) == methods


@pytest.mark.parametrize("path", ["/api/auth/signin", "/api/assets", "/api/transactions"])
def test_a_body_that_is_not_utf8_is_a_422_like_any_invalid_body(alice: ApiUser, path: str) -> None:
    response = alice.client.post(
        path,
        content=b'{"name": "\xff\xfe"}',
        headers={**alice.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {"loc": ["body"], "msg": "request body is not valid UTF-8", "type": "json_invalid"}
        ]
    }


def test_a_422_for_an_undecodable_body_is_documented(app: FastAPI) -> None:
    responses = app.openapi()["paths"]["/api/auth/signin"]["post"]["responses"]
    assert "422" in responses


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (
            DAY_PATTERN,
            ["2024-02-29", "2000-02-29", "1900-01-01"],
            ["1900-02-29", "2023-02-29", "2024-04-31", "20240101"],
        ),
        (
            INSTANT_PATTERN,
            ["2024-03-01", "2024-03-01T10:30Z", "2024-03-01 10:30:00.5+03:00"],
            ["1700000000", "2024-03-01T24:00", "2024-03-01T10"],
        ),
        (
            POSITIVE_DECIMAL_PATTERN,
            ["1", "0.5", "0.20", "0.050", "0.000000000000000010", "999999999999999.5"],
            ["0", "0.0", "0.000", "-1", "1e5", "1000000000000000", "0.0000000000000000001"],
        ),
        (NON_NEGATIVE_DECIMAL_PATTERN, ["0", "0.0", "12.25"], ["-0.1", "1e3", ".5"]),
    ],
)
def test_documented_patterns(pattern: str, good: list[str], bad: list[str]) -> None:
    assert all(re.search(pattern, text) for text in good)
    assert not any(re.search(pattern, text) for text in bad)


@given(
    integer=st.integers(min_value=0, max_value=10**15 - 1),
    fraction=st.text(alphabet="0123456789", min_size=0, max_size=20),
    pad=st.integers(min_value=0, max_value=3),
)
def test_the_positive_pattern_is_exactly_a_positive_decimal_in_bounds(
    integer: int, fraction: str, pad: int
) -> None:
    """Trailing zeros ("0.20") and leading ones ("00.5") never change the answer."""
    digits = "0" * pad + str(integer)
    text = f"{digits}.{fraction}" if fraction else digits
    expected = len(fraction) <= 18 and Decimal(text) > 0  # the integer is below 10^15
    assert bool(re.fullmatch(POSITIVE_DECIMAL_PATTERN, text)) == expected, text


def test_a_quantity_with_a_trailing_zero_is_accepted(alice: ApiUser) -> None:
    asset = alice.create_asset()
    answer = alice.trade(asset["id"], "buy", "0.20", "2000.50", "2024-01-02")
    assert answer.status_code == 201, answer.text
    assert answer.json()["quantity"] == "0.2"


def test_update_fields_that_may_not_be_null_are_not_nullable_in_the_document(
    app: FastAPI,
) -> None:
    schemas = app.openapi()["components"]["schemas"]
    for model, fields in {
        "TransactionUpdate": [
            "asset_id",
            "type",
            "quantity",
            "price_per_unit",
            "fee",
            "transaction_date",
        ],
        "AssetUpdate": ["name", "type", "currency"],
        "SettingsUpdate": ["base_currency", "locale", "time_zone"],
    }.items():
        for field in fields:
            text = str(schemas[model]["properties"][field])
            assert "'null'" not in text, (model, field)


def test_an_explicit_null_is_still_a_422(alice: ApiUser) -> None:
    asset = alice.create_asset()
    response = alice.put(f"/api/assets/{asset['id']}", json={"name": None})
    assert response.status_code == 422
    assert alice.put("/api/settings", json={"locale": None}).status_code == 422


def test_a_timestamp_is_not_a_trade_date(alice: ApiUser) -> None:
    asset = alice.create_asset()
    response = alice.trade(asset["id"], "buy", "1", "10", "1700000000")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "transaction_date"]
    assert alice.trade(asset["id"], "buy", "1", "10", "2024-03-01 10:30").status_code == 201
