"""Refresh and backfill of every symbol in use: one failing feed never stops the others;
and the `portfolio-tracker prices refresh|backfill` commands."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import httpx
import pytest
import respx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from portfolio_tracker.cli import app as cli
from portfolio_tracker.db.models import Asset, ExchangeRate, PriceHistory, User
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.quote_cache import InMemoryQuoteCache
from portfolio_tracker.prices.refresh import backfill, fx_pairs_in_use, refresh_latest
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.prices.sources import FeedSymbol, PriceKind
from portfolio_tracker.settings import get_settings
from recordings import (
    COINGECKO,
    ECB,
    STOOQ,
    TCMB,
    TEFAS,
    YAHOO,
    json_response,
    text_response,
    xml_response,
)

TEFAS_API = f"{TEFAS}/api/funds/fonFiyatBilgiGetir"
CHART = f"{YAHOO}/v8/finance/chart"
TODAY = date(2026, 11, 25)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return build_session_factory(engine)


@pytest.fixture
def service(feeds: PriceFeeds) -> PriceService:
    return PriceService(feeds, InMemoryQuoteCache(300), 300, today=lambda: TODAY)


def add_assets(engine: Engine, *assets: dict[str, str]) -> None:
    with Session(engine) as db:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", hashed_password="x")
        db.add(user)
        db.flush()
        for fields in assets:
            db.add(Asset(user_id=user.id, name="A", **fields))
        db.commit()


def mock_every_feed(feed_mock: respx.MockRouter) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=httpx.Response(500))  # down
    feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=text_response("stooq_limit.txt"))
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=json_response("yahoo_gc_f.json"))
    feed_mock.get(f"{COINGECKO}/simple/price").mock(
        return_value=json_response("coingecko_simple_price_btc_usd.json")
    )
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(return_value=xml_response("tcmb_today.xml"))
    feed_mock.get(f"{ECB}/stats/eurofxref/eurofxref-daily.xml").mock(
        return_value=xml_response("ecb_daily.xml")
    )


PORTFOLIO = (
    {"type": "fund", "ticker_symbol": "YAC"},
    {"type": "stock", "ticker_symbol": "AAPL", "currency": "USD"},
    {"type": "crypto", "ticker_symbol": "BTC", "currency": "GBP"},
    {"type": "metal", "unit": "gram"},
    {"type": "stock", "ticker_symbol": "MANUAL", "price_source": "manual"},
    {"type": "stock"},
)


def test_fx_pairs_cover_the_core_pairs_and_every_currency_in_use(engine: Engine) -> None:
    add_assets(engine, *PORTFOLIO)
    with Session(engine) as db:
        assert fx_pairs_in_use(db) == ["USDTRY", "EURTRY", "EURUSD", "GBPTRY", "USDGBP"]


def test_refresh_stores_every_symbol_and_a_failing_feed_stops_nothing(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    add_assets(engine, *PORTFOLIO)
    mock_every_feed(feed_mock)

    report = refresh_latest(factory, service)

    outcome = {(i.kind, i.symbol): i.ok for i in report.items}
    assert outcome == {
        ("fund", "YAC"): True,
        ("stock", "AAPL"): False,
        ("crypto", "BTC"): True,
        ("metal", "XAU"): True,
        ("fx", "USDTRY"): True,
        ("fx", "EURTRY"): True,
        ("fx", "EURUSD"): True,
        ("fx", "GBPTRY"): True,
        ("fx", "USDGBP"): True,
    }
    assert not report.all_failed
    assert service.failures["stock:stocks"] == 1
    with Session(engine) as db:
        stored = {tuple(r) for r in db.execute(select(PriceHistory.source, PriceHistory.symbol))}
        pairs = {
            tuple(r)
            for r in db.execute(select(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.source))
        }
    assert stored == {("tefas", "YAC"), ("coingecko", "BTC"), ("metals", "XAU")}
    assert pairs == {
        ("USD", "TRY", "tcmb"),
        ("EUR", "TRY", "tcmb"),
        ("EUR", "USD", "ecb"),
        ("GBP", "TRY", "ecb"),
        ("USD", "GBP", "ecb"),
    }


def test_backfill_stores_history_and_crypto_is_asked_a_year_at_a_time(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))
    chart = feed_mock.get(f"{COINGECKO}/coins/bitcoin/market_chart/range").mock(
        return_value=json_response("coingecko_market_chart_range_btc.json")
    )

    report = backfill(
        factory,
        service,
        [FeedSymbol(PriceKind.fund, "YAC"), FeedSymbol(PriceKind.crypto, "BTC")],
        years=3,
    )

    assert [(i.symbol, i.ok) for i in report.items] == [("YAC", True), ("BTC", True)]
    assert report.items[0].rows == 4
    # Three years in 365-day chunks; the keyless plan answers only the last year, so the
    # provider skips older chunks without a request.
    assert 1 <= chart.call_count <= 2
    with Session(engine) as db:
        btc = db.scalars(select(PriceHistory.close).where(PriceHistory.symbol == "BTC")).all()
        yac = db.scalars(select(PriceHistory.day).where(PriceHistory.symbol == "YAC")).all()
    assert btc and all(Decimal(0) < c < Decimal(10**9) for c in btc)
    assert date(2026, 11, 20) in yac


# -- the command line ------------------------------------------------------------------


@pytest.fixture
def cli_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("REDIS_URL", raising=False)
    for name, url in (
        ("TEFAS", TEFAS),
        ("YAHOO", YAHOO),
        ("STOOQ", STOOQ),
        ("COINGECKO", COINGECKO),
        ("TCMB", TCMB),
        ("ECB", ECB),
    ):
        monkeypatch.setenv(f"{name}_BASE_URL", url)
    monkeypatch.setenv("FEED_RETRY_ATTEMPTS", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_refresh_prints_a_table_and_succeeds_when_some_feeds_answer(
    engine: Engine,
    cli_env: None,
    feed_mock: respx.MockRouter,
) -> None:
    add_assets(engine, *PORTFOLIO)
    mock_every_feed(feed_mock)

    result = CliRunner().invoke(cli, ["prices", "refresh"])

    assert result.exit_code == 0, result.output
    assert "YAC" in result.output and "FAILED" in result.output
    assert "8 succeeded, 1 failed" in result.output


def test_cli_refresh_fails_when_every_feed_fails(
    engine: Engine,
    cli_env: None,
    feed_mock: respx.MockRouter,
) -> None:
    feed_mock.route().mock(return_value=httpx.Response(503))

    result = CliRunner().invoke(cli, ["prices", "refresh"])

    assert result.exit_code == 1
    assert "0 succeeded, 3 failed" in result.output


def test_cli_backfill_of_one_symbol(
    engine: Engine,
    cli_env: None,
    feed_mock: respx.MockRouter,
) -> None:
    feed_mock.post(TEFAS_API).mock(return_value=json_response("tefas_yac_month.json"))

    result = CliRunner().invoke(
        cli, ["prices", "backfill", "--symbol", "yac", "--kind", "fund", "--years", "1"]
    )

    assert result.exit_code == 0, result.output
    assert "1 succeeded, 0 failed" in result.output
    with Session(engine) as db:
        assert len(db.scalars(select(PriceHistory.day)).all()) == 4


def test_cli_backfill_refuses_a_kind_without_a_symbol(cli_env: None) -> None:
    result = CliRunner().invoke(cli, ["prices", "backfill", "--kind", "fund"])

    assert result.exit_code == 2
