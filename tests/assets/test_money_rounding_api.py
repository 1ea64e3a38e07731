"""Issue 8, "Also": money in every response follows one rounding — 8 decimal places, banker's
rounding, once, at the edge; a total is rounded from exact figures, so it is within half a unit
of the 8th place per row of the sum of its rounded rows."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from support import ApiUser

HALF_UNIT = Decimal("0.000000005")


def _places(text: str) -> int:
    exponent = Decimal(text).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _thirds(alice: ApiUser) -> dict[str, Any]:
    """Buy 3 for 4 (fee 1), then sell them one at a time at 2: each piece costs 4/3."""
    asset = alice.create_asset(name="Fund", type="fund")
    assert alice.trade(asset["id"], "buy", "3", "1", "2024-01-01", fee="1").status_code == 201
    for day in ("02", "03"):
        assert alice.trade(asset["id"], "sell", "1", "2", f"2024-01-{day}").status_code == 201
    return asset


def test_realised_rows_and_lots_carry_money_at_eight_places(alice: ApiUser) -> None:
    asset = _thirds(alice)
    realized = alice.get(f"/api/assets/{asset['id']}/realized").json()
    assert [(r["cost"], r["realized_pnl"]) for r in realized] == [
        ("1.33333333", "0.66666667"),
        ("1.33333333", "0.66666667"),
    ]
    assert [r["consumed_lots"][0]["cost"] for r in realized] == ["1.33333333", "1.33333333"]
    (lot,) = alice.get(f"/api/assets/{asset['id']}/lots").json()
    assert lot["remaining_cost"] == "1.33333333"
    assert lot["cost_per_unit"] == "1.333333333333333333"  # a price: 18 places
    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]
    assert (holding["cost_basis"], holding["realized_pnl"]) == ("1.33333333", "1.33333333")
    portfolio = alice.get("/api/portfolio").json()
    assert portfolio["holdings"][0]["realized_pnl"] == holding["realized_pnl"]


def test_totals_are_within_half_a_unit_per_row_of_their_rounded_rows(alice: ApiUser) -> None:
    asset = _thirds(alice)
    assert alice.trade(asset["id"], "sell", "1", "2", "2024-01-04").status_code == 201
    realized = alice.get(f"/api/assets/{asset['id']}/realized").json()
    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]
    rows = [Decimal(r["realized_pnl"]) for r in realized]
    total = Decimal(holding["realized_pnl"])
    assert total == Decimal(2)  # 6 of proceeds - 4 of cost, exactly
    assert sum(rows) == Decimal("2.00000001")  # three rounded thirds
    assert abs(total - sum(rows)) <= HALF_UNIT * len(rows)
    money = [v for r in realized for k, v in r.items() if k in ("proceeds", "cost", "realized_pnl")]
    assert all(_places(v) <= 8 for v in money)
