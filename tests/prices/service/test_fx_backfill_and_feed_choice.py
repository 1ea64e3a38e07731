"""The exchange rates an asset needs, backfilled in the background (ECB history, TCMB for
recent TRY days, only what is missing); an explicit feed choice honoured by refresh and
backfill; refresh with a Redis quote cache that cannot be reached."""

from __future__ import annotations

import socket
import uuid
from datetime import date
from decimal import Decimal

import httpx
import pytest
import redis
import respx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.db.models import Asset, ExchangeRate, PriceHistory, User, UserSettings
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.prices import storage
from portfolio_tracker.prices.providers.registry import PriceFeeds
from portfolio_tracker.prices.quote_cache import InMemoryQuoteCache, RedisQuoteCache
from portfolio_tracker.prices.refresh import (
    RefreshReport,
    backfill,
    backfill_fx_for_trade,
    backfill_new_asset,
    ensure_fx_history,
    fx_pairs_for_asset,
    missing_fx_range,
    refresh_latest,
    symbols_in_use,
)
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.prices.sources import FeedSymbol, PriceKind, feed_symbol_of
from recordings import (
    ECB,
    STOOQ,
    TCMB,
    YAHOO,
    html_response,
    json_response,
    text_response,
    xml_response,
)

CHART = f"{YAHOO}/v8/finance/chart"
ECB_HISTORY = rf"^{ECB}/stats/eurofxref/eurofxref-hist(-90d)?\.xml$"
TCMB_ARCHIVE = rf"^{TCMB}/kurlar/\d{{6}}/\d{{8}}\.xml$"
TODAY = date(2026, 11, 25)
TCMB_DAYS = {"19112026.xml", "20112026.xml", "23112026.xml"}


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return build_session_factory(engine)


@pytest.fixture
def service(feeds: PriceFeeds) -> PriceService:
    return PriceService(feeds, InMemoryQuoteCache(300), 300, today=lambda: TODAY)


def tcmb_archive(request: httpx.Request) -> httpx.Response:
    name = request.url.path.rsplit("/", 1)[1]
    if name in TCMB_DAYS:
        return xml_response(f"tcmb_{name}")
    return html_response("tcmb_not_found.html", 404)  # weekend, holiday, not yet out


def mock_fx_history(feed_mock: respx.MockRouter) -> tuple[respx.Route, respx.Route]:
    ecb = feed_mock.get(url__regex=ECB_HISTORY).mock(return_value=xml_response("ecb_hist_90d.xml"))
    tcmb = feed_mock.get(url__regex=TCMB_ARCHIVE).mock(side_effect=tcmb_archive)
    return ecb, tcmb


def add_user_assets(
    engine: Engine, *assets: dict[str, str], base: str | None = None
) -> list[uuid.UUID]:
    with Session(engine) as db:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", hashed_password="x")
        db.add(user)
        db.flush()
        if base is not None:
            db.add(UserSettings(user_id=user.id, base_currency=base))
        rows = [Asset(user_id=user.id, name="A", **fields) for fields in assets]
        db.add_all(rows)
        db.commit()
        return [row.id for row in rows]


def stored_rates(engine: Engine) -> dict[tuple[str, str, date], tuple[Decimal, str]]:
    with Session(engine) as db:
        return {
            (r.base, r.quote, r.day): (r.rate, r.source)
            for r in db.execute(
                select(
                    ExchangeRate.base,
                    ExchangeRate.quote,
                    ExchangeRate.day,
                    ExchangeRate.rate,
                    ExchangeRate.source,
                )
            )
        }


def stored_closes(engine: Engine) -> set[tuple[str, str]]:
    with Session(engine) as db:
        return {
            (r.source, r.symbol)
            for r in db.execute(select(PriceHistory.source, PriceHistory.symbol))
        }


