"""Prometheus metrics, served at ``/metrics`` (prometheus-client).

Several processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, wiped before
start, shared by every worker of one host), each process writes its samples there and
``/metrics`` adds them up; otherwise each process reports its own counters only.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUEST_LATENCY = Histogram(
    "pt_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status code.",
    ["method", "route", "status"],
)
JOB_DURATION = Histogram(
    "pt_job_duration_seconds",
    "Time a scheduled job ran, by job and outcome.",
    ["job", "outcome"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
JOB_FAILURES = Counter("pt_job_failures_total", "Scheduled job runs that failed.", ["job"])
FEED_ERRORS = Counter(
    "pt_feed_errors_total", "Price feed calls that failed, by feed and error.", ["feed", "error"]
)
CACHE_LOOKUPS = Counter(
    "pt_cache_lookups_total",
    "Cache lookups by cache and result (hit or miss): the hit rate is hit / (hit + miss).",
    ["cache", "result"],
)


def record_cache(cache: str, hit: bool) -> None:
    CACHE_LOOKUPS.labels(cache, "hit" if hit else "miss").inc()


def exposition() -> tuple[bytes, str]:
    """(body, content type) of the current samples, of every process in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
