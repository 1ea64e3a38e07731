"""The ExactDecimal column keeps every digit on both databases (never a float/REAL)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import Asset, Transaction, User

VALUES = [
    "0.12345678",
    "123456789012.123456789",
    "0.000000000000000001",
    "999999999999999.999999999999999999",
]


def _store(engine: Engine, quantity: Decimal) -> uuid.UUID:
    with Session(engine) as db:
        user = User(email=f"{uuid.uuid4().hex}@example.com", hashed_password="x")
        db.add(user)
        db.flush()
        asset = Asset(user_id=user.id, name="A", type="stock")
        db.add(asset)
        db.flush()
        row = Transaction(
            user_id=user.id,
            asset_id=asset.id,
            type="buy",
            quantity=quantity,
            price_per_unit=quantity,
            fee=Decimal(0),
            entry_number=1,
            trade_date=date(2024, 1, 1),
        )
        db.add(row)
        db.commit()
        return row.id


@pytest.mark.parametrize("value", VALUES)
def test_a_decimal_round_trips_exactly(engine: Engine, value: str) -> None:
    row_id = _store(engine, Decimal(value))
    with Session(engine) as db:
        loaded = db.get(Transaction, row_id)
        assert loaded is not None
        assert loaded.quantity == Decimal(value)
        assert str(loaded.quantity.normalize()) == str(Decimal(value).normalize())


def test_sqlite_stores_text_and_postgresql_numeric(engine: Engine) -> None:
    _store(engine, Decimal("123456789012.123456789"))
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            kind, raw = connection.execute(
                text("SELECT typeof(quantity), quantity FROM transactions")
            ).one()
            assert (kind, raw) == ("text", "123456789012.123456789")
        else:
            kind = connection.execute(
                text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = 'transactions' AND column_name = 'quantity'"
                )
            ).scalar_one()
            assert kind == "numeric"


def test_a_non_finite_decimal_is_never_stored(engine: Engine) -> None:
    with pytest.raises(Exception, match="finite"):
        _store(engine, Decimal("NaN"))


def test_instants_come_back_aware_utc(engine: Engine) -> None:
    row_id = _store(engine, Decimal(1))
    with Session(engine) as db:
        loaded = db.get(Transaction, row_id)
        assert loaded is not None
        assert loaded.created_at.utcoffset() is not None
        assert loaded.created_at.tzinfo is not None
        assert abs(loaded.created_at - datetime.now(UTC)).total_seconds() < 600