# -- which range is missing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "asked", "start", "end", "missing"),
    [
        (None, None, date(2016, 11, 25), TODAY, (date(2016, 11, 25), TODAY)),
        # Covered within a week at both ends (weekends and holidays have no rate).
        ((date(2016, 11, 28), date(2026, 11, 20)), None, date(2016, 11, 25), TODAY, None),
        # Only the recent end is missing: from the day after the last stored one.
        (
            (date(2016, 11, 25), date(2026, 10, 1)),
            None,
            date(2016, 11, 25),
            TODAY,
            (date(2026, 10, 2), TODAY),
        ),
        # A trade older than the stored rates: up to the day before the first stored one.
        (
            (date(2026, 11, 20), date(2026, 11, 24)),
            None,
            date(2026, 11, 3),
            TODAY,
            (date(2026, 11, 3), date(2026, 11, 19)),
        ),
        # Both ends missing: one range over everything.
        (
            (date(2026, 1, 5), date(2026, 6, 1)),
            None,
            date(2025, 1, 1),
            TODAY,
            (date(2025, 1, 1), TODAY),
        ),
        # The feed was already asked from 2016 on and had nothing older than 2020: not again.
        (
            (date(2020, 1, 2), date(2026, 11, 24)),
            (date(2016, 11, 25), TODAY),
            date(2017, 1, 1),
            TODAY,
            None,
        ),
    ],
    ids=["nothing-stored", "covered", "tail", "head", "both-ends", "already-asked"],
)
def test_the_missing_fx_range(
    stored: tuple[date, date] | None,
    asked: tuple[date, date] | None,
    start: date,
    end: date,
    missing: tuple[date, date] | None,
) -> None:
    assert missing_fx_range(stored, asked, start, end) == missing


# -- the pairs an asset needs ------------------------------------------------------------


def test_an_asset_needs_its_currency_and_its_feeds_against_the_base(engine: Engine) -> None:
    usd_stock, metal, fund, crypto = add_user_assets(
        engine,
        {"type": "stock", "ticker_symbol": "AAPL", "currency": "USD"},
        {"type": "metal", "unit": "gram"},  # TRY asset, spot in USD
        {"type": "fund", "ticker_symbol": "YAC"},
        {"type": "crypto", "ticker_symbol": "BTC", "currency": "EUR"},
    )
    [eur_user_stock] = add_user_assets(
        engine, {"type": "stock", "ticker_symbol": "THYAO.IS"}, base="EUR"
    )
    with Session(engine) as db:
        storage.store_closes(db, [storage.Close("yahoo", "THYAO.IS", TODAY, Decimal(289), "TRY")])
        db.commit()
        assert fx_pairs_for_asset(db, usd_stock) == ["USDTRY"]
        assert fx_pairs_for_asset(db, metal) == ["USDTRY"]
        assert fx_pairs_for_asset(db, fund) == []
        assert fx_pairs_for_asset(db, crypto) == ["EURTRY", "USDTRY"]
        assert fx_pairs_for_asset(db, eur_user_stock) == ["TRYEUR"]
        assert fx_pairs_for_asset(db, uuid.uuid4()) == []


# -- ensure_fx_history -------------------------------------------------------------------


