"""`make bench`: the API over generated portfolios and the pure engine, one table.

    python -m bench [--sizes small|all] [--seed N]

Each API size is generated into a temporary SQLite database (Core bulk inserts), then
measured by a separate process through the real app (FastAPI TestClient, in-process cache):
GET /api/portfolio cold (caches cleared; median of 3) and warm (p50 of 30), GET
/api/portfolio/history daily over the whole range cold and warm, the dashboard page (GET /,
rendered) warm, and that process's peak RSS; then the JavaScript the dashboard ships.
The import rows export each portfolio as CSV (GET /api/export) and import it into an empty
account of a fresh database through POST /api/import (dry run, then for real).
The engine rows time FIFO + the holdings summary and a daily value history (50 assets x 10
years) at 1M trades.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.generator import build

API_SIZES = {
    "small": [(20, 1_000, 5)],
    "all": [(20, 1_000, 5), (50, 10_000, 10), (50, 100_000, 10)],
}
ENGINE_TRADES = {"small": 100_000, "all": 1_000_000}
TARGETS = (
    "targets @100k: cold < 1500 ms, warm p50 < 50 ms, history warm < 150 ms, < 500 MB, "
    "import < 10 s; engine @1M: FIFO + holdings <= 2 s, history <= 0.5 s; "
    "dashboard page @10k warm < 100 ms; JavaScript < 300 KB gzip"
)


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", choices=sorted(API_SIZES), default="all")
    parser.add_argument("--seed", type=int, default=20240301)
    args = parser.parse_args()

    header = (
        "assets",
        "trades",
        "years",
        "gen s",
        "cold ms",
        "warm p50 ms",
        "hist cold ms",
        "hist warm ms",
        "page warm ms",
        "peak MB",
    )
    rows: list[tuple[str, ...]] = []
    m: dict[str, Any] = {}
    imports: list[tuple[str, ...]] = []
    for assets, trades, years in API_SIZES[args.sizes]:
        with tempfile.TemporaryDirectory(prefix="pt-bench-") as tmp:
            t0 = time.perf_counter()
            portfolio = build(Path(tmp) / "bench.db", assets, trades, years, args.seed)
            generated = time.perf_counter() - t0
            m = _child("bench.measure", portfolio.url, portfolio.token)
            i = _child("bench.import_run", portfolio.url, portfolio.token, tmp)
        rows.append(
            (
                str(assets),
                f"{trades:,}",
                str(years),
                f"{generated:.1f}",
                f"{m['cold_ms']:.0f}",
                f"{m['warm_p50_ms']:.1f}",
                f"{m['history_cold_ms']:.0f}",
                f"{m['history_warm_p50_ms']:.1f}",
                f"{m['dashboard_warm_p50_ms']:.1f}",
                f"{m['peak_mb']:.0f}",
            )
        )
        imports.append(
            (
                str(assets),
                f"{i['rows']:,}",
                f"{i['megabytes']:.1f}",
                f"{i['export_s']:.2f}",
                f"{i['dry_run_s']:.2f}",
                f"{i['import_s']:.2f}",
                f"{i['import_cpu_s']:.2f}",
            )
        )
        print(f"  measured {assets} assets / {trades:,} trades / {years} years", file=sys.stderr)
    n = ENGINE_TRADES[args.sizes]
    e = _child("bench.engine_run", str(n))

    _table("API (GET through the real app, SQLite, in-process cache)", header, rows)
    import_header = (
        "assets",
        "rows",
        "CSV MB",
        "export s",
        "dry run s",
        "import s",
        "import CPU s",
    )
    _table(
        "Import (the exported CSV through POST /api/import into an empty account, SQLite)",
        import_header,
        imports,
    )
    print(f"Engine alone, {n:,} trades, 50 assets x 10 years daily:")
    print(
        f"  FIFO + holdings summary: {e['fifo_holdings_s']:.2f} s   "
        f"daily value history ({e['points']} days): {e['history_s']:.2f} s   "
        f"peak {e['peak_mb']:.0f} MB (generation included)"
    )
    print()
    print(
        f"JavaScript shipped by the dashboard: {m['js_files']} files, {m['js_kb']:.0f} KB, "
        f"{m['js_gzip_kb']:.0f} KB gzip"
    )
    print()
    print(TARGETS)


def _table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(title)
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print()


if __name__ == "__main__":
    main()
