"""Time ``build_history`` for 50 assets x 10 years of daily prices (half of them in USD).

Run: ``python bench/bench_history.py [--assets K] [--years Y] [--trades N] [--seed S]``.
Generation is not timed. The timed part is one daily ``build_history`` call in TRY (trades,
daily closes, daily USD/TRY), then the daily TWR and the XIRR over the result.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import HistoryAsset, HistoryPoint, build_history
from portfolio_tracker.engine.lots import Trade, TradeKind, run_fifo
from portfolio_tracker.engine.prices import PriceSeries
from portfolio_tracker.engine.returns import twr_series, xirr, xirr_cashflows
from portfolio_tracker.engine.valuation import HoldingInput, summarize_portfolio


def generate(
    n_assets: int, years: int, n_trades: int, seed: int
) -> tuple[list[HistoryAsset], RateTable, date, date]:
    rng = random.Random(seed)
    start = date(2015, 1, 1)
    days = [start + timedelta(days=i) for i in range(365 * years + years // 4)]
    usdtry = [Decimal(2) + Decimal(i) / 100 for i in range(len(days))]
    rates = RateTable((d, "USD", "TRY", r) for d, r in zip(days, usdtry, strict=True))
    assets = []
    sequence = 0
    for a in range(n_assets):
        currency = "USD" if a % 2 else "TRY"
        level = rng.uniform(10, 1000)
        closes = []
        for _ in days:
            level *= 1 + rng.gauss(0.0003, 0.015)
            closes.append(Decimal(f"{level:.4f}"))
        prices = PriceSeries.from_points(zip(days, closes, strict=True), currency)
        trades: list[Trade] = []
        held = 0
        per_asset = n_trades // n_assets
        for j in range(per_asset):
            k = j * len(days) // per_asset
            day = days[k]
            if held > 0 and rng.random() < 0.3:
                milli = rng.randint(1, held)
                held -= milli
                kind: TradeKind = "sell"
            else:
                milli = rng.randint(1, 20_000)
                held += milli
                kind = "buy"
            price = closes[k]
            trades.append(
                Trade(
                    f"t{sequence}",
                    kind,
                    Decimal(milli) / 1000,
                    price,
                    Decimal("1.5"),
                    day,
                    sequence,
                )
            )
            sequence += 1
        assets.append(HistoryAsset(f"a{a}", currency, trades, prices))
    return assets, rates, days[0], days[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20240301)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    t0 = time.perf_counter()
    assets, rates, start, end = generate(args.assets, args.years, args.trades, args.seed)
    print(
        f"generated {args.assets} assets x {args.years} years, {args.trades} trades "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    gc.collect()  # the generator's collection debt is not the engine's (see engine_run)
    timings = []
    points: tuple[HistoryPoint, ...] = ()
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        points = build_history(assets, rates, "TRY", start, end).points
        timings.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    cumulative = twr_series(points)
    t_twr = time.perf_counter() - t0
    t0 = time.perf_counter()
    money_weighted = xirr(xirr_cashflows(points))
    t_xirr = time.perf_counter() - t0

    print(
        f"build_history daily, {len(points)} points: best {min(timings):.3f} s, "
        f"median {sorted(timings)[len(timings) // 2]:.3f} s (target <= 0.5 s)"
    )
    print(f"twr_series: {t_twr:.3f} s (TWR {float(cumulative[-1]):.4f})")
    print(f"xirr: {t_xirr:.3f} s (XIRR {float(money_weighted or 0):.4f})")

    t0 = time.perf_counter()
    fifos = [run_fifo(a.trades) for a in assets]
    t_fifo = time.perf_counter() - t0
    holdings = [
        HoldingInput(
            a.asset_id,
            a.asset_id,
            "stock",
            a.currency,
            fifo,
            a.prices.price_on(end),
            a.prices.price_on(end - timedelta(days=1)),
            a.trades,
        )
        for a, fifo in zip(assets, fifos, strict=True)
    ]
    t0 = time.perf_counter()
    summary = summarize_portfolio(holdings, rates, "TRY", end)
    t_summary = time.perf_counter() - t0
    print(
        f"run_fifo (lots module): {t_fifo:.3f} s; summarize_portfolio: {t_summary:.3f} s "
        f"(value {float(summary.total_market_value):,.0f} TRY)"
    )


if __name__ == "__main__":
    main()
