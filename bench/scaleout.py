"""Scale-out check: three app processes and a worker on one PostgreSQL and one Redis, under a
bounded mixed load; prints throughput and latency and checks that nothing was lost.

    python -m bench.scaleout [--seconds 60] [--users 30] [--clients 2] [--redis-db 13]
                             [--postgres-url URL] [--redis-url URL] [--signin-limit 5]

It creates a fresh PostgreSQL database (dropped at the end unless --keep-database), migrates
it, starts three `portfolio-tracker serve` processes on loopback ports and one
`portfolio-tracker worker`, all on that database and on Redis database --redis-db (rate-limit
keys under a prefix of this run, deleted at the end), then drives the load: --users virtual
users, spread over --clients load processes (asyncio + httpx, one client per user), each
signing up, creating two assets and then, until --seconds have passed, reading
(/api/portfolio, /api/transactions, /api/portfolio/history, /api/assets/{id}) and writing
(buys, sells within the holding, and now and then a sell beyond it, which must be refused
with 422), every request to the next of the three processes in turn, with no pause.

Checks (exit status 1 if any fails):
- no 5xx answer and no request without an answer;
- every acknowledged (201) transaction is in the database exactly once, nothing that was not
  acknowledged is (each carries a unique tag in its note), and every asset's holding in the
  database is what the answers the clients got add up to;
- rate limits are counted across processes: failed sign-ins for one email, spread over the
  three processes, are refused (429) after AUTH_RATE_LIMIT failures in total, not three times
  as many.

The load generator is our own (multi-process asyncio on httpx, already a dependency) rather
than locust: each write's answer has to be recorded with its tag for the lost/duplicated
check, which a plain coroutine per user does directly, while locust would add gevent's
monkey-patching and its own dependency tree (flask, pyzmq, ...) for a feature set the check
does not use.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import itertools
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.server import free_port, percentile

PASSWORD = "a perfectly fine passphrase"
DEAD_FEED = "http://127.0.0.1:9"  # nothing listens: no price feed is ever reached
FEEDS = ("TEFAS", "YAHOO", "STOOQ", "COINGECKO", "TCMB", "ECB")
FIRST_DAY = date(2023, 1, 2)  # each user's trades move one day forward from here
HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Config:
    """What to run: `postgres_url` is a server's maintenance database (a fresh database is
    created beside it); `redis_url` includes the database number."""

    postgres_url: str
    redis_url: str
    seconds: float = 60.0
    users: int = 30
    clients: int = 2
    signin_limit: int = 5
    keep_database: bool = False
    log_dir: Path | None = None


@dataclass(frozen=True)
class Sample:
    kind: str  # "read" | "write"
    name: str  # the endpoint, e.g. "GET /api/portfolio"
    status: int  # 0: no answer (a network error or a timeout)
    seconds: float


@dataclass(frozen=True)
class Write:
    """One transaction POST: its tag (in the note), the answer, and what it should add to
    the asset's holding when acknowledged."""

    tag: str
    asset_id: str
    status: int
    transaction_id: str | None
    delta: Decimal
    expected_refusal: bool
    refusal: str = ""  # the start of the answer when it was not 201


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0  # from the first request to the last answer


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    seconds: float
    samples: list[Sample]
    checks: list[Check]
    load_average: tuple[float, float, float]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def server_errors(self) -> int:
        return sum(1 for s in self.samples if s.status >= 500)


# -- the load: one coroutine per user, in a few processes ----------------------------------


def plain(value: Decimal) -> str:
    """Fixed-point text without trailing zeros: "0.2", never "0.20" (which the API's
    positive-decimal pattern refuses today: a fraction below 1 must not end in 0)."""
    return format(value.normalize(), "f")


