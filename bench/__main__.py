"""`make bench`: issue 11's table on SQLite and PostgreSQL beside the recorded full-replay
figures, then the API/import/JavaScript table and the engine.

    python -m bench [--sizes small|all] [--db sqlite|postgresql|both] [--seed N]
                    [--issue-only] [--save FILE] [--label TEXT] [--baseline FILE]

Issue 11's table (bench.incremental): for each database, a fresh database is generated
(bench.generator: 50 assets, 100,000 trades of which 29,000 on one USD stock, 10 years of
daily closes and USD/TRY; `--sizes small`: 20 assets, 1,000 trades, 290 on that stock, 5
years), `portfolio-tracker rebuild-state` runs once when the CLI has it, and a real
`portfolio-tracker serve` process is measured: the first GET /api/portfolio and the first
daily history after fresh starts, warm reads, appends and edits of the oldest trade of the
heavy asset with the read after each, the server's peak RSS. Then the engine alone over 1M
trades (100k with --sizes small), in three fresh processes, each figure the median of the
three. PostgreSQL's database is created beside BENCH_POSTGRES_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) and dropped after; when that
server cannot be reached its column says so. The "before" columns are read from --baseline
(default bench/baseline_1f4933f.json: the full-replay code at commit 1f4933f, measured once
with this bench and recorded, not re-measured).

The second table (SQLite, unless --issue-only; bench.measure and bench.import_run): each size
through the app in process (TestClient) — GET /api/portfolio cold and warm, the daily history
cold and warm, the dashboard page — and the import of its exported CSV into an empty account;
then the JavaScript the dashboard ships. The 100k size reuses issue 11's SQLite database.

--save writes everything measured as JSON (how the baseline file was made, with --label).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench import incremental
from bench.generator import DatabaseUnavailable, Portfolio, build, scratch_database

# (assets, trades, years, trades of the heavy asset)
Size = tuple[int, int, int, int]
ISSUE_SIZE: dict[str, Size] = {"small": (20, 1_000, 5, 290), "all": (50, 100_000, 10, 29_000)}
API_SIZES: dict[str, list[Size]] = {
    "small": [(20, 1_000, 5, 290)],
    "all": [(20, 1_000, 5, 290), (50, 10_000, 10, 2_900), (50, 100_000, 10, 29_000)],
}
ENGINE_TRADES = {"small": 100_000, "all": 1_000_000}
ENGINE_RUNS = 3  # fresh processes; each figure is the median of them, like the server rows
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
BASELINE = Path(__file__).with_name("baseline_1f4933f.json")
API_TARGETS = (
    "targets @100k: cold < 1500 ms, warm p50 < 50 ms, history warm < 150 ms, < 500 MB, "
    "import < 10 s; engine @1M: history <= 0.5 s; "
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


def _log(message: str) -> None:
    print(f"  [{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown"


def _api_row(size: Size, generated_s: float, m: dict[str, Any]) -> tuple[str, ...]:
    assets, trades, years, _ = size
    return (
        str(assets),
        f"{trades:,}",
        str(years),
        f"{generated_s:.1f}",
        f"{m['cold_ms']:.0f}",
        f"{m['warm_p50_ms']:.1f}",
        f"{m['history_cold_ms']:.0f}",
        f"{m['history_warm_p50_ms']:.1f}",
        f"{m['dashboard_warm_p50_ms']:.1f}",
        f"{m['peak_mb']:.0f}",
    )


def _import_row(size: Size, i: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(size[0]),
        f"{i['rows']:,}",
        f"{i['megabytes']:.1f}",
        f"{i['export_s']:.2f}",
        f"{i['dry_run_s']:.2f}",
        f"{i['import_s']:.2f}",
        f"{i['import_cpu_s']:.2f}",
    )


class Run:
    """What one `python -m bench` measures, as it goes (saved as JSON with --save)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.report: dict[str, Any] = {
            "label": args.label,
            "commit": _git_commit(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "sizes": args.sizes,
            "issue_size": dict(
                zip(
                    ("assets", "trades", "years", "heavy_trades"),
                    ISSUE_SIZE[args.sizes],
                    strict=True,
                )
            ),
            "databases": {},
            "engine": None,
        }
        self.api_rows: dict[Size, tuple[str, ...]] = {}
        self.import_rows: dict[Size, tuple[str, ...]] = {}
        self.api_last: dict[str, Any] = {}

    def database(self, kind: str, folder: Path) -> None:
        """Issue 11's rows on `kind` (and, on SQLite, the second table's largest size)."""
        size = ISSUE_SIZE[self.args.sizes]
        loads = [os.getloadavg()[0]]
        entry: dict[str, Any] = {"load": loads}
        self.report["databases"][kind] = entry
        try:
            with scratch_database(kind, folder) as url:
                _log(f"{DATABASES[kind]}: generating {size[1]:,} trades")
                t0 = time.perf_counter()
                portfolio = build(url, *size[:3], self.args.seed, heavy=size[3])
                entry["generate_s"] = time.perf_counter() - t0
                entry["heavy_trades"] = portfolio.heavy_trades
                loads.append(os.getloadavg()[0])
                _log(f"{DATABASES[kind]}: measuring through a server process")
                entry.update(
                    incremental.run(url, portfolio.token, str(portfolio.heavy_asset_id), loads)
                )
                entry["load"] = loads
                if kind == "sqlite" and not self.args.issue_only and size in self.api_sizes():
                    self.api_size(size, portfolio, entry["generate_s"], folder)
        except DatabaseUnavailable as error:
            entry["error"] = f"unreachable: {error}"
        except (Exception, SystemExit) as error:  # one database failing leaves the others
            traceback.print_exc()
            entry["error"] = f"failed: {str(error).strip().splitlines()[0][:200]}"
        loads.append(os.getloadavg()[0])
        _log(f"{DATABASES[kind]}: {entry.get('error', 'done')}")

    def api_sizes(self) -> list[Size]:
        return API_SIZES[self.args.sizes]

    def api_size(self, size: Size, portfolio: Portfolio, generated_s: float, folder: Path) -> None:
        _log(f"second table: {size[1]:,} trades in process, then the import")
        m = _child("bench.measure", portfolio.url, portfolio.token)
        work = folder / "import"
        work.mkdir(exist_ok=True)
        i = _child("bench.import_run", portfolio.url, portfolio.token, str(work))
        self.api_rows[size] = _api_row(size, generated_s, m)
        self.import_rows[size] = _import_row(size, i)
        self.api_last = m

    def other_api_sizes(self, folder: Path) -> None:
        for size in self.api_sizes():
            if size in self.api_rows:
                continue
            sub = folder / f"size-{size[1]}"
            sub.mkdir()
            with scratch_database("sqlite", sub) as url:
                t0 = time.perf_counter()
                portfolio = build(url, *size[:3], self.args.seed, heavy=size[3])
                self.api_size(size, portfolio, time.perf_counter() - t0, sub)

    def engine(self) -> None:
        n = ENGINE_TRADES[self.args.sizes]
        _log(f"engine alone over {n:,} trades, {ENGINE_RUNS} runs")
        runs = [_child("bench.engine_run", str(n)) for _ in range(ENGINE_RUNS)]
        # One figure per key, each the median over the runs (a one-off slow run, e.g. under
        # a neighbour's load, no longer sets the row); the runs themselves are kept too.
        median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        self.report["engine"] = {"trades": n, "runs": len(runs), **median, "each": runs}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", choices=sorted(API_SIZES), default="all")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=20240301)
    parser.add_argument(
        "--issue-only", action="store_true", help="Issue 11's table and the engine only."
    )
    parser.add_argument("--save", type=Path, help="Write what was measured to this JSON file.")
    parser.add_argument("--label", default="", help="A note saved with --save.")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="The 'before' figures.")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupted)  # servers stopped, PostgreSQL database dropped
    kinds = list(DATABASES) if args.db == "both" else [args.db]

    run = Run(args)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pt-bench-") as tmp:
        for kind in kinds:
            sub = Path(tmp) / kind
            sub.mkdir()
            run.database(kind, sub)
        if "sqlite" in kinds and not args.issue_only:
            run.other_api_sizes(Path(tmp))
    run.engine()
    run.report["elapsed_s"] = time.perf_counter() - started
    if args.save:
        args.save.write_text(json.dumps(run.report, indent=2) + "\n")

    print_issue_table(run.report, _load_baseline(args.baseline), kinds)
    if run.api_rows:
        print_api_tables(run)
    print(f"Whole run: {run.report['elapsed_s'] / 60:.1f} min.")


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _load_baseline(path: Path) -> dict[str, Any] | None:
    try:
        baseline: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return baseline


