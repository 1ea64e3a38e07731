"""Issue 11's rows (incremental portfolio state) through a real `portfolio-tracker serve`.

    python -m bench.incremental <database url> <token> <heavy asset id>

Against a generated portfolio (bench.generator), in this order:

1. `portfolio-tracker rebuild-state`, once, timed, when the CLI has it (its `--help` exits 0);
   the other figures are measured either way.
2. Three fresh server processes: the first `GET /api/portfolio` of each (median).
3. Three fresh server processes: the first `GET /api/portfolio/history?interval=day` (the
   whole range) of each (median). The third one then serves everything below:
4. `GET /api/portfolio` warm, p50 of 30 (after one untimed read).
5. WRITES x `POST /api/transactions`: a small buy of the heavy asset dated today (an append),
   each followed by a `GET /api/portfolio` (p50 and max); then WRITES x `PUT` of the heavy
   asset's oldest trade (a buy: its fee alternates 2.5 / 1.5, so the history stays valid),
   each followed by a `GET /api/portfolio`. Each read after a write is checked to show the
   write (the heavy holding's quantity, cost or realised P&L moved).
6. The server's peak RSS: VmHWM of /proc/<pid>/status, read before it stops (and once before
   the writes, after the history and the reads).

Every timing is wall-clock at the client (ms) and the server process's CPU time over the
same request (ms, summed over its threads from /proc/<pid>/task/*/schedstat), which a busy
machine disturbs less. The server runs without Redis, without scheduled jobs and without
price downloads (feeds at a closed loopback port), so only the request's own work is timed.
Prints one JSON object (see `run`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.server import Served, peak_rss_mib, served

PORTFOLIO = "/api/portfolio"
HISTORY = "/api/portfolio/history?interval=day"
FRESH_STARTS = 3
WARM_RUNS = 30
WRITES = 10
DEAD_FEED = "http://127.0.0.1:9"  # nothing listens: no price feed is ever reached
FEEDS = ("TEFAS", "YAHOO", "STOOQ", "COINGECKO", "TCMB", "ECB")
USER_ZONE = "Europe/Istanbul"  # the bench user's time zone (the default setting)
REBUILD_TIMEOUT_S = 3600
CLI = (sys.executable, "-m", "portfolio_tracker.cli")


@dataclass(frozen=True, slots=True)
class Timing:
    """One request: wall-clock ms at the client, the server process's CPU ms over it."""

    wall_ms: float
    cpu_ms: float


def server_env(url: str, workdir: Path) -> dict[str, str]:
    """The server's whole environment: this one's, minus Redis and Prometheus settings, plus
    the database, no scheduled jobs, no price downloads and rate limits out of the way."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_") and k != "REDIS_URL"
    }
    env.update(
        DATABASE_URL=url,
        REDIS_URL="",
        WORKERS="1",
        LOG_LEVEL="ERROR",
        JOBS_IN_APP="false",
        PRICE_BACKFILL_ON_CREATE="false",
        FEED_RETRY_ATTEMPTS="1",
        BACKUP_DIR=str(workdir / "backups"),
        AUTH_RATE_LIMIT="100000/minute",
        AUTH_EMAIL_RATE_LIMIT="100000/hour",
        AUTH_IP_RATE_LIMIT="100000/minute",
        AUTH_SIGNUP_RATE_LIMIT="100000/hour",
    )
    for feed in FEEDS:
        env[f"{feed}_BASE_URL"] = DEAD_FEED
    return env


class CpuClock:
    """CPU time of one process. Per thread from schedstat (nanoseconds); when a thread has
    ended between two readings (its time is gone from the sum), the process's utime + stime
    from /proc/<pid>/stat (clock ticks, 10 ms) instead."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def read(self) -> tuple[dict[str, int], int]:
        threads: dict[str, int] = {}
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                threads[task.name] = int((task / "schedstat").read_text().split()[0])
            except (OSError, IndexError, ValueError):
                continue
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return threads, int(fields[11]) + int(fields[12])  # utime, stime

    def between(
        self, before: tuple[dict[str, int], int], after: tuple[dict[str, int], int]
    ) -> float:
        threads0, ticks0 = before
        threads1, ticks1 = after
        if threads1 and set(threads0) <= set(threads1):
            return sum(ns - threads0.get(t, 0) for t, ns in threads1.items()) / 1e6
        return (ticks1 - ticks0) * self.tick_ms