class VirtualUser:
    def __init__(
        self, number: int, run: str, bases: Sequence[str], deadline: float, out: LoadResult
    ) -> None:
        self.number = number
        self.run = run
        first = number % len(bases)
        self.turn = itertools.cycle([*bases[first:], *bases[:first]])
        self.deadline = deadline
        self.out = out
        self.rng = random.Random(f"{run}-{number}")
        self.headers: dict[str, str] = {}
        self.held: dict[str, Decimal] = {}
        self.day = FIRST_DAY
        self.writes = 0

    async def call(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, name: str, **kw: object
    ) -> httpx.Response | None:
        url = next(self.turn) + path
        started = time.perf_counter()
        try:
            response = await client.request(method, url, headers=self.headers, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.out.samples.append(Sample(kind, name, 0, time.perf_counter() - started))
            self.out.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return None
        self.out.samples.append(
            Sample(kind, name, response.status_code, time.perf_counter() - started)
        )
        if response.status_code >= 500:
            self.out.errors.append(f"{name}: {response.status_code} {response.text[:200]}")
        return response

    async def start(self, client: httpx.AsyncClient) -> bool:
        email = f"scaleout-{self.run}-{self.number}@example.com"
        body = {"email": email, "password": PASSWORD}
        answer = await self.call(
            client, "write", "POST", "/api/auth/signup", "POST /api/auth/signup", json=body
        )
        if answer is None or answer.status_code != 201:
            return False
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}
        for asset in (
            {"name": "Gold", "type": "metal", "unit": "gram", "currency": "TRY"},
            {"name": "Acme", "type": "stock", "ticker_symbol": "ACME", "currency": "TRY"},
        ):
            made = await self.call(
                client, "write", "POST", "/api/assets", "POST /api/assets",
                json={**asset, "price_source": "manual"},
            )  # fmt: skip
            if made is None or made.status_code != 201:
                return False
            self.held[made.json()["id"]] = Decimal(0)
        return True

    async def trade(self, client: httpx.AsyncClient, kind: str, beyond: bool = False) -> None:
        asset_id = self.rng.choice(sorted(self.held))
        held = self.held[asset_id]
        if kind == "sell" and held <= 0:
            kind, beyond = "buy", False
        if kind == "buy":
            quantity = Decimal(self.rng.randint(100, 2000)) * HUNDREDTH
        elif beyond:
            quantity = held + 1
        else:
            quantity = max(HUNDREDTH, (held * Decimal(self.rng.random())).quantize(HUNDREDTH))
            quantity = min(quantity, held)
        if self.day >= date.today():
            return
        self.writes += 1
        tag = f"sx:{self.run}:{self.number}:{self.writes}"
        body = {
            "asset_id": asset_id,
            "type": kind,
            "quantity": plain(quantity),
            "price_per_unit": plain(Decimal(self.rng.randint(1000, 5000)) * HUNDREDTH),
            "transaction_date": self.day.isoformat(),
            "note": tag,
        }
        self.day += timedelta(days=1)
        name = "POST /api/transactions (beyond holding)" if beyond else "POST /api/transactions"
        answer = await self.call(client, "write", "POST", "/api/transactions", name, json=body)
        status = 0 if answer is None else answer.status_code
        acked = status == 201
        delta = quantity if kind == "buy" else -quantity
        if acked:
            self.held[asset_id] += delta
        self.out.writes.append(
            Write(
                tag,
                asset_id,
                status,
                answer.json()["id"] if answer is not None and acked else None,
                delta,
                beyond,
                "" if acked or answer is None else f"{body['quantity']}: {answer.text[:200]}",
            )
        )

    async def run_until_deadline(self, client: httpx.AsyncClient) -> None:
        if not await self.start(client):
            self.out.errors.append(f"user {self.number}: could not sign up and create assets")
            return
        while time.monotonic() < self.deadline:
            roll = self.rng.random()
            if roll < 0.25:
                await self.trade(client, "buy")
            elif roll < 0.37:
                await self.trade(client, "sell")
            elif roll < 0.40:
                await self.trade(client, "sell", beyond=True)
            elif roll < 0.62:
                await self.call(client, "read", "GET", "/api/portfolio", "GET /api/portfolio")
            elif roll < 0.82:
                await self.call(
                    client, "read", "GET", "/api/transactions?limit=50", "GET /api/transactions"
                )
            elif roll < 0.92:
                await self.call(
                    client, "read", "GET", "/api/portfolio/history?interval=week",
                    "GET /api/portfolio/history",
                )  # fmt: skip
            else:
                asset_id = self.rng.choice(sorted(self.held))
                await self.call(
                    client, "read", "GET", f"/api/assets/{asset_id}", "GET /api/assets/{id}"
                )


