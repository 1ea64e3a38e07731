"""Wires the providers from settings: one FeedClient (breaker, concurrency) per source.

The price service builds this once per process and picks the provider by asset kind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.base import PriceProvider
from portfolio_tracker.prices.providers.coingecko import CoinGeckoProvider
from portfolio_tracker.prices.providers.ecb import EcbProvider
from portfolio_tracker.prices.providers.fallback import FallbackProvider
from portfolio_tracker.prices.providers.metals import STOOQ_SPOT, YAHOO_FUTURES, MetalsProvider
from portfolio_tracker.prices.providers.resilience import (
    CircuitBreaker,
    Clock,
    FeedClient,
    RetryPolicy,
    new_http_client,
    redact_in_logs,
)
from portfolio_tracker.prices.providers.stooq import StooqProvider
from portfolio_tracker.prices.providers.tcmb import TcmbProvider
from portfolio_tracker.prices.providers.tefas import TefasProvider
from portfolio_tracker.prices.providers.yahoo import YahooChartProvider


@dataclass(frozen=True, slots=True)
class PriceFeeds:
    """One provider per kind of price. ``fx`` tries TCMB first (the Turkish reference for
    TRY pairs), then ECB; ``fx_history`` is ECB only, which covers decades in one file."""

    fund: PriceProvider
    stock: PriceProvider
    metal: PriceProvider
    crypto: PriceProvider
    fx: PriceProvider
    fx_history: PriceProvider
    tcmb: TcmbProvider
    ecb: EcbProvider
    clients: dict[str, FeedClient]
    # Each single source by its stored name (``yahoo``, ``stooq``, ``tcmb``, ``ecb``, …), for
    # an asset or a backfill that names one feed instead of the kind's fallback chain.
    by_source: dict[str, PriceProvider] = field(default_factory=dict)

    def for_kind(self, kind: str) -> PriceProvider:
        """The provider for an asset type (``fund``, ``stock``, ``metal``, ``crypto``) or
        ``fx``; KeyError for a kind no feed covers (manual prices)."""
        providers: dict[str, PriceProvider] = {
            "fund": self.fund,
            "stock": self.stock,
            "metal": self.metal,
            "crypto": self.crypto,
            "fx": self.fx,
        }
        return providers[kind]

    def select(
        self, kind: str, source: str | None = None, *, history: bool = False
    ) -> PriceProvider:
        """``source`` None: the kind's provider (FX history: ECB). Otherwise that one
        source alone (``stooq`` → Stooq only, never Yahoo first); KeyError if unknown."""
        if source is None:
            return self.fx_history if kind == "fx" and history else self.for_kind(kind)
        singles: dict[str, PriceProvider] = {"tcmb": self.tcmb, "ecb": self.ecb, **self.by_source}
        return singles[source]


def feed_client(
    source: str, settings: FeedSettings, http: httpx.Client, clock: Clock
) -> FeedClient:
    breaker = CircuitBreaker(
        source, settings.feed_breaker_failures, settings.feed_breaker_cooldown_seconds, clock=clock
    )
    retry = RetryPolicy(
        attempts=settings.feed_retry_attempts, max_wait=settings.feed_retry_max_wait_seconds
    )
    return FeedClient(
        source,
        http,
        breaker=breaker,
        max_concurrency=settings.feed_max_concurrency,
        retry=retry,
        timeout_seconds=settings.feed_timeout_seconds,
        user_agent=settings.feed_user_agent,
    )


def build_price_feeds(
    settings: FeedSettings, *, http: httpx.Client | None = None, clock: Clock | None = None
) -> PriceFeeds:
    """All providers over one shared httpx client (pass ``http`` to control its lifetime)."""
    client = http or new_http_client(settings.feed_timeout_seconds, settings.feed_user_agent)
    tick = clock or time.monotonic
    clients = {
        name: feed_client(name, settings, client, tick)
        for name in ("tefas", "yahoo", "stooq", "coingecko", "tcmb", "ecb")
    }
    stooq_key = settings.stooq_api_key.get_secret_value() if settings.stooq_api_key else None
    coingecko_key = (
        settings.coingecko_api_key.get_secret_value() if settings.coingecko_api_key else None
    )
    for secret in (stooq_key, coingecko_key):
        if secret:
            redact_in_logs(secret)
    yahoo = YahooChartProvider(clients["yahoo"], settings.yahoo_base_url)
    stooq = StooqProvider(clients["stooq"], settings.stooq_base_url, api_key=stooq_key)
    tcmb = TcmbProvider(
        clients["tcmb"], settings.tcmb_base_url, max_history_days=settings.tcmb_max_history_days
    )
    ecb = EcbProvider(clients["ecb"], settings.ecb_base_url)
    return PriceFeeds(
        fund=TefasProvider(clients["tefas"], settings.tefas_base_url),
        stock=FallbackProvider("stocks", [yahoo, stooq]),
        metal=FallbackProvider(
            "metals", [MetalsProvider(yahoo, YAHOO_FUTURES), MetalsProvider(stooq, STOOQ_SPOT)]
        ),
        crypto=CoinGeckoProvider(
            clients["coingecko"], settings.coingecko_base_url, api_key=coingecko_key
        ),
        fx=FallbackProvider("fx", [tcmb, ecb]),
        fx_history=ecb,
        tcmb=tcmb,
        ecb=ecb,
        clients=clients,
        by_source={"yahoo": yahoo, "stooq": stooq},
    )