class Client:
    """An HTTP client of one running server (bearer token), timing each request."""

    def __init__(self, running: Served, token: str) -> None:
        self.http = httpx.Client(
            base_url=running.base, headers={"Authorization": f"Bearer {token}"}, timeout=600
        )
        self.clock = CpuClock(running.pid)
        self.pid = running.pid
        self.http.get("/healthz").raise_for_status()  # the connection is open before timing

    def close(self) -> None:
        self.http.close()

    def timed(
        self, method: str, url: str, expect: int = 200, body: dict[str, Any] | None = None
    ) -> tuple[Timing, Any]:
        """(timing, the JSON answer); SystemExit unless the status is `expect`."""
        cpu0 = self.clock.read()
        start = time.perf_counter()
        answer = self.http.request(method, url, json=body)
        wall = time.perf_counter() - start
        cpu = self.clock.between(cpu0, self.clock.read())
        if answer.status_code != expect:
            raise SystemExit(f"{method} {url}: {answer.status_code} {answer.text[:500]}")
        return Timing(wall * 1000, cpu), answer.json()

    def peak_rss_mib(self) -> float:
        return peak_rss_mib(self.pid)


def _stats(timings: list[Timing], prefix: str, how: str = "p50") -> dict[str, float]:
    """{prefix_ms, prefix_cpu_ms} as the median (`how` p50/median) or the max of `timings`."""
    pick: Callable[[list[float]], float] = max if how == "max" else statistics.median
    return {
        f"{prefix}_ms": pick([t.wall_ms for t in timings]),
        f"{prefix}_cpu_ms": pick([t.cpu_ms for t in timings]),
    }