async def _drive(
    bases: Sequence[str], numbers: Sequence[int], run: str, deadline: float
) -> LoadResult:
    out = LoadResult()
    started = time.monotonic()

    async def one(number: int) -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            await VirtualUser(number, run, bases, deadline, out).run_until_deadline(client)

    await asyncio.gather(*(one(n) for n in numbers))
    out.seconds = time.monotonic() - started
    return out


def drive(bases: Sequence[str], numbers: Sequence[int], run: str, seconds: float) -> LoadResult:
    """One load process: the users `numbers`, each a coroutine, for `seconds` (monotonic
    clock of this process)."""
    return asyncio.run(_drive(bases, numbers, run, time.monotonic() + seconds))


# -- the processes under test --------------------------------------------------------------


def _server_env(
    database_url: str, redis_url: str, prefix: str, signin_limit: int, backups: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_")}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        RATE_LIMIT_KEY_PREFIX=prefix,
        JOBS_IN_APP="false",  # the worker runs the jobs, as in a scaled-out deployment
        JOBS_TICK_SECONDS="5",
        WORKERS="1",
        LOG_LEVEL="WARNING",
        PRICE_BACKFILL_ON_CREATE="false",
        FEED_RETRY_ATTEMPTS="1",
        BACKUP_DIR=str(backups),
        # The limit under check; the others out of its way (the load signs up from one IP).
        AUTH_RATE_LIMIT=f"{signin_limit}/minute",
        AUTH_EMAIL_RATE_LIMIT="100000/hour",
        AUTH_IP_RATE_LIMIT="100000/minute",
        AUTH_SIGNUP_RATE_LIMIT="100000/hour",
    )
    for feed in FEEDS:
        env[f"{feed}_BASE_URL"] = DEAD_FEED
    return env


