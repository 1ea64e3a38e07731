"""Values across a corporate action's ex-date: adjusted and unadjusted price series give the
same true value (pre-action quantity x that day's own price), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portfolio_seed import Store, store_fixture  # noqa: F401  (the `store` fixture)

if TYPE_CHECKING:
    from support import ApiUser


def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _actions(user: ApiUser, asset_id: str) -> str:
    return f"/api/assets/{asset_id}/corporate-actions"


def _stock(user: ApiUser, **fields: Any) -> str:
    asset = user.create_asset(name="ACME", type="stock", ticker_symbol="ACME", **fields)
    return str(asset["id"])


RANGE = "from=2024-01-01&to=2024-01-03"


def test_the_value_history_is_right_across_the_ex_date_with_adjusted_closes(
    alice: ApiUser, store: Store
) -> None:
    """Yahoo's closes are split-adjusted: the whole series is in post-split units. Ten
    shares bought at 100 on day 1 and split 2-for-1 on day 2 are worth 1000 on day 1
    (10 x 100 unadjusted = 20 x 50 adjusted)."""
    asset_id = _stock(alice)
    _ok(alice.trade(asset_id, "buy", "10", "100", "2024-01-01"))
    store.prices(
        "ACME", "yahoo", "TRY", [("2024-01-01", "50"), ("2024-01-02", "55"), ("2024-01-03", "60")]
    )
    _ok(
        alice.post(
            _actions(alice, asset_id),
            json={"type": "split", "ex_date": "2024-01-02", "numerator": "2", "denominator": "1"},
        )
    )
    body = _ok(alice.get(f"/api/portfolio/history?{RANGE}"), 200)
    assert [(p["date"], p["market_value"], p["net_invested"]) for p in body["points"]] == [
        ("2024-01-01", "1000", "1000"),
        ("2024-01-02", "1100", "1000"),
        ("2024-01-03", "1200", "1000"),
    ]
    summary = _ok(alice.get("/api/portfolio"), 200)
    (row,) = summary["holdings"]
    assert (row["quantity"], row["market_value"], row["cost_basis"]) == ("20", "1200", "1000")


def test_the_value_history_is_right_across_the_ex_date_with_unadjusted_prices(
    alice: ApiUser, store: Store
) -> None:
    """A feed that reports each day's own price (TEFAS) and manual prices are put on the
    adjusted basis by the portfolio: the value does not jump at the ex-date."""
    fund = alice.create_asset(name="Fund", type="fund", ticker_symbol="YAC")
    _ok(alice.trade(fund["id"], "buy", "10", "100", "2024-01-01"))
    store.prices(
        "YAC", "tefas", "TRY", [("2024-01-01", "100"), ("2024-01-02", "50"), ("2024-01-03", "55")]
    )
    _ok(
        alice.post(
            _actions(alice, fund["id"]),
            json={"type": "bonus", "ex_date": "2024-01-02", "bonus_percent": "100"},
        )
    )
    body = _ok(alice.get(f"/api/portfolio/history?{RANGE}"), 200)
    assert [p["market_value"] for p in body["points"]] == ["1000", "1000", "1100"]
