"""create_app(settings): the one place that wires routers, middleware and errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import Engine

from portfolio_tracker.accounts.account_routes import router as account_router
from portfolio_tracker.accounts.routes import router as accounts_router
from portfolio_tracker.accounts.security import AuthLimits, AuthThrottle
from portfolio_tracker.alerts.routes import router as alerts_router
from portfolio_tracker.api.body_limit import BodySizeLimit
from portfolio_tracker.api.db_gate import DatabaseGate
from portfolio_tracker.api.deps import Core
from portfolio_tracker.api.errors import install_error_handlers
from portfolio_tracker.api.health import DatabaseProbe
from portfolio_tracker.api.health import router as health_router
from portfolio_tracker.api.observability import RequestObservability
from portfolio_tracker.api.observability import router as metrics_router
from portfolio_tracker.api.security_headers import SecurityHeaders
from portfolio_tracker.assets.routes import router as assets_router
from portfolio_tracker.corporate_actions.routes import router as corporate_actions_router
from portfolio_tracker.db.session import build_session_factory, connect_breaker, engine_for
from portfolio_tracker.error_reporting import init_error_reporting
from portfolio_tracker.indices.routes import router as indices_router
from portfolio_tracker.jobs.scheduler import start_in_app_scheduler
from portfolio_tracker.manual_prices.routes import router as manual_prices_router
from portfolio_tracker.manual_rates.routes import router as manual_rates_router
from portfolio_tracker.notifications.routes import router as notifications_router
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.routes import router as portfolio_router
from portfolio_tracker.portfolio.warmup import warm_up
from portfolio_tracker.prices.deps import PriceStack
from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.prices.providers.registry import PriceFeeds, build_price_feeds
from portfolio_tracker.prices.providers.resilience import new_http_client
from portfolio_tracker.prices.quote_cache import build_quote_cache, close_quote_cache
from portfolio_tracker.prices.rate_limit import PriceThrottle
from portfolio_tracker.prices.routes import router as prices_router
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.redis_guard import RedisGuard
from portfolio_tracker.reports.routes import router as reports_router
from portfolio_tracker.settings import Settings, get_settings
from portfolio_tracker.state.views import WriteBack
from portfolio_tracker.transactions.routes import router as transactions_router
from portfolio_tracker.transfer.routes import router as transfer_router
from portfolio_tracker.usersettings.routes import router as settings_router
from portfolio_tracker.web import install_web
from portfolio_tracker.web.headers import content_security_policy

logger = logging.getLogger(__name__)

# Routes that take uploads (and so MAX_UPLOAD_BYTES instead of MAX_BODY_BYTES): path prefixes.
UPLOAD_PATHS = ("/api/import", "/import")
WARM_UP_SECONDS = 2

API_DESCRIPTION = """Self-hosted portfolio tracker: assets, buys and sells lot by lot (FIFO).

