"""Seeded, realistic portfolios written straight into a fresh database (SQLite or PostgreSQL).

Assets of every type (gram gold priced from XAU spot, TEFAS funds, BIST stocks in TRY, US
stocks and crypto in USD), buys and about 30 % sells that never oversell, a daily close for
every series and a daily USD/TRY rate over the years. Rows go in through Core bulk inserts.
Optionally one asset, a USD stock (so its values go through USD/TRY), carries `heavy` of the
trades and the others share the rest (issue 11's 100k portfolio: 29,000 on one asset).

`scratch_database` gives the empty database to fill: a file in a folder for SQLite, a fresh
`pt_bench_<pid>` database beside the maintenance database for PostgreSQL (dropped after).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, make_url, update
from sqlalchemy.orm import Session

from portfolio_tracker.app import create_app
from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.models import Asset, ExchangeRate, PriceHistory, Transaction, User
from portfolio_tracker.db.session import build_engine
from portfolio_tracker.db.versions import bump_prices, bump_user
from portfolio_tracker.settings import Settings

PASSWORD = "bench passphrase that is long enough"
# (type, currency, price source symbol prefix, feed) in rotation
KINDS = (
    ("metal", "TRY", "XAU", "metals"),
    ("fund", "TRY", "F", "tefas"),
    ("stock", "TRY", "B", "yahoo"),
    ("stock", "USD", "U", "yahoo"),
    ("crypto", "USD", "C", "coingecko"),
)
GRAMS_PER_OUNCE = Decimal("31.1034768")
HEAVY_KIND = 3  # index in KINDS of the heavy asset's kind: a stock in USD
POSTGRES_MAINTENANCE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class Portfolio:
    """A generated portfolio: `heavy_asset_id` is the asset with the most trades (the heavy
    one when asked for; its first trade is a buy), `heavy_trades` how many it has."""

    url: str
    token: str
    user_id: uuid.UUID
    transactions: int
    price_rows: int
    heavy_asset_id: uuid.UUID
    heavy_trades: int


class DatabaseUnavailable(Exception):
    """The database server could not be reached or the scratch database not be created."""


def postgres_maintenance_url() -> str:
    """BENCH_POSTGRES_URL, else the local server's `postgres` database."""
    return os.environ.get("BENCH_POSTGRES_URL") or POSTGRES_MAINTENANCE_URL


@contextmanager
def scratch_database(kind: str, folder: Path) -> Iterator[str]:
    """An empty database of `kind` ("sqlite" or "postgresql"), yielded as its SQLAlchemy URL
    and removed afterwards (the SQLite file is left in `folder` for its owner to delete).
    DatabaseUnavailable when PostgreSQL cannot be reached or the database not created."""
    if kind == "sqlite":
        path = folder / "bench.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    import psycopg

    admin_url = make_url(postgres_maintenance_url())
    conninfo = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"pt_bench_{os.getpid()}"
    try:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise DatabaseUnavailable(f"{admin_url.render_as_string()}: {message}") from error
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_for(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        redis_url=None,
        auth_rate_limit="10000/minute",
        jobs_in_app=False,  # timings of requests only, no scheduler thread
    )


def _walk(rng: random.Random, start: float, n: int, drift: float, vol: float) -> list[Decimal]:
    level, out = start, []
    for _ in range(n):
        level *= 1 + rng.gauss(drift, vol)
        level = max(level, start * 0.05)
        out.append(Decimal(f"{level:.4f}"))
    return out