def test_fx_history_comes_from_the_ecb_and_tcmb_for_the_recent_try_days(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    ecb, tcmb = mock_fx_history(feed_mock)

    report = ensure_fx_history(factory, service, ["USDTRY"], date(2016, 11, 25), TODAY)

    assert [(i.symbol, i.ok) for i in report.items] == [("USDTRY", True), ("USDTRY", True)]
    assert ecb.call_count == 1
    # Ten years: the long file, not the 90-day one.
    assert str(ecb.calls[0].request.url).endswith("/eurofxref-hist.xml")
    # TCMB: the weekdays of the last seven days, one bulletin each.
    assert sorted(str(c.request.url).rsplit("/", 1)[1] for c in tcmb.calls) == [
        "19112026.xml",
        "20112026.xml",
        "23112026.xml",
        "24112026.xml",
        "25112026.xml",
    ]
    rates = stored_rates(engine)
    usd_try = {
        day: value for (base, quote, day), value in rates.items() if (base, quote) == ("USD", "TRY")
    }
    assert usd_try[date(2026, 11, 17)] == (Decimal("48.9950") / Decimal("1.1560"), "ecb")
    assert usd_try[date(2026, 11, 24)][1] == "ecb"  # no TCMB bulletin in the recording
    # TCMB is authoritative for TRY: its rate replaces the ECB cross on the days it has.
    assert usd_try[date(2026, 11, 20)] == (Decimal("42.3617"), "tcmb")
    assert {day for day, (_, source) in usd_try.items() if source == "tcmb"} == {
        date(2026, 11, 19),
        date(2026, 11, 20),
        date(2026, 11, 23),
    }

    again = ensure_fx_history(factory, service, ["USDTRY"], date(2016, 11, 25), TODAY)

    assert again.items == [] and ecb.call_count == 1 and tcmb.call_count == 5


def test_a_trade_older_than_the_stored_rates_fetches_only_the_older_part(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    [asset] = add_user_assets(engine, {"type": "stock", "ticker_symbol": "AAPL", "currency": "USD"})
    with Session(engine) as db:
        storage.store_rates(
            db, [storage.Rate("USD", "TRY", date(2026, 11, 24), Decimal(42), "tcmb")]
        )
        db.commit()
    ecb, tcmb = mock_fx_history(feed_mock)

    backfill_fx_for_trade(factory, service, asset, date(2026, 11, 18))

    assert ecb.call_count == 1
    # The range ends within a week of today, so TCMB's bulletins of its last days too.
    assert sorted(str(c.request.url).rsplit("/", 1)[1] for c in tcmb.calls) == [
        "17112026.xml",
        "18112026.xml",
        "19112026.xml",
        "20112026.xml",
        "23112026.xml",
    ]
    rates = stored_rates(engine)
    assert {day for (_, _, day) in rates} == {
        date(2026, 11, 17),
        date(2026, 11, 19),
        date(2026, 11, 20),
        date(2026, 11, 23),
        date(2026, 11, 24),
    }
    assert rates[("USD", "TRY", date(2026, 11, 17))][1] == "ecb"
    assert rates[("USD", "TRY", date(2026, 11, 24))] == (Decimal(42), "tcmb")  # not re-asked

    backfill_fx_for_trade(factory, service, asset, date(2026, 11, 19))  # now covered

    assert ecb.call_count == 1 and tcmb.call_count == 5


def test_a_task_finding_the_pair_being_fetched_leaves_its_range_to_that_task(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    concurrent: list[RefreshReport] = []

    def ecb_answer(_request: httpx.Request) -> httpx.Response:
        if not concurrent:  # another task (an older trade) arrives during the download
            concurrent.append(
                ensure_fx_history(factory, service, ["USDTRY"], date(2026, 11, 3), TODAY)
            )
        return xml_response("ecb_hist_90d.xml")

    ecb = feed_mock.get(url__regex=ECB_HISTORY).mock(side_effect=ecb_answer)
    feed_mock.get(url__regex=TCMB_ARCHIVE).mock(side_effect=tcmb_archive)

    report = ensure_fx_history(factory, service, ["USDTRY"], date(2026, 11, 16), TODAY)

    assert concurrent[0].items == []  # it returned at once, without a request
    # The first task then fetched the older range it was left, before the stored rates.
    assert ecb.call_count == 2
    assert [i.detail for i in report.items if i.symbol == "USDTRY"][-1] == (
        "2026-11-03..2026-11-15"
    )
    assert service.claim_fx("USDTRY", TODAY, TODAY)  # and released the pair


def test_claims_of_a_pair_coalesce(service: PriceService) -> None:
    early, late = date(2026, 1, 1), date(2026, 6, 1)

    assert service.claim_fx("USDTRY", late, TODAY)
    assert not service.claim_fx("USDTRY", early, late)
    assert service.claim_fx("EURTRY", early, late)  # other pairs are free

    assert service.release_fx("USDTRY") == (early, late)
    assert service.release_fx("USDTRY") is None
    assert service.claim_fx("USDTRY", early, late)
    assert service.release_fx("USDTRY", failed=True) is None


def test_a_currency_the_ecb_does_not_know_is_asked_for_once(
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    ecb, _tcmb = mock_fx_history(feed_mock)

    first = ensure_fx_history(factory, service, ["GBPUSD"], date(2026, 1, 1), TODAY)
    second = ensure_fx_history(factory, service, ["GBPUSD"], date(2026, 1, 1), TODAY)

    assert [(i.ok, i.detail.split(":")[0]) for i in first.items] == [(False, "unknown symbol")]
    assert second.items == [] and ecb.call_count == 1


def test_a_failing_fx_feed_is_reported_and_asked_again_next_time(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    ecb = feed_mock.get(url__regex=ECB_HISTORY).mock(return_value=httpx.Response(503))

    report = ensure_fx_history(factory, service, ["EURUSD"], date(2026, 1, 1), TODAY)
    ensure_fx_history(factory, service, ["EURUSD"], date(2026, 1, 1), TODAY)

    assert [i.ok for i in report.items] == [False]
    assert ecb.call_count >= 2  # an outage is not remembered as "nothing there"
    assert stored_rates(engine) == {}


def test_a_new_asset_gets_its_history_then_its_rates(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    [asset] = add_user_assets(engine, {"type": "stock", "ticker_symbol": "AAPL", "currency": "USD"})
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=json_response("yahoo_aapl_history.json"))
    ecb, _tcmb = mock_fx_history(feed_mock)

    backfill_new_asset(factory, service, asset)

    assert stored_closes(engine) == {("yahoo", "AAPL")}
    assert ecb.call_count == 1
    assert {(b, q) for (b, q, _) in stored_rates(engine)} == {("USD", "TRY")}


def test_the_new_asset_task_never_raises(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [asset] = add_user_assets(engine, {"type": "metal", "unit": "gram"})

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database gone")

    monkeypatch.setattr("portfolio_tracker.prices.refresh.fx_pairs_for_asset", broken)
    feed_mock.get(f"{CHART}/GC=F").mock(return_value=httpx.Response(500))
    feed_mock.get(f"{STOOQ}/q/d/l/").mock(return_value=text_response("stooq_limit.txt"))

    backfill_new_asset(factory, service, asset)
    backfill_fx_for_trade(factory, service, asset, TODAY)


# -- an explicit feed choice -------------------------------------------------------------


def test_an_explicit_feed_is_kept_apart_from_auto() -> None:
    assert feed_symbol_of("stock", "aapl", "stooq") == FeedSymbol(PriceKind.stock, "AAPL", "stooq")
    assert feed_symbol_of("stock", "AAPL", "yahoo") == FeedSymbol(PriceKind.stock, "AAPL", "yahoo")
    assert feed_symbol_of("stock", "AAPL", "auto") == FeedSymbol(PriceKind.stock, "AAPL")
    assert feed_symbol_of("fund", "YAC", "tefas") == FeedSymbol(PriceKind.fund, "YAC")


def test_refresh_asks_only_the_feed_an_asset_names(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    add_user_assets(
        engine,
        {"type": "stock", "ticker_symbol": "AAPL", "price_source": "stooq"},
        {"type": "stock", "ticker_symbol": "THYAO.IS", "price_source": "yahoo"},
    )
    yahoo_aapl = feed_mock.get(f"{CHART}/AAPL").mock(
        return_value=json_response("yahoo_aapl_history.json")
    )
    stooq = feed_mock.get(f"{STOOQ}/q/l/").mock(return_value=text_response("stooq_aapl_latest.csv"))
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=json_response("yahoo_thyao_5d.json"))
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(return_value=xml_response("tcmb_today.xml"))
    feed_mock.get(f"{ECB}/stats/eurofxref/eurofxref-daily.xml").mock(
        return_value=xml_response("ecb_daily.xml")
    )

    report = refresh_latest(factory, service)

    assert all(item.ok for item in report.items)
    assert not yahoo_aapl.called and stooq.call_count == 1
    assert stored_closes(engine) == {("stooq", "AAPL"), ("yahoo", "THYAO.IS")}
    # The quote cache keeps answering the usual chain; a single-feed quote stays out of it.
    assert service.cache.get("stock:AAPL") is None


def test_an_explicit_yahoo_asset_is_not_fetched_from_stooq_when_yahoo_is_down(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    add_user_assets(engine, {"type": "stock", "ticker_symbol": "AAPL", "price_source": "yahoo"})
    feed_mock.get(f"{CHART}/AAPL").mock(return_value=httpx.Response(503))
    stooq = feed_mock.get(url__startswith=STOOQ).mock(
        return_value=text_response("stooq_aapl_daily.csv")
    )

    with Session(engine) as db:
        targets = symbols_in_use(db)
    report = backfill(factory, service, targets, years=1)

    assert [(i.symbol, i.ok) for i in report.items] == [("AAPL", False)]
    assert not stooq.called and stored_closes(engine) == set()


def test_backfill_of_a_stooq_asset_stores_stooq_rows_without_asking_yahoo(
    engine: Engine,
    factory: sessionmaker[Session],
    service: PriceService,
    feed_mock: respx.MockRouter,
) -> None:
    add_user_assets(
        engine,
        {"type": "stock", "ticker_symbol": "AAPL", "price_source": "stooq"},
        {"type": "stock", "ticker_symbol": "AAPL"},
    )
    yahoo = feed_mock.get(f"{CHART}/AAPL").mock(
        return_value=json_response("yahoo_aapl_history.json")
    )
    stooq = feed_mock.get(f"{STOOQ}/q/d/l/").mock(
        return_value=text_response("stooq_aapl_daily.csv")
    )

    with Session(engine) as db:
        targets = symbols_in_use(db)
    report = backfill(factory, service, targets, years=1)

    assert targets == [
        FeedSymbol(PriceKind.stock, "AAPL"),
        FeedSymbol(PriceKind.stock, "AAPL", "stooq"),
    ]
    assert all(item.ok for item in report.items)
    assert yahoo.call_count == 1 and stooq.call_count == 1  # auto: Yahoo answered
    assert stored_closes(engine) == {("yahoo", "AAPL"), ("stooq", "AAPL")}


# -- a Redis quote cache that cannot be reached ------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_refresh_with_redis_down_still_fetches_and_stores(
    engine: Engine,
    factory: sessionmaker[Session],
    feeds: PriceFeeds,
    feed_mock: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = redis.Redis.from_url(
        f"redis://127.0.0.1:{closed_port()}/0", socket_timeout=1, socket_connect_timeout=1
    )
    service = PriceService(feeds, RedisQuoteCache(client, 300), 300, today=lambda: TODAY)
    add_user_assets(engine, {"type": "stock", "ticker_symbol": "THYAO.IS"})
    feed_mock.get(f"{CHART}/THYAO.IS").mock(return_value=json_response("yahoo_thyao_5d.json"))
    feed_mock.get(f"{TCMB}/kurlar/today.xml").mock(return_value=xml_response("tcmb_today.xml"))
    feed_mock.get(f"{ECB}/stats/eurofxref/eurofxref-daily.xml").mock(
        return_value=xml_response("ecb_daily.xml")
    )

    report = refresh_latest(factory, service)

    assert report.failed == 0 and report.succeeded == 4
    assert stored_closes(engine) == {("yahoo", "THYAO.IS")}
    assert "redis: quote cache" in caplog.text
    service.cache.close()  # type: ignore[attr-defined]
