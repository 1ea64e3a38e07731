"""Keep-alive latency per request at 1 and 2 worker processes.

    python -m bench.keepalive [--requests 300]

A real `portfolio-tracker serve --workers N` on loopback (migrated SQLite), one httpx client
reusing its connection: GET /healthz and an authenticated GET /api/assets, p50 and p99.
Target: 2 workers as fast per request as 1 (without TCP_NODELAY a keep-alive response waits
~40 ms for the client's delayed ACK).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import percentile, server

PASSWORD = "a perfectly fine passphrase"


def measure(base: str, requests: int) -> dict[str, tuple[float, float]]:
    results: dict[str, tuple[float, float]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        email = f"keepalive-{time.time_ns()}@example.com"
        answer = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
        answer.raise_for_status()
        bearer = {"Authorization": f"Bearer {answer.json()['token']}"}
        for path, headers in (("/healthz", {}), ("/api/assets", bearer)):
            for _ in range(20):  # warm up: imports, pool, the connection itself
                client.get(path, headers=headers)
            timings = []
            for _ in range(requests):
                start = time.perf_counter()
                client.get(path, headers=headers).raise_for_status()
                timings.append(time.perf_counter() - start)
            results[path] = (percentile(timings, 0.5), percentile(timings, 0.99))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    from portfolio_tracker.db.migrate import upgrade
    from portfolio_tracker.db.session import build_engine

    with tempfile.TemporaryDirectory(prefix="pt-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = build_engine(url)
        upgrade(engine)
        engine.dispose()
        print(f"keep-alive latency, {args.requests} requests each (p50 / p99 ms):")
        for workers in args.workers:
            env = {"DATABASE_URL": url, "REDIS_URL": "", "AUTH_RATE_LIMIT": "1000/minute"}
            with server(env, "--workers", str(workers), wait_ready=True) as base:
                results = measure(base, args.requests)
            cells = "  ".join(
                f"{path} {p50 * 1000:.1f} / {p99 * 1000:.1f}"
                for path, (p50, p99) in results.items()
            )
            print(f"  workers={workers}: {cells}")


if __name__ == "__main__":
    main()
