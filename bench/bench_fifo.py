"""Time the pure FIFO pass over 1,000,000 seeded trades spread over 50 assets.

Run: ``python bench/bench_fifo.py [--trades N] [--assets K] [--seed S] [--shuffle]``.
Generation is not timed; the timed part is ``run_fifo`` once per asset (ordering included).
Sells draw uniformly up to everything held, so a sell consumes about 2.5 lots on average.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from datetime import date, timedelta
from datetime import time as time_of_day
from decimal import Decimal

from portfolio_tracker.engine.lots import FifoResult, Trade, TradeKind, run_fifo


def generate(n_trades: int, n_assets: int, seed: int) -> dict[int, list[Trade]]:
    """Histories that never oversell: about 60% buys, each sell up to all that is held.

    Built asset by asset, as the service decodes one asset's rows at a time.
    """
    rng = random.Random(seed)
    start = date(2015, 1, 1)
    per_asset: dict[int, list[Trade]] = {}
    sequence = 0
    for asset in range(n_assets):
        trades: list[Trade] = []
        held = 0  # in 1/1000 units, to draw sells that fit
        for j in range(n_trades // n_assets + (asset < n_trades % n_assets)):
            price = Decimal(rng.randrange(1_000, 5_000_000)) / 100
            fee = Decimal(rng.randrange(0, 1_000)) / 100
            if held > 0 and rng.random() < 0.4:
                milli = rng.randint(1, held)
                held -= milli
                kind: TradeKind = "sell"
            else:
                milli = rng.randint(1, 20_000)
                held += milli
                kind = "buy"
            on = start + timedelta(days=j // 500)  # several hundred trades a day
            at = time_of_day(j % 500 // 60, j % 500 % 60)
            quantity = Decimal(milli) / 1000
            trades.append(Trade(f"t{sequence}", kind, quantity, price, fee, on, sequence, at))
            sequence += 1
        per_asset[asset] = trades
    return per_asset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20240301)
    parser.add_argument("--shuffle", action="store_true", help="feed trades out of order")
    parser.add_argument("--repeat", type=int, default=3, help="report the best of N runs")
    args = parser.parse_args()

    t0 = time.perf_counter()
    histories = generate(args.trades, args.assets, args.seed)
    if args.shuffle:
        rng = random.Random(args.seed)
        for trades in histories.values():
            rng.shuffle(trades)
    generated = time.perf_counter() - t0
    gc.collect()  # the generator's collection debt is not the engine's (see engine_run)

    # Two timings: results released as each asset is done (the service summarises one asset at
    # a time), and all results kept alive, which adds the garbage collector's passes over a
    # growing heap of ~1.5 million result objects. Each is the best of --repeat runs, in CPU
    # seconds of this process (wall time suffers when other work shares the two cores).
    dropped = kept = float("inf")
    results: list[FifoResult] = []
    for _ in range(args.repeat):
        results = []
        t0 = time.process_time()
        for trades in histories.values():
            run_fifo(trades)
        dropped = min(dropped, time.process_time() - t0)

        t0 = time.process_time()
        results = [run_fifo(trades) for trades in histories.values()]
        kept = min(kept, time.process_time() - t0)

    sells = sum(len(r.realizations) for r in results)
    consumptions = sum(len(s.consumed) for r in results for s in r.realizations)
    open_lots = sum(len(r.open_lots) for r in results)
    order = "shuffled" if args.shuffle else "sorted"
    header = ("trades", "assets", "order", "sells", "lots hit", "open lots", "dropped s", "kept s")
    row = (args.trades, args.assets, order, sells, consumptions, open_lots)
    cells = [*map(str, row), f"{dropped:.3f}", f"{kept:.3f}"]
    print(" ".join(f"{h:>10}" for h in header))
    print(" ".join(f"{c:>10}" for c in cells))
    print(f"(CPU seconds, best of {args.repeat}; generation {generated:.1f} s, not timed)")


if __name__ == "__main__":
    main()