@contextmanager
def processes(env: dict[str, str], log_dir: Path) -> Iterator[list[str]]:
    """Three `serve` processes and a `worker`; yields the three base URLs once every one
    answers /readyz."""
    ports = [free_port() for _ in range(3)]
    cli = [sys.executable, "-m", "portfolio_tracker.cli"]
    commands = [[*cli, "serve", "--no-migrate", "--port", str(p)] for p in ports]
    commands.append([*cli, "worker"])
    started = []
    try:
        for n, command in enumerate(commands):
            log = (log_dir / f"process-{n}.log").open("w")
            started.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        deadline = time.monotonic() + 120
        for base in bases:
            while not _ready(base):
                if any(p.poll() is not None for p in started) or time.monotonic() > deadline:
                    raise SystemExit(f"the app processes did not start; logs in {log_dir}")
                time.sleep(0.2)
        yield bases
        dead = [str(n) for n, p in enumerate(started) if p.poll() is not None]
        if dead:
            raise SystemExit(f"processes {', '.join(dead)} died during the load; logs in {log_dir}")
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def _ready(base: str) -> bool:
    try:
        return httpx.get(base + "/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# -- the checks ----------------------------------------------------------------------------


def check_signin_limit(bases: Sequence[str], limit: int, run: str) -> Check:
    """Failed sign-ins for one email, round-robin over the processes: exactly `limit` are
    answered 401, the rest 429 (then even the right password)."""
    email = f"limited-{run}@example.com"
    attempts = 3 * limit + 3
    with httpx.Client(timeout=30) as client:
        made = client.post(
            f"{bases[0]}/api/auth/signup", json={"email": email, "password": PASSWORD}
        )
        if made.status_code != 201:
            return Check(
                "sign-in limit across processes", False, f"sign-up answered {made.status_code}"
            )
        statuses = [
            client.post(
                f"{bases[n % len(bases)]}/api/auth/signin",
                json={"email": email, "password": "not the password at all"},
            ).status_code
            for n in range(attempts)
        ]
        right = client.post(
            f"{bases[attempts % len(bases)]}/api/auth/signin",
            json={"email": email, "password": PASSWORD},
        ).status_code
    refused, failed = statuses.count(429), statuses.count(401)
    ok = failed == limit and refused == attempts - limit and right == 429
    detail = (
        f"{attempts} wrong passwords over {len(bases)} processes: {failed} answered 401, "
        f"{refused} 429 (limit {limit} in total; per process it would be {len(bases) * limit}); "
        f"then the right one: {right}"
    )
    return Check("sign-in limit across processes", ok, detail)


def check_transactions(database_url: str, writes: Sequence[Write]) -> list[Check]:
    """Acknowledged writes are stored exactly once, the others not at all, and the holdings
    add up."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, note, asset_id, type, quantity FROM transactions")
            ).all()
    finally:
        engine.dispose()
    by_tag: dict[str, list[str]] = {}
    stored: dict[str, Decimal] = {}
    for row_id, note, asset_id, kind, quantity in rows:
        by_tag.setdefault(str(note), []).append(str(row_id))
        q = Decimal(str(quantity))
        stored[str(asset_id)] = stored.get(str(asset_id), Decimal(0)) + (q if kind == "buy" else -q)
    acked = [w for w in writes if w.status == 201]
    lost = [w.tag for w in acked if by_tag.get(w.tag) != [w.transaction_id]]
    duplicated = [tag for tag, ids in by_tag.items() if len(ids) > 1]
    unacked = {w.tag for w in writes if w.status != 201}
    phantom = sorted(unacked & by_tag.keys())
    strangers = sorted(by_tag.keys() - {w.tag for w in writes})
    expected: dict[str, Decimal] = {}
    for w in acked:
        expected[w.asset_id] = expected.get(w.asset_id, Decimal(0)) + w.delta
    wrong_holdings = sorted(
        a for a in expected.keys() | stored.keys() if expected.get(a, 0) != stored.get(a, 0)
    )
    refusals = [w for w in writes if w.expected_refusal]
    unexpected = [w for w in writes if w.status != 201 and not w.expected_refusal]
    others = Counter(w.status for w in unexpected)
    misjudged = [w.tag for w in refusals if w.status != 422]
    return [
        Check(
            "acknowledged transactions stored exactly once",
            not lost and not duplicated and not strangers,
            f"{len(acked)} acknowledged, {len(rows)} rows; lost {len(lost)}, duplicated "
            f"{len(duplicated)}, unknown {len(strangers)}" + _first(lost + duplicated + strangers),
        ),
        Check(
            "unacknowledged transactions not stored",
            not phantom,
            f"{len(unacked)} not acknowledged ({len(refusals)} sells beyond the holding; "
            f"other answers: {dict(others) or 'none'}), {len(phantom)} of them stored"
            + _first(phantom + [w.refusal for w in unexpected]),
        ),
        Check(
            "holdings add up",
            not wrong_holdings,
            f"{len(expected)} assets; {len(wrong_holdings)} differ" + _first(wrong_holdings),
        ),
        Check(
            "sells beyond the holding refused (422)",
            bool(refusals) and not misjudged,
            f"{len(refusals)} tried, {len(refusals) - len(misjudged)} refused" + _first(misjudged),
        ),
    ]


def _first(items: Sequence[str]) -> str:
    return f" (e.g. {', '.join(items[:3])})" if items else ""


# -- the run -------------------------------------------------------------------------------


def run(config: Config) -> Report:
    """Everything: database, processes, load, checks; cleans up after itself."""
    run_id = uuid.uuid4().hex[:8]
    admin = create_engine(config.postgres_url, isolation_level="AUTOCOMMIT")
    name = f"pt_scaleout_{os.getpid()}_{run_id}"
    database_url = (
        make_url(config.postgres_url).set(database=name).render_as_string(hide_password=False)
    )
    prefix = f"pt-scaleout-{run_id}"
    log_dir = config.log_dir or Path(tempfile.mkdtemp(prefix="pt-scaleout-"))
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        from portfolio_tracker.db.migrate import upgrade
        from portfolio_tracker.db.session import build_engine

        engine = build_engine(database_url)
        upgrade(engine)
        engine.dispose()
        env = _server_env(
            database_url, config.redis_url, prefix, config.signin_limit, log_dir / "backups"
        )
        with processes(env, log_dir) as bases:
            result, elapsed = _load(config, bases, run_id)
            checks = [check_signin_limit(bases, config.signin_limit, run_id)]
        checks += check_transactions(database_url, result.writes)
        unanswered = sum(1 for s in result.samples if s.status == 0)
        five_xx = sum(1 for s in result.samples if s.status >= 500)
        checks.insert(
            0,
            Check(
                "no 5xx, every request answered",
                five_xx == 0 and unanswered == 0 and len(result.samples) > 0,
                f"{len(result.samples)} requests: {five_xx} 5xx, {unanswered} unanswered"
                + _first(result.errors),
            ),
        )
        return Report(elapsed, result.samples, checks, os.getloadavg())
    finally:
        _forget_redis_keys(config.redis_url, prefix)
        if not config.keep_database:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        if config.log_dir is None:
            shutil.rmtree(log_dir, ignore_errors=True)


def _load(config: Config, bases: Sequence[str], run_id: str) -> tuple[LoadResult, float]:
    clients = max(1, min(config.clients, config.users))
    slices = [list(range(config.users))[n::clients] for n in range(clients)]
    merged = LoadResult()
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(clients, mp_context=context) as pool:
        futures = [pool.submit(drive, bases, numbers, run_id, config.seconds) for numbers in slices]
        for future in futures:
            part = future.result()
            merged.samples += part.samples
            merged.writes += part.writes
            merged.errors += part.errors
            merged.seconds = max(merged.seconds, part.seconds)
    return merged, merged.seconds


def _forget_redis_keys(url: str, prefix: str) -> None:
    with suppress(redis.RedisError):
        client = redis.Redis.from_url(url, socket_timeout=5)
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
        client.close()


# -- the table -----------------------------------------------------------------------------


def table(report: Report) -> str:
    header = ("", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "5xx")
    groups: dict[str, list[Sample]] = {"all": report.samples}
    for kind in ("read", "write"):
        groups[kind] = [s for s in report.samples if s.kind == kind]
    for name in sorted({s.name for s in report.samples}):
        groups[f"  {name}"] = [s for s in report.samples if s.name == name]
    rows = [header]
    for label, samples in groups.items():
        ms = [s.seconds * 1000 for s in samples]
        rows.append(
            (
                label,
                str(len(samples)),
                f"{len(samples) / report.seconds:.1f}",
                f"{percentile(ms, 0.50):.0f}",
                f"{percentile(ms, 0.95):.0f}",
                f"{percentile(ms, 0.99):.0f}",
                str(sum(1 for s in samples if s.status >= 500)),
            )
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(widths[0]) if c == 0 else cell.rjust(widths[c]) for c, cell in enumerate(r)
        )
        for r in rows
    ]
    load = ", ".join(f"{x:.2f}" for x in report.load_average)
    lines.append(f"{report.seconds:.1f} s of load; load average at the end: {load}")
    for check in report.checks:
        lines.append(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="Load duration (default 60).")
    parser.add_argument("--users", type=int, default=30, help="Virtual users (default 30).")
    parser.add_argument("--clients", type=int, default=2, help="Load processes (default 2).")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="A PostgreSQL server's maintenance database (default $TEST_POSTGRES_URL).",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379", help="Redis server.")
    parser.add_argument(
        "--redis-db", type=int, default=13, help="Redis database number (default 13)."
    )
    parser.add_argument("--signin-limit", type=int, default=5, help="AUTH_RATE_LIMIT per minute.")
    parser.add_argument("--keep-database", action="store_true", help="Do not drop the database.")
    parser.add_argument("--logs", type=Path, help="Keep the processes' logs in this directory.")
    args = parser.parse_args()
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
    config = Config(
        postgres_url=args.postgres_url,
        redis_url=f"{args.redis_url.rstrip('/')}/{args.redis_db}",
        seconds=args.seconds,
        users=args.users,
        clients=args.clients,
        signin_limit=args.signin_limit,
        keep_database=args.keep_database,
        log_dir=args.logs,
    )
    print(
        f"scale-out: 3 app processes + 1 worker, PostgreSQL + Redis db {args.redis_db}; "
        f"{args.users} users over {args.clients} load processes for {args.seconds:.0f} s",
        flush=True,
    )
    report = run(config)
    print(table(report))
    if not report.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