# -- issue 11's table ----------------------------------------------------------------------


def _ms(entry: dict[str, Any], key: str) -> str:
    """'wall (cpu)' in ms, from key_ms and key_cpu_ms."""
    wall, cpu = entry.get(f"{key}_ms"), entry.get(f"{key}_cpu_ms")
    if wall is None:
        return "-"
    return f"{wall:,.0f} ({cpu:,.0f})" if wall >= 10 else f"{wall:.1f} ({cpu:.1f})"


def _p50_max(entry: dict[str, Any], key: str) -> str:
    return f"{_ms(entry, key)} / {_ms(entry, key + '_max')}"


def _rebuild(entry: dict[str, Any]) -> str:
    state = entry.get("rebuild_state")
    if not state:
        return "-"
    if not state["available"]:
        return "no command"
    if state["error"]:
        return f"failed after {state['s']:.1f} s"
    return f"{state['s']:.1f} s"


def _rss(entry: dict[str, Any], key: str = "peak_rss_mib") -> str:
    value = entry.get(key)
    return "-" if value is None else f"{value:.0f} MiB"


def _load(entry: dict[str, Any]) -> str:
    loads = entry.get("load") or []
    return f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"


def _generated(entry: dict[str, Any]) -> str:
    return f"{entry['generate_s']:.0f}" if "generate_s" in entry else "-"