Authenticate with the session cookie set by sign-in, or `Authorization: Bearer <token>`.
Decimal values are JSON strings in responses; requests accept strings or numbers.
"""


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    *,
    feed_settings: FeedSettings | None = None,
    feeds: PriceFeeds | None = None,
) -> FastAPI:
    """``feed_settings``/``feeds`` let tests point the price feeds elsewhere; injected
    feeds belong to the caller (their http client is not closed at shutdown)."""
    settings = settings or get_settings()
    init_error_reporting(settings.sentry_dsn, "portfolio-tracker@0.1.0")
    engine = engine or engine_for(settings)
    feed_settings = feed_settings or FeedSettings()
    owned_http = None
    background_feeds = feeds
    if feeds is None:
        owned_http = new_http_client(
            feed_settings.feed_timeout_seconds, feed_settings.feed_user_agent
        )
        feeds = build_price_feeds(feed_settings, http=owned_http)
        # One attempt, no backoff: the backfill after an asset is created is opportunistic.
        quick = feed_settings.model_copy(update={"feed_retry_attempts": 1})
        background_feeds = build_price_feeds(quick, http=owned_http)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if settings.run_jobs_in_app:
            scheduler = start_in_app_scheduler(app.state.core, app.state.prices.service)
        # Before serving: the portfolio code path's first-use costs (portfolio.warmup). At
        # most WARM_UP_SECONDS, so that a database slow to answer never holds the start.
        warming = asyncio.to_thread(
            warm_up, app.state.core.session_factory, app.state.portfolio_cache
        )
        warmed = False
        with contextlib.suppress(TimeoutError):
            warmed = await asyncio.wait_for(asyncio.shield(warming), timeout=WARM_UP_SECONDS)
        if warmed:  # not against a database that is down or slow: start serving instead
            await _warm_request_path(app)
        yield
        if scheduler is not None:
            scheduler.stop()
        app.state.database_probe.close()
        if owned_http is not None:
            owned_http.close()
        _close_connections(app)

    # One breaker for every Redis use: after a failure none of them waits on Redis again
    # until the cool-down is over.
    redis_guard = RedisGuard(settings.redis_timeout_seconds, settings.redis_cooldown_seconds)
    quote_cache = build_quote_cache(
        settings.redis_url, feed_settings.quote_ttl_seconds, redis_guard
    )
    # /docs and /redoc served from the package's own copy of Swagger UI and ReDoc: no CDN.
    app = FastAPIOffline(
        title="Portfolio Tracker", version="0.1.0", description=API_DESCRIPTION, lifespan=lifespan
    )
    # The runtime objects, each read back by its slice's dependency (api.deps.from_state).
    app.state.core = Core(
        settings=settings, engine=engine, session_factory=build_session_factory(engine)
    )
    app.state.database_probe = DatabaseProbe(engine, settings.db_connect_timeout_seconds + 1)
    app.state.auth_throttle = AuthThrottle(
        AuthLimits(
            pair=settings.auth_rate_limit,
            email=settings.auth_email_rate_limit,
            ip=settings.auth_ip_rate_limit,
            signup=settings.auth_signup_rate_limit,
        ),
        settings.redis_url,
        settings.rate_limit_key_prefix,
        redis_guard,
    )
    app.state.prices = PriceStack(
        feeds=feeds,
        quote_cache=quote_cache,
        throttle=PriceThrottle(
            settings.price_rate_limit,
            settings.redis_url,
            settings.rate_limit_key_prefix,
            redis_guard,
        ),
        service=PriceService(
            feeds, quote_cache, feed_settings.quote_ttl_seconds, background_feeds=background_feeds
        ),
    )
    app.state.portfolio_cache = PortfolioCache.from_redis_url(settings.redis_url, redis_guard)
    app.state.portfolio_cache.writer = WriteBack(engine)
    install_error_handlers(app)
    # Middleware, innermost first (each one added wraps those added before it).
    # An oversized body is refused before anything reads it.
    app.add_middleware(
        BodySizeLimit,
        default_limit=settings.max_body_bytes,
        larger_limits=dict.fromkeys(UPLOAD_PATHS, settings.max_upload_bytes),
    )
    # While the database refuses connections, API requests answer 503 here, on the event
    # loop, without taking a worker thread.
    app.add_middleware(
        DatabaseGate, breaker=connect_breaker(engine), trial=lambda: engine.connect().close()
    )
    app.add_middleware(SecurityHeaders, csp_of=content_security_policy)
    # Outermost (after the body limit): every answer, a 413 too, carries its request id.
    app.add_middleware(RequestObservability)
    for router in (
        health_router,
        metrics_router,
        accounts_router,
        assets_router,
        corporate_actions_router,
        transactions_router,
        prices_router,
    ):
        app.include_router(router)
    for router in (
        manual_prices_router,
        manual_rates_router,
        settings_router,
        portfolio_router,
        transfer_router,
        account_router,
        indices_router,
        reports_router,
        alerts_router,
        notifications_router,
    ):
        app.include_router(router)
    install_web(app)  # pages, static files, HTML error pages (after the API's handlers)
    return app


async def _warm_request_path(app: FastAPI) -> None:
    """One signed-out API request through the whole stack before serving (middleware,
    routing, the session lookup, the error handlers: their first-use costs), answered 401.
    Never raises."""
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://warm-up") as client:
            await asyncio.wait_for(
                client.get(
                    "/api/portfolio",
                    headers={"Authorization": "Bearer warm-up", "X-Request-ID": "warm-up"},
                ),
                timeout=WARM_UP_SECONDS,
            )
    except Exception:  # a warm-up only
        logger.warning("request path warm-up failed", exc_info=True)


def _close_connections(app: FastAPI) -> None:
    """Shutdown: close the Redis clients of the caches and rate limits (no-ops in memory).
    A failure is logged and never stops the others from closing."""
    state = app.state
    closers: tuple[tuple[str, Callable[[], None]], ...] = (
        ("quote cache", lambda: close_quote_cache(state.prices.quote_cache)),
        ("price throttle", state.prices.throttle.close),
        ("auth throttle", state.auth_throttle.close),
        ("portfolio cache", state.portfolio_cache.close),
    )
    for name, close in closers:
        try:
            close()
        except Exception:
            logger.exception("shutdown: closing the %s failed", name)
