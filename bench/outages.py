"""Outage bench: request and /healthz latency with a hanging database or a hanging Redis.

    python -m bench.outages [--seconds 8] [--clients 50]

Hanging database: the server's DATABASE_URL points at a loopback listener that accepts and
never answers; `clients` threads call GET /api/assets (bearer token) for `seconds`, each
pausing 100 ms between answers, while one more calls /healthz every 20 ms. Targets: /healthz
p99 < 50 ms; every API request answers 503 within the connect timeout
(DB_CONNECT_TIMEOUT_SECONDS=2 here) plus the pool wait, and, once the first 503 has come back,
at once (api.db_gate).

Hanging Redis: a migrated SQLite database, REDIS_URL at a hanging listener; sign-in with the
right password and GET /api/portfolio, one at a time, against the same server without Redis.
Target: after the first failure a hanging Redis adds < 100 ms to a request.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.faults import HangingListener
from bench.server import percentile, server

PASSWORD = "a perfectly fine passphrase"
DB_LIMITS = {
    "DB_CONNECT_TIMEOUT_SECONDS": "2",
    "DB_POOL_TIMEOUT_SECONDS": "2",
    "DB_STATEMENT_TIMEOUT_SECONDS": "2",
}


def hanging_database(seconds: float, clients: int, pause: float = 0.1) -> None:
    listener = HangingListener()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{listener.port}/portfolio"
    api: list[float] = []
    settled: list[float] = []  # requests started after the first 503 arrived
    first_answer: list[float] = []
    statuses: Counter[str] = Counter()
    health: list[float] = []
    health_failures = 0
    try:
        with server({"DATABASE_URL": url, "REDIS_URL": "", **DB_LIMITS}) as base:
            stop = time.monotonic() + seconds

            bearer = {"Authorization": "Bearer x"}

            def load() -> None:
                with httpx.Client(base_url=base, timeout=30) as client:
                    while time.monotonic() < stop:
                        start = time.perf_counter()
                        try:
                            answer = client.get("/api/assets", headers=bearer)
                            statuses[str(answer.status_code)] += 1
                        except Exception as exc:  # a bench counts every outcome
                            statuses[type(exc).__name__] += 1
                        took = time.perf_counter() - start
                        api.append(took)
                        if first_answer and start > first_answer[0]:
                            settled.append(took)
                        elif not first_answer:
                            first_answer.append(start + took)
                        time.sleep(pause)  # each client ~10 requests/s at most: a busy site

            threads = [threading.Thread(target=load) for _ in range(clients)]
            for thread in threads:
                thread.start()
            with httpx.Client(base_url=base, timeout=5) as probe:
                while time.monotonic() < stop:
                    start = time.perf_counter()
                    try:
                        probe.get("/healthz").raise_for_status()
                        health.append(time.perf_counter() - start)
                    except httpx.HTTPError:
                        health_failures += 1
                    time.sleep(0.02)
            for thread in threads:
                thread.join()
    finally:
        listener.close()
    print(f"hanging database, {clients} clients for {seconds:g} s:")
    print(
        f"  /healthz   n={len(health)} p50={percentile(health, 0.5) * 1000:.1f} ms "
        f"p99={percentile(health, 0.99) * 1000:.1f} ms failures={health_failures}"
    )
    print(
        f"  /api/assets n={len(api)} p50={percentile(api, 0.5) * 1000:.0f} ms "
        f"p99={percentile(api, 0.99) * 1000:.0f} ms max={max(api, default=0) * 1000:.0f} ms "
        f"statuses={dict(statuses)}"
    )
    print(
        f"  /api/assets after the first 503: n={len(settled)} "
        f"p50={percentile(settled, 0.5) * 1000:.1f} ms "
        f"p99={percentile(settled, 0.99) * 1000:.1f} ms "
        f"max={max(settled, default=0) * 1000:.0f} ms"
    )


def _timed_requests(base: str, rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"signin": [], "portfolio": []}
    with httpx.Client(base_url=base, timeout=30) as client:
        email = f"bench-{time.time_ns()}@example.com"
        answer = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        answer.raise_for_status()
        bearer = {"Authorization": f"Bearer {answer.json()['token']}"}
        for _ in range(rounds):
            start = time.perf_counter()
            client.post("/api/auth/signin", json={"email": email, "password": PASSWORD})
            timings["signin"].append(time.perf_counter() - start)
            start = time.perf_counter()
            client.get("/api/portfolio", headers=bearer).raise_for_status()
            timings["portfolio"].append(time.perf_counter() - start)
    return timings


def hanging_redis(rounds: int) -> None:
    from portfolio_tracker.db.migrate import upgrade
    from portfolio_tracker.db.session import build_engine

    listener = HangingListener()
    try:
        with tempfile.TemporaryDirectory(prefix="pt-bench-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine = build_engine(url)
            upgrade(engine)
            engine.dispose()
            env = {"DATABASE_URL": url, "AUTH_RATE_LIMIT": "1000/minute"}
            with server({**env, "REDIS_URL": ""}) as base:
                without = _timed_requests(base, rounds)
            hanging = f"redis://127.0.0.1:{listener.port}/0"
            with server({**env, "REDIS_URL": hanging}) as base:
                first = time.perf_counter()
                httpx.get(base + "/readyz", timeout=30)
                with_hang = _timed_requests(base, rounds)
                total = time.perf_counter() - first
    finally:
        listener.close()
    print(f"hanging Redis, {rounds} rounds (whole run {total:.1f} s):")
    for name in ("signin", "portfolio"):
        a, b = without[name], with_hang[name]
        print(
            f"  {name:<9} no Redis p50={percentile(a, 0.5) * 1000:.0f} ms "
            f"p99={percentile(a, 0.99) * 1000:.0f} ms | hanging Redis first="
            f"{b[0] * 1000:.0f} ms p50={percentile(b[1:], 0.5) * 1000:.0f} ms "
            f"p99={percentile(b[1:], 0.99) * 1000:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", choices=("database", "redis"))
    args = parser.parse_args()
    if args.only != "redis":
        hanging_database(args.seconds, args.clients)
    if args.only != "database":
        hanging_redis(args.rounds)


if __name__ == "__main__":
    main()
