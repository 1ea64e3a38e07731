"""Decimals survive the API and the database digit for digit, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, text

if TYPE_CHECKING:
    from support import ApiUser

EXACT_VALUES = [
    "0.12345678",
    "123456789012.123456789",
    "0.000000000000000001",
    "999999999999999.999999999999999999",
    "0.1",
    "100000000000000",
]


def _stored(engine: Engine, column: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT {column} FROM transactions")).one()


@pytest.mark.parametrize("value", EXACT_VALUES)
def test_decimal_round_trips_exactly_through_post_and_get(
    alice: ApiUser, engine: Engine, value: str
) -> None:
    asset = alice.create_asset()

    created = alice.trade(asset["id"], "buy", value, value, "2024-01-01", fee=value)

    assert created.status_code == 201, created.text
    for body in (created.json(), alice.get(f"/api/transactions/{created.json()['id']}").json()):
        assert (body["quantity"], body["price_per_unit"], body["fee"]) == (value, value, value)
    quantity, price = _stored(engine, "quantity, price_per_unit")
    assert Decimal(str(quantity)) == Decimal(value)
    assert str(quantity) == value or engine.dialect.name == "postgresql"
    assert Decimal(str(price)) == Decimal(value)


def test_quantity_column_holds_text_on_sqlite_and_numeric_on_postgresql(
    alice: ApiUser, engine: Engine
) -> None:
    asset = alice.create_asset()
    assert alice.trade(asset["id"], "buy", "0.12345678", "1", "2024-01-01").status_code == 201

    if engine.dialect.name == "sqlite":
        kinds = _stored(engine, "typeof(quantity), typeof(price_per_unit), typeof(fee)")
        assert tuple(kinds) == ("text", "text", "text")
    else:
        kinds = _stored(
            engine,
            "pg_typeof(quantity)::text, pg_typeof(price_per_unit)::text, pg_typeof(fee)::text",
        )
        assert tuple(kinds) == ("numeric", "numeric", "numeric")
        (raw,) = _stored(engine, "quantity::text")
        assert raw == "0.12345678"


def test_holding_of_large_exact_figures_is_exact(alice: ApiUser) -> None:
    asset = alice.create_asset()
    big = "999999999999999.999999999999999999"
    assert alice.trade(asset["id"], "buy", big, big, "2024-01-01", fee=big).status_code == 201
    assert (
        alice.trade(asset["id"], "sell", "0.000000000000000001", "1", "2024-01-02").status_code
        == 201
    )

    response = alice.get(f"/api/assets/{asset['id']}")

    assert response.status_code == 200, response.text
    holding = response.json()["holding"]
    assert holding["quantity"] == "999999999999999.999999999999999998"
    with localcontext() as ctx:
        ctx.prec = 100
        q, tick = Decimal(big), Decimal("1E-18")
        cost = q * q + q  # the lot's cost, fee included: 67 significant digits
        # computed exactly, shown as money: 8 places, banker's rounding
        remaining = (cost * (q - tick) / q).quantize(Decimal("1E-8"), rounding=ROUND_HALF_EVEN)
    assert Decimal(holding["cost_basis"]) == remaining
    assert alice.get(f"/api/assets/{asset['id']}/lots").status_code == 200
    assert alice.get(f"/api/assets/{asset['id']}/realized").status_code == 200


def test_sum_of_tenths_is_exact_not_floating_point(alice: ApiUser) -> None:
    asset = alice.create_asset()
    for _ in range(3):
        assert alice.trade(asset["id"], "buy", "0.1", "0.1", "2024-01-01").status_code == 201

    holding = alice.get(f"/api/assets/{asset['id']}").json()["holding"]

    assert holding["quantity"] == "0.3"
    assert holding["cost_basis"] == "0.03"
    assert holding["average_cost"] == "0.1"
    assert alice.trade(asset["id"], "sell", "0.3", "1", "2024-01-02").status_code == 201
