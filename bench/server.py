"""A real `portfolio-tracker serve` subprocess on loopback for the service-level benches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Served:
    """A running server: its base URL and the process id (for /proc/<pid>/status)."""

    base: str
    pid: int


@contextmanager
def served(
    env: Mapping[str, str],
    *args: str,
    wait_ready: bool = False,
    inherit: bool = True,
    cwd: str | None = None,
) -> Iterator[Served]:
    """Serve with `env` (added to this environment, or alone when `inherit` is false) in
    `cwd`; yields once /healthz (or /readyz with `wait_ready`) answers 200, stops it after.
    SystemExit when it exits early or is not up within 60 s."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "portfolio_tracker.cli",
            "serve",
            "--no-migrate",
            *args,
            "--port",
            str(port),
        ],
        env={**(os.environ if inherit else {}), "LOG_LEVEL": "ERROR", **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        path = "/readyz" if wait_ready else "/healthz"
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            try:
                if httpx.get(base + path, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        yield Served(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def server(env: Mapping[str, str], *args: str, wait_ready: bool = False) -> Iterator[str]:
    """Serve with `env` added to this environment; yields the base URL once /healthz answers."""
    with served(env, *args, wait_ready=wait_ready) as running:
        yield running.base


def peak_rss_mib(pid: int | str = "self") -> float:
    """VmHWM of a process (its resident-set high-water mark) in MiB; NaN when not found.
    Unlike ru_maxrss it is the process's own: a child started by a big parent does not
    inherit the parent's peak (Linux keeps ru_maxrss across fork and exec)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
