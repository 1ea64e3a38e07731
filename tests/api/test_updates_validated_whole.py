"""Issue 8, section 5 and "Also": an update gives the same answer as a create of its result;
currencies are ISO 4217 codes in use; decimal text is accepted exactly as /openapi.json says;
a refused DELETE or date move names the right thing."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from portfolio_tracker.api.types import InputDecimal, NonNegativeDecimal, PositiveDecimal

if TYPE_CHECKING:
    from support import ApiUser

CEYREK = {"name": "Çeyrek", "type": "metal", "unit": "ceyrek"}


def _loc(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    return response.json()["detail"][0]["loc"]  # type: ignore[no-any-return]


def test_an_update_is_refused_where_a_create_of_its_result_is(alice: ApiUser) -> None:
    asset = alice.create_asset(**CEYREK)
    change = {"type": "crypto", "fineness": "0.5"}

    created = alice.post("/api/assets", json={**CEYREK, **change})
    updated = alice.put(f"/api/assets/{asset['id']}", json=change)

    assert (created.status_code, updated.status_code) == (422, 422)
    assert alice.get(f"/api/assets/{asset['id']}").json()["type"] == "metal"
    # The whole result is valid once the metal-only fields go too.
    fine = alice.put(f"/api/assets/{asset['id']}", json={**change, "unit": None, "fineness": None})
    assert (fine.status_code, fine.json()["type"]) == (200, "crypto")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"unit": "kilogram"}, "unit"),
        ({"type": "crypto", "unit": None}, "type"),
        ({"unit": "gram", "fineness": "0.5"}, "unit"),
    ],
)
def test_an_asset_with_trades_keeps_what_its_quantities_mean(
    alice: ApiUser, change: dict[str, Any], field: str
) -> None:
    asset = alice.create_asset(**CEYREK)
    assert alice.trade(asset["id"], "buy", "2", "4000", "2024-01-02").status_code == 201

    response = alice.put(f"/api/assets/{asset['id']}", json=change)

    assert _loc(response) == ["body", field]
    assert "reinterpreted" in response.json()["detail"][0]["msg"]
    assert "new asset" in response.json()["detail"][0]["msg"]
    after = alice.get(f"/api/assets/{asset['id']}").json()
    assert (after["unit"], after["holding"]["quantity"]) == ("ceyrek", "2")


def test_an_asset_without_trades_may_change_its_unit(alice: ApiUser) -> None:
    asset = alice.create_asset(**CEYREK)
    response = alice.put(f"/api/assets/{asset['id']}", json={"unit": "kilogram"})
    assert (response.status_code, response.json()["unit"]) == (200, "kilogram")


@pytest.mark.parametrize("code", ["XYZ", "XXX", "XAU", "DEM", "usd "])
def test_only_iso_4217_currencies_in_use_are_accepted(alice: ApiUser, code: str) -> None:
    asset = alice.create_asset(name="Fund", type="fund")

    assert _loc(alice.put("/api/settings", json={"base_currency": code})) == [
        "body",
        "base_currency",
    ]
    assert alice.get("/api/settings").json()["base_currency"] == "TRY"
    assert _loc(alice.get("/api/portfolio", params={"currency": code})) == ["query", "currency"]
    history = alice.get("/api/portfolio/history", params={"currency": code})
    assert _loc(history) == ["query", "currency"]
    created = alice.post("/api/assets", json={"name": "X", "type": "stock", "currency": code})
    assert _loc(created) == ["body", "currency"]
    assert _loc(alice.put(f"/api/assets/{asset['id']}", json={"currency": code})) == [
        "body",
        "currency",
    ]
    price = {"asset_id": asset["id"], "date": "2024-01-02", "price": "1", "currency": code}
    assert _loc(alice.post("/api/prices/manual", json=price)) == ["body", "currency"]


def test_a_currency_in_use_in_any_case_is_accepted(alice: ApiUser) -> None:
    assert alice.put("/api/settings", json={"base_currency": "chf"}).json()["base_currency"] == (
        "CHF"
    )
    assert alice.get("/api/portfolio", params={"currency": "gbp"}).status_code == 200


@pytest.mark.parametrize(
    "text", ["１２", "1_000", " 1 ", "1 ", "1e3", "+1", "1.5000000000000000000"]
)
def test_decimal_text_outside_the_documented_pattern_is_refused(
    alice: ApiUser, count_rows: Any, text: str
) -> None:
    asset = alice.create_asset(name="Fund", type="fund")
    created = alice.trade(asset["id"], "buy", "1", "1", "2024-01-02").json()
    before = count_rows()

    assert _loc(alice.trade(asset["id"], "buy", text, "1", "2024-01-02")) == ["body", "quantity"]
    edit = alice.put(f"/api/transactions/{created['id']}", json={"price_per_unit": text})
    assert _loc(edit) == ["body", "price_per_unit"]
    fee = alice.trade(asset["id"], "buy", "1", "1", "2024-01-02", fee=text)
    assert _loc(fee) == ["body", "fee"]
    assert count_rows() == before
    assert alice.get(f"/api/transactions/{created['id']}").json() == created


def _pattern(adapter: TypeAdapter[Any]) -> re.Pattern[str]:
    (text,) = [v for v in adapter.json_schema()["anyOf"] if v["type"] == "string"]
    return re.compile(text["pattern"])


@pytest.mark.parametrize("kind", [InputDecimal, PositiveDecimal, NonNegativeDecimal])
@given(
    text=st.from_regex(r"\A[-+ _.0-9１２eE]{0,25}\Z")
    | st.tuples(st.integers(-(10**17), 10**17), st.integers(0, 20)).map(
        lambda t: str(Decimal(t[0]).scaleb(-t[1]))
    )
)
def test_decimal_text_is_accepted_exactly_when_the_openapi_pattern_matches(
    kind: Any, text: str
) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    try:
        adapter.validate_python(text)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted == bool(_pattern(adapter).fullmatch(text))


# --- Also: a refused DELETE or date move names the right thing ----------------------------


def test_a_refused_delete_names_the_path_and_the_sell_that_would_oversell(
    alice: ApiUser,
) -> None:
    asset = alice.create_asset(name="Fund", type="fund")
    buy = alice.trade(asset["id"], "buy", "10", "1", "2024-01-01").json()
    sell = alice.trade(asset["id"], "sell", "4", "1", "2024-01-05").json()

    response = alice.delete(f"/api/transactions/{buy['id']}")

    assert _loc(response) == ["path", "transaction_id"]
    detail = response.json()["detail"][0]
    assert detail["type"] == "oversell"
    assert sell["id"] in detail["msg"] and "2024-01-05" in detail["msg"] and "by 4" in detail["msg"]


def test_a_refused_date_move_names_the_date(alice: ApiUser) -> None:
    asset = alice.create_asset(name="Fund", type="fund")
    buy = alice.trade(asset["id"], "buy", "10", "1", "2024-01-01").json()
    sell = alice.trade(asset["id"], "sell", "4", "1", "2024-01-05").json()

    later = alice.put(f"/api/transactions/{buy['id']}", json={"transaction_date": "2024-01-06"})
    assert _loc(later) == ["body", "transaction_date"]
    assert sell["id"] in later.json()["detail"][0]["msg"]
    earlier = alice.put(f"/api/transactions/{sell['id']}", json={"transaction_date": "2023-12-31"})
    assert _loc(earlier) == ["body", "transaction_date"]
    assert (
        "would make this sell, on 2023-12-31, sell more than is held, by 4"
        in (earlier.json()["detail"][0]["msg"])
    )
    assert alice.get(f"/api/transactions/{sell['id']}").json() == sell
