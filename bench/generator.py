"""Seeded, realistic portfolios written straight into a fresh SQLite database.

Assets of every type (gram gold priced from XAU spot, TEFAS funds, BIST stocks in TRY, US
stocks and crypto in USD), buys and about 30 % sells that never oversell, a daily close for
every series and a daily USD/TRY rate over the years. Rows go in through Core bulk inserts.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, update
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


@dataclass(frozen=True, slots=True)
class Portfolio:
    url: str
    token: str
    user_id: uuid.UUID
    transactions: int
    price_rows: int


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


def build(path: Path, n_assets: int, n_transactions: int, years: int, seed: int) -> Portfolio:
    url = f"sqlite:///{path}"
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
    per_asset = n_transactions // n_assets
    for a in range(n_assets):
        kind, currency, prefix, feed = KINDS[a % len(KINDS)]
        asset_id = uuid.uuid4()
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
        for j in range(per_asset):
            k = j * len(days) // per_asset
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
                    "trade_time": time(9, (j % 3600) // 60, j % 60),
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
    return Portfolio(url, token, user_id, len(transactions), len(prices))