def _stale(entry: dict[str, Any]) -> str:
    return str(entry.get("stale_reads", "-"))


Row = tuple[str, str, Callable[[dict[str, Any]], str]]
ROWS: list[Row] = [
    ("portfolio generated (s)", "", _generated),
    ("rebuild-state, once after generation", "", _rebuild),
    (
        "first GET /api/portfolio after a fresh start (median of 3)",
        "< 300",
        partial(_ms, key="first_portfolio"),
    ),
    (
        "GET /api/portfolio right after a POST (p50 / max of 10)",
        "< 50",
        partial(_p50_max, key="after_post"),
    ),
    (
        "GET /api/portfolio right after a PUT (p50 / max of 10)",
        "< 50",
        partial(_p50_max, key="after_put"),
    ),
    (
        "POST /api/transactions dated today, heavy asset (p50 of 10)",
        "< 30",
        partial(_ms, key="post"),
    ),
    ("PUT of the heavy asset's oldest trade (p50 of 10)", "< 150", partial(_ms, key="put")),
    (
        "first daily GET /api/portfolio/history, whole range (median of 3)",
        "< 300",
        partial(_ms, key="first_history"),
    ),
    ("GET /api/portfolio warm (p50 of 30)", "< 5", partial(_ms, key="warm")),
    ("server peak RSS (VmHWM) after all of the above", "< 200 MiB", _rss),
    (
        "  the same, read before the writes",
        "",
        partial(_rss, key="peak_rss_reads_mib"),
    ),
    ("reads after a write that did not show it", "0", _stale),
    ("load average (1 min) during the run, min-max", "", _load),
]


def _engine_cell(engine: dict[str, Any] | None) -> str:
    if not engine:
        return "-"
    return (
        f"{engine['fifo_holdings_s']:.2f} s ({engine.get('fifo_holdings_cpu_s', float('nan')):.2f})"
    )


