"""price_history and exchange_rates upserts: idempotent, versioned, and never a bad value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import DataVersion, ExchangeRate, PriceHistory
from portfolio_tracker.prices import storage
from portfolio_tracker.prices.storage import Close, Rate

DAY = date(2026, 11, 20)


def version(db: Session) -> int:
    return db.scalar(select(DataVersion.version).where(DataVersion.scope == "prices")) or 0


def count(db: Session, table: type) -> int:
    return db.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture
def bumps(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the prices data version bumps (the version's value comes from the clock)."""
    calls: list[int] = []
    real = storage.bump_prices

    def counting(db: Session) -> None:
        calls.append(1)
        real(db)

    monkeypatch.setattr(storage, "bump_prices", counting)
    return calls


def test_storing_the_same_close_twice_keeps_one_row_and_bumps_once(
    engine: Engine, bumps: list[int]
) -> None:
    row = Close("tefas", "YAC", DAY, Decimal("3.163587"), "TRY")
    with Session(engine) as db:
        assert storage.store_closes(db, [row]) == 1
        db.commit()
        first = version(db)
        assert storage.store_closes(db, [row]) == 0
        db.commit()
        assert (count(db, PriceHistory), version(db), len(bumps)) == (1, first, 1)

        assert storage.store_closes(db, [Close("tefas", "YAC", DAY, Decimal("3.17"), "TRY")]) == 1
        db.commit()
        assert count(db, PriceHistory) == 1 and version(db) > first and len(bumps) == 2
        assert storage.latest_close(db, ["tefas"], "YAC").close == Decimal("3.17")  # type: ignore[union-attr]


def test_a_rolled_back_write_bumps_nothing(engine: Engine) -> None:
    with Session(engine) as db:
        storage.store_closes(db, [Close("yahoo", "AAPL", DAY, Decimal("230.75"), "USD")])
        db.rollback()
        assert (count(db, PriceHistory), version(db)) == (0, 0)


@pytest.mark.parametrize(
    "row",
    [
        Close("tefas", "YAC", DAY, Decimal("NaN"), "TRY"),
        Close("tefas", "YAC", DAY, Decimal("Infinity"), "TRY"),
        Close("tefas", "YAC", DAY, Decimal("-3.1"), "TRY"),
        Close("tefas", "YAC", DAY, Decimal(0), "TRY"),
        Close("tefas", "YAC", DAY, Decimal("3.163587e15"), "TRY"),
        Close("tefas", "YAC", DAY, Decimal("3.1"), "try"),
        Close("tefas", "YAC", DAY, Decimal("3.1"), "TL"),
        Close("somewhere", "YAC", DAY, Decimal("3.1"), "TRY"),
        Close("tefas", "../YAC", DAY, Decimal("3.1"), "TRY"),
        Close("tefas", "YAC", DAY, 3.1, "TRY"),
    ],  # type: ignore[arg-type]
    ids=[
        "nan",
        "inf",
        "negative",
        "zero",
        "absurd",
        "lower-currency",
        "bad-currency",
        "unknown-source",
        "bad-symbol",
        "float",
    ],
)
def test_a_rejected_close_is_never_stored(engine: Engine, row: Close) -> None:
    good = Close("tefas", "YAC", date(2026, 11, 19), Decimal("3.159022"), "TRY")
    with Session(engine) as db:
        assert storage.store_closes(db, [row, good]) == 1
        db.commit()
        assert count(db, PriceHistory) == 1
        assert storage.latest_close(db, ["tefas"], "YAC") == Close(
            "tefas",
            "YAC",
            date(2026, 11, 19),
            Decimal("3.159022"),
            "TRY",
            storage.latest_close(db, ["tefas"], "YAC").fetched_at,
        )  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "row",
    [
        Rate("USD", "TRY", DAY, Decimal("-42.41"), "tcmb"),
        Rate("USD", "TRY", DAY, Decimal("NaN"), "tcmb"),
        Rate("USD", "TRY", DAY, Decimal("1e8"), "tcmb"),
        Rate("USD", "USD", DAY, Decimal(1), "tcmb"),
        Rate("US", "TRY", DAY, Decimal("42"), "tcmb"),
    ],
    ids=["negative", "nan", "absurd", "same-currency", "bad-code"],
)
def test_a_rejected_rate_is_never_stored(engine: Engine, row: Rate) -> None:
    with Session(engine) as db:
        assert storage.store_rates(db, [row]) == 0
        db.commit()
        assert (count(db, ExchangeRate), version(db)) == (0, 0)


def test_the_last_writer_of_a_pair_and_day_wins(engine: Engine) -> None:
    with Session(engine) as db:
        storage.store_rates(db, [Rate("EUR", "TRY", DAY, Decimal("49.0871"), "ecb")])
        storage.store_rates(db, [Rate("EUR", "TRY", DAY, Decimal("49.0123"), "tcmb")])
        db.commit()
        stored = storage.latest_rate(db, "EUR", "TRY")
        assert stored is not None
        assert (stored.rate, stored.source, count(db, ExchangeRate)) == (
            Decimal("49.0123"),
            "tcmb",
            1,
        )


def test_an_inverse_pair_is_read_as_one_over_the_stored_rate(engine: Engine) -> None:
    with Session(engine) as db:
        storage.store_rates(db, [Rate("USD", "TRY", DAY, Decimal("40"), "tcmb")])
        db.commit()
        inverse = storage.latest_rate(db, "TRY", "USD")
        assert inverse is not None and inverse.rate == Decimal("0.025")
        assert storage.latest_rate(db, "EUR", "USD") is None


def test_the_newest_close_wins_across_yahoo_and_stooq(engine: Engine) -> None:
    with Session(engine) as db:
        storage.store_closes(
            db,
            [
                Close("yahoo", "AAPL", date(2026, 11, 19), Decimal("229.6"), "USD"),
                Close("stooq", "AAPL", date(2026, 11, 20), Decimal("230.75"), "USD"),
                Close("stooq", "AAPL", date(2026, 11, 19), Decimal("229.5"), "USD"),
            ],
        )
        db.commit()
        newest = storage.latest_close(db, ["yahoo", "stooq"], "AAPL")
        assert newest is not None
        assert (newest.source, newest.day, newest.close) == (
            "stooq",
            date(2026, 11, 20),
            Decimal("230.75"),
        )


def test_a_thousand_days_are_written_in_batches(engine: Engine, bumps: list[int]) -> None:
    rows = [
        Close("yahoo", "AAPL", date.fromordinal(DAY.toordinal() - n), Decimal(100 + n), "USD")
        for n in range(1200)
    ]
    with Session(engine) as db:
        assert storage.store_closes(db, rows) == 1200
        db.commit()
        assert (count(db, PriceHistory), len(bumps)) == (1200, 1)  # one bump per write
        assert version(db) > 0
