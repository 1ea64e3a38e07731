"""Timings of the real app over a generated database, run in its own process so that its
peak memory (VmHWM) is the app's alone. Prints one JSON object.

Also the dashboard page (GET / with the session cookie: render included) warm, and the
JavaScript that page makes the browser download, raw and gzip-compressed.

    python -m bench.measure <sqlite url> <token>
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
import time

from fastapi.testclient import TestClient

from bench.generator import settings_for
from bench.server import peak_rss_mib
from portfolio_tracker.app import create_app
from portfolio_tracker.db.session import build_engine

WARM_RUNS = 30


def _timed(client: TestClient, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.text[:300]}")
    return elapsed


def main(url: str, token: str) -> None:
    engine = build_engine(url)
    app = create_app(settings_for(url), engine)
    cache = app.state.portfolio_cache
    headers = {"Authorization": f"Bearer {token}"}
    history = "/api/portfolio/history?interval=day"
    with TestClient(app) as client:
        client.get("/api/settings", headers=headers)  # imports, pools, compiled statements
        colds = []
        for _ in range(3):
            cache.clear()
            colds.append(_timed(client, "/api/portfolio", headers))
        warm = [_timed(client, "/api/portfolio", headers) for _ in range(WARM_RUNS)]
        cache.clear()
        history_cold = _timed(client, history, headers)
        history_warm = [_timed(client, history, headers) for _ in range(WARM_RUNS)]
        body = client.get(history, headers=headers).json()
        client.cookies.set("pt_session", token)
        page = client.get("/")
        dashboard_warm = [_timed(client, "/", {}) for _ in range(WARM_RUNS)]
        sources = re.findall(r'<script src="([^"]+)"', page.text)
        scripts = [client.get(src).content for src in sources]
    peak_mb = peak_rss_mib()
    print(
        json.dumps(
            {
                "cold_ms": statistics.median(colds) * 1000,
                "warm_p50_ms": statistics.median(warm) * 1000,
                "history_cold_ms": history_cold * 1000,
                "history_warm_p50_ms": statistics.median(history_warm) * 1000,
                "history_points": len(body["points"]),
                "peak_mb": peak_mb,
                "dashboard_warm_p50_ms": statistics.median(dashboard_warm) * 1000,
                "js_files": len(scripts),
                "js_kb": sum(len(s) for s in scripts) / 1024,
                "js_gzip_kb": sum(len(gzip.compress(s, 9)) for s in scripts) / 1024,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