def _shares(n_assets: int, n_transactions: int, heavy: int) -> list[int]:
    """Trades per asset: `heavy` on asset HEAVY_KIND (when > 0), the rest spread evenly."""
    if heavy <= 0 or n_assets <= HEAVY_KIND:
        return [n_transactions // n_assets] * n_assets
    rest, others = n_transactions - heavy, n_assets - 1
    spread = [rest // others + (1 if i < rest % others else 0) for i in range(others)]
    return [*spread[:HEAVY_KIND], heavy, *spread[HEAVY_KIND:]]


def build(
    url: str, n_assets: int, n_transactions: int, years: int, seed: int, heavy: int = 0
) -> Portfolio:
    """Migrate the empty database at `url`, sign up the bench user through the app and fill
    it: `n_assets` assets, `n_transactions` trades over `years` years up to today (with
    `heavy` > 0: that many on one USD stock, the rest spread evenly), daily closes and
    USD/TRY. Without `heavy` every asset gets n_transactions // n_assets."""
    engine = build_engine(url)
    upgrade(engine)
    with TestClient(create_app(settings_for(url), engine)) as client:
        answer = client.post(
            "/api/auth/signup", json={"email": "bench@example.com", "password": PASSWORD}
        )
        answer.raise_for_status()
        token, user_id = answer.json()["token"], uuid.UUID(answer.json()["user"]["id"])
    rng = random.Random(seed)
    end = date.today()
    days = [end - timedelta(days=i) for i in range(365 * years + years // 4)][::-1]
    usdtry = _walk(rng, 3.0, len(days), 0.0008, 0.006)
    xau = _walk(rng, 1200.0, len(days), 0.0002, 0.009)
    prices: list[dict[str, Any]] = []
    rates = [
        {"day": d, "base": "USD", "quote": "TRY", "rate": r, "source": "tcmb"}
        for d, r in zip(days, usdtry, strict=True)
    ]
    prices += [
        {"symbol": "XAU", "source": "metals", "day": d, "close": c, "currency": "USD"}
        for d, c in zip(days, xau, strict=True)
    ]
    assets: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    shares = _shares(n_assets, n_transactions, heavy)
    heavy_index = max(range(n_assets), key=lambda i: (shares[i], i == HEAVY_KIND))
    heavy_asset_id = uuid.UUID(int=0)
    for a in range(n_assets):
        per_asset = shares[a]
        kind, currency, prefix, feed = KINDS[a % len(KINDS)]
        asset_id = uuid.uuid4()
        if a == heavy_index:
            heavy_asset_id = asset_id
        if kind == "metal":
            symbol = "XAU"
            # gram of pure gold in TRY: spot / 31.1034768 x USD/TRY
            closes = [
                (x / GRAMS_PER_OUNCE * r).quantize(Decimal("0.0001"))
                for x, r in zip(xau, usdtry, strict=True)
            ]
        else:
            symbol = f"{prefix}{a:03d}" + (".IS" if prefix == "B" else "")
            closes = _walk(rng, rng.uniform(5, 500), len(days), 0.0003, 0.015)
            prices += [
                {"symbol": symbol, "source": feed, "day": d, "close": c, "currency": currency}
                for d, c in zip(days, closes, strict=True)
            ]
        assets.append(
            {
                "id": asset_id,
                "user_id": user_id,
                "name": f"{kind} {a}",
                "type": kind,
                "ticker_symbol": symbol,
                "currency": currency,
                "unit": "gram" if kind == "metal" else None,
                "price_source": "auto",
                "next_sequence": per_asset,
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            }
        )
        held = 0  # thousandths of a unit, so a sell always fits
        previous_k, slot = -1, 0
        for j in range(per_asset):
            k = j * len(days) // per_asset
            # The n-th trade of a day at 09:00 + n seconds: the trade order (day, then time)
            # is the order generated, whatever the number of trades a day.
            slot = slot + 1 if k == previous_k else 0
            previous_k = k
            if held > 0 and rng.random() < 0.3:
                milli = rng.randint(1, held)
                held -= milli
                side = "sell"
            else:
                milli = rng.randint(1, 20_000)
                held += milli
                side = "buy"
            day = days[k]
            transactions.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": user_id,
                    "asset_id": asset_id,
                    "type": side,
                    "quantity": Decimal(milli) / 1000,
                    "price_per_unit": closes[k],
                    "fee": Decimal("1.5"),
                    "note": None,
                    "entry_number": len(transactions) + 1,
                    "trade_date": day,
                    "trade_time": time(9 + slot // 3600, slot % 3600 // 60, slot % 60),
                    "trade_utc_offset": 3 * 3600,
                    "created_at": datetime.now(UTC),
                    "updated_at": datetime.now(UTC),
                }
            )
    with Session(engine) as db:
        db.execute(insert(Asset), assets)
        for chunk in range(0, len(transactions), 20_000):
            db.execute(insert(Transaction), transactions[chunk : chunk + 20_000])
        for chunk in range(0, len(prices), 20_000):
            db.execute(insert(PriceHistory), prices[chunk : chunk + 20_000])
        db.execute(insert(ExchangeRate), rates)
        # The entry numbers handed out above: the next trade entered through the API follows.
        db.execute(
            update(User).where(User.id == user_id).values(last_entry_number=len(transactions))
        )
        bump_user(db, user_id)
        bump_prices(db)
        db.commit()
    engine.dispose()
    return Portfolio(
        url, token, user_id, len(transactions), len(prices), heavy_asset_id, shares[heavy_index]
    )
