"""The pure engine alone at a given size, in its own process (peak memory is its own).

    python -m bench.engine_run <trades>

Reuses bench_history's generator (50 assets, half in USD, 10 years of daily closes and
USD/TRY): times FIFO over every asset plus the holdings summary in TRY, then one daily
value history over the ten years, each in wall-clock and CPU seconds (this process's). Prints
one JSON object.

Generation is not timed, and neither is the garbage collection it owes: building a million
trades leaves the collector's counters due, and its next full pass over those objects would
otherwise land inside the first timed call. A ``gc.collect()`` before each timed part pays
the debt of what ran before it (the generator, then the FIFO results for the history); the
collector stays enabled, so the passes that a part's own objects cause are timed.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from datetime import timedelta

from bench.bench_history import generate
from bench.server import peak_rss_mib
from portfolio_tracker.engine.history import build_history
from portfolio_tracker.engine.lots import run_fifo
from portfolio_tracker.engine.valuation import HoldingInput, summarize_portfolio


def main(n_trades: int) -> None:
    assets, rates, start, end = generate(50, 10, n_trades, seed=20240301)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    holdings = [
        HoldingInput(
            a.asset_id,
            a.asset_id,
            "stock",
            a.currency,
            run_fifo(a.trades),
            a.prices.price_on(end),
            a.prices.price_on(end - timedelta(days=1)),
            a.trades,
        )
        for a in assets
    ]
    summarize_portfolio(holdings, rates, "TRY", end)
    fifo_s, fifo_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    points = build_history(assets, rates, "TRY", start, end).points
    history_s, history_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    print(
        json.dumps(
            {
                "fifo_holdings_s": fifo_s,
                "fifo_holdings_cpu_s": fifo_cpu_s,
                "history_s": history_s,
                "history_cpu_s": history_cpu_s,
                "points": len(points),
                "peak_mb": peak_rss_mib(),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