def print_issue_table(
    report: dict[str, Any], baseline: dict[str, Any] | None, kinds: list[str]
) -> None:
    assets, trades, years, heavy = report["issue_size"].values()
    comparable = baseline is not None and baseline.get("sizes") == report["sizes"]
    header = ["what", "target"]
    for kind in kinds:
        header += [DATABASES[kind], f"{DATABASES[kind]} before*"]
    rows: list[list[str]] = []
    for label, target, cell in ROWS:
        row = [label, target]
        for kind in kinds:
            now = report["databases"].get(kind, {})
            if "error" in now:  # the reason is printed under the table
                row.append(now["error"].split(":")[0] + " (below)" if label == ROWS[0][0] else "-")
            else:
                row.append(_safe(cell, now))
            before = (baseline or {}).get("databases", {}).get(kind) if comparable else None
            row.append(_safe(cell, before) if before else "-")
        rows.append(row)
    n = (report["engine"] or {}).get("trades", 0)
    engine_row = [
        f"engine alone: FIFO + holdings over {n:,} trades (median of {ENGINE_RUNS})",
        "<= 1.0 s" if n == 1_000_000 else "",
    ]
    for _ in kinds:
        engine_row += [
            _engine_cell(report["engine"]),
            _engine_cell(baseline.get("engine") if baseline and comparable else None),
        ]
    rows.append(engine_row)

    print(
        f"Issue 11, incremental state: {assets} assets, {trades:,} trades ({heavy:,} on the heavy "
        f"asset, a USD stock), {years} years of daily closes and USD/TRY; a real server process"
    )
    print("Times in ms: wall-clock at the client (server process CPU); the engine in s (CPU s).")
    _table(header, rows)
    for kind in kinds:
        error = report["databases"].get(kind, {}).get("error")
        if error:
            print(f"{DATABASES[kind]}: {error}")
    if baseline is None:
        print("* before: no recorded baseline found.")
    elif not comparable:
        print(
            f"* before: recorded at --sizes {baseline.get('sizes')}, not comparable with this "
            f"run's --sizes {report['sizes']}."
        )
    else:
        print(
            f"* before: RECORDED, not re-measured: commit {baseline.get('commit')} "
            f"({baseline.get('label') or 'full replay'}), measured with this bench on "
            f"{baseline.get('date')}, {baseline.get('cpus')} CPUs; load average in its row."
        )
    print(f"  this run: commit {report['commit']}, {report['date']}.")
    print()


def _safe(cell: Callable[[dict[str, Any]], str], entry: dict[str, Any]) -> str:
    try:
        return cell(entry)
    except (KeyError, TypeError, ValueError):
        return "-"


# -- the second table ----------------------------------------------------------------------


def print_api_tables(run: Run) -> None:
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
    order = sorted(run.api_rows)
    print(
        "API in process (TestClient, SQLite, in-process cache; "
        "the heavy asset has 29 % of the trades)"
    )
    _table(list(header), [list(run.api_rows[s]) for s in order])
    import_header = [
        "assets",
        "rows",
        "CSV MB",
        "export s",
        "dry run s",
        "import s",
        "import CPU s",
    ]
    print("Import (the exported CSV through POST /api/import into an empty account, SQLite)")
    _table(import_header, [list(run.import_rows[s]) for s in order])
    engine = run.report["engine"]
    if engine:
        print(
            f"Engine alone, {engine['trades']:,} trades, 50 assets x 10 years daily: daily value "
            f"history ({engine['points']} days): {engine['history_s']:.2f} s "
            f"(CPU {engine['history_cpu_s']:.2f} s); peak {engine['peak_mb']:.0f} MB "
            "(generation included)"
        )
    m = run.api_last
    print(
        f"JavaScript shipped by the dashboard: {m['js_files']} files, {m['js_kb']:.0f} KB, "
        f"{m['js_gzip_kb']:.0f} KB gzip"
    )
    print(API_TARGETS)
    print()


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        """The first column (the row's name) left-aligned, the figures right-aligned."""
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(header))
    for row in rows:
        print(line(row))
    print()


if __name__ == "__main__":
    main()