def rebuild_state(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """{available, s, error}: `rebuild-state` timed once when the CLI has it."""
    probe = subprocess.run(
        [*CLI, "rebuild-state", "--help"], env=env, cwd=cwd, capture_output=True, check=False
    )
    if probe.returncode != 0:
        return {"available": False, "s": None, "error": None}
    start = time.perf_counter()
    done = subprocess.run(
        [*CLI, "rebuild-state"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=REBUILD_TIMEOUT_S,
        check=False,
    )
    seconds = time.perf_counter() - start
    error = None
    if done.returncode != 0:
        error = f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}"
    return {"available": True, "s": seconds, "error": error}


def _holding(portfolio: dict[str, Any], asset_id: str) -> tuple[Any, ...]:
    for row in portfolio.get("holdings", []):
        if row.get("asset_id") == asset_id:
            return (row.get("quantity"), row.get("cost_basis"), row.get("realized_pnl"))
    raise SystemExit(f"GET {PORTFOLIO}: no holding row for the heavy asset {asset_id}")


def _oldest_trade(client: Client, asset_id: str) -> dict[str, Any]:
    _, page = client.timed("GET", f"/api/transactions?assetId={asset_id}&limit=1&offset=0")
    if not page or page[0]["type"] != "buy":
        raise SystemExit(f"the heavy asset's oldest trade is not a buy: {page[:1]}")
    oldest: dict[str, Any] = page[0]
    return oldest


def run(url: str, token: str, asset_id: str, loads: list[float] | None = None) -> dict[str, Any]:
    """Every row of issue 11's table but the engine's, on the database at `url` (see the
    module's docstring). Keys: rebuild_state {available, s, error}; first_portfolio_ms /
    _cpu_ms (median of FRESH_STARTS); first_history_ms / _cpu_ms, history_points; warm_ms /
    _cpu_ms (p50); post_ms, after_post_ms, after_post_max_ms, put_ms, after_put_ms,
    after_put_max_ms (each with its _cpu_ms); stale_reads (reads after a write that did not
    show it: should be 0); peak_rss_mib (at the end), peak_rss_reads_mib (before the writes);
    load (1-minute load averages sampled during the run).
    `loads` collects those samples too."""
    samples = loads if loads is not None else []

    def sample() -> None:
        samples.append(os.getloadavg()[0])

    sample()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pt-bench-serve-") as tmp:
        workdir = Path(tmp)
        env = server_env(url, workdir)
        result["rebuild_state"] = rebuild_state(env, workdir)
        sample()
        firsts = []
        for _ in range(FRESH_STARTS):
            with served(env, wait_ready=True, inherit=False, cwd=tmp) as running:
                client = Client(running, token)
                firsts.append(client.timed("GET", PORTFOLIO)[0])
                client.close()
        result.update(_stats(firsts, "first_portfolio"))
        result["first_portfolio_all_ms"] = [round(t.wall_ms, 1) for t in firsts]
        sample()
        histories = []
        for start in range(FRESH_STARTS):
            with served(env, wait_ready=True, inherit=False, cwd=tmp) as running:
                client = Client(running, token)
                timing, body = client.timed("GET", HISTORY)
                histories.append(timing)
                if start == FRESH_STARTS - 1:
                    result.update(_stats(histories, "first_history"))
                    result["first_history_all_ms"] = [round(t.wall_ms, 1) for t in histories]
                    result["history_points"] = len(body["points"])
                    sample()
                    result.update(_serve_the_rest(client, asset_id))
                    sample()
                client.close()
    result["load"] = samples
    return result


def _serve_the_rest(client: Client, asset_id: str) -> dict[str, Any]:
    """Rows 4-6 of the module's docstring on one running server."""
    result: dict[str, Any] = {}
    _, portfolio = client.timed("GET", PORTFOLIO)
    warm = [client.timed("GET", PORTFOLIO)[0] for _ in range(WARM_RUNS)]
    result.update(_stats(warm, "warm"))
    result["peak_rss_reads_mib"] = client.peak_rss_mib()
    seen = _holding(portfolio, asset_id)
    stale = 0

    def read_after() -> Timing:
        nonlocal seen, stale
        timing, body = client.timed("GET", PORTFOLIO)
        now = _holding(body, asset_id)
        stale += now == seen
        seen = now
        return timing

    today = datetime.now(ZoneInfo(USER_ZONE)).date().isoformat()
    buy = {
        "asset_id": asset_id,
        "type": "buy",
        "quantity": "0.001",
        "price_per_unit": "100",
        "fee": "0",
        "transaction_date": today,
        "note": "bench append",
    }
    posts, after_posts = [], []
    for _ in range(WRITES):
        posts.append(client.timed("POST", "/api/transactions", 201, buy)[0])
        after_posts.append(read_after())
    oldest = _oldest_trade(client, asset_id)
    puts, after_puts = [], []
    for n in range(WRITES):
        fee = {"fee": "2.5" if n % 2 == 0 else "1.5"}
        puts.append(client.timed("PUT", f"/api/transactions/{oldest['id']}", 200, fee)[0])
        after_puts.append(read_after())
    result.update(_stats(posts, "post"))
    result.update(_stats(after_posts, "after_post"))
    result.update(_stats(after_posts, "after_post_max", "max"))
    result.update(_stats(puts, "put"))
    result.update(_stats(after_puts, "after_put"))
    result.update(_stats(after_puts, "after_put_max", "max"))
    result["oldest_trade_date"] = oldest["trade_date"]
    result["stale_reads"] = stale
    result["peak_rss_mib"] = client.peak_rss_mib()
    return result


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2], sys.argv[3])))
