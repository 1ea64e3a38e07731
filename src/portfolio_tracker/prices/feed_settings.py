"""Settings of the price feeds, read once from the environment (or `.env`).

Flat names without a prefix, as the README documents them. Defaults point at the real
public hosts so a laptop install works without configuration; tests point every base URL
at a fake host that respx answers.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Yahoo and TEFAS turn away obvious scripts; a plain desktop browser string is what the
# maintained clients (borsapy, yfinance before curl_cffi) send.
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


class FeedSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    tefas_base_url: str = Field(
        "https://www.tefas.gov.tr",
        description="TEFAS site root; the fund price API is POST <root>/api/funds/...",
    )
    yahoo_base_url: str = Field(
        "https://query2.finance.yahoo.com",
        description="Yahoo Finance host serving /v8/finance/chart/<symbol> (stocks, metals).",
    )
    stooq_base_url: str = Field(
        "https://stooq.com",
        description="Stooq host (CSV); fallback for stocks and metals when Yahoo fails.",
    )
    stooq_api_key: SecretStr | None = Field(
        None,
        description="Stooq API key, sent as the `apikey` query parameter (parameter name "
        "unverified). Without it Stooq may answer an HTML page, which is rejected.",
    )
    coingecko_base_url: str = Field(
        "https://api.coingecko.com/api/v3",
        description="CoinGecko API v3 root; use https://pro-api.coingecko.com/api/v3 "
        "with a Pro key.",
    )
    coingecko_api_key: SecretStr | None = Field(
        None,
        description="Optional CoinGecko key, sent as header x-cg-demo-api-key (or "
        "x-cg-pro-api-key when the base URL is the pro host). Never logged.",
    )
    tcmb_base_url: str = Field(
        "https://www.tcmb.gov.tr",
        description="Central Bank of Türkiye host serving /kurlar/today.xml and the "
        "daily archive /kurlar/YYYYMM/DDMMYYYY.xml.",
    )
    tcmb_max_history_days: int = Field(
        400,
        gt=0,
        description="Longest range fetched from the TCMB archive (one request per "
        "weekday); older ranges are cut and ECB cross rates should be used instead.",
    )
    ecb_base_url: str = Field(
        "https://www.ecb.europa.eu",
        description="ECB host serving /stats/eurofxref/eurofxref-daily.xml, -hist-90d.xml "
        "and -hist.xml (euro reference rates; also used for cross rates).",
    )
    feed_user_agent: str = Field(
        DEFAULT_USER_AGENT, description="User-Agent header sent to every price feed."
    )
    feed_timeout_seconds: float = Field(
        10.0, gt=0, description="Timeout of one HTTP request to a feed (connect and read)."
    )
    feed_retry_attempts: int = Field(
        3,
        ge=1,
        description="Attempts per feed call, counting the first; retried on timeouts, "
        "network errors, 429 and 5xx with exponential backoff.",
    )
    feed_retry_max_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="Longest single wait between attempts. A 429 whose Retry-After asks "
        "for more gives up at once (the feed is reported unavailable).",
    )
    feed_max_concurrency: int = Field(
        4, ge=1, description="Concurrent requests allowed per source (per process)."
    )
    feed_breaker_failures: int = Field(
        5,
        ge=1,
        description="Consecutive failed calls after which a source's circuit breaker opens.",
    )
    feed_breaker_cooldown_seconds: float = Field(
        60.0,
        gt=0,
        description="How long an open breaker refuses calls before letting one trial "
        "call through (half-open).",
    )
    quote_ttl_seconds: int = Field(
        300, ge=1, description="How long a latest quote is served from the quote cache."
    )

    @field_validator(
        "tefas_base_url",
        "yahoo_base_url",
        "stooq_base_url",
        "coingecko_base_url",
        "tcmb_base_url",
        "ecb_base_url",
    )
    @classmethod
    def _http_url_without_trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")
