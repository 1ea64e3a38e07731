from __future__ import annotations

import pytest
from pydantic import ValidationError

from portfolio_tracker.prices.feed_settings import FeedSettings

BASE_URLS = {
    "TEFAS_BASE_URL": "https://www.tefas.gov.tr",
    "YAHOO_BASE_URL": "https://query2.finance.yahoo.com",
    "STOOQ_BASE_URL": "https://stooq.com",
    "COINGECKO_BASE_URL": "https://api.coingecko.com/api/v3",
    "TCMB_BASE_URL": "https://www.tcmb.gov.tr",
    "ECB_BASE_URL": "https://www.ecb.europa.eu",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in FeedSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_point_at_the_real_public_hosts() -> None:
    settings = FeedSettings(_env_file=None)  # type: ignore[call-arg]

    for variable, url in BASE_URLS.items():
        assert getattr(settings, variable.lower()) == url
    assert settings.coingecko_api_key is None
    assert settings.quote_ttl_seconds > 0


def test_flat_environment_names_without_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEFAS_BASE_URL", "http://127.0.0.1:8099/")
    monkeypatch.setenv("COINGECKO_API_KEY", "CG-abc")
    monkeypatch.setenv("FEED_TIMEOUT_SECONDS", "3.5")
    monkeypatch.setenv("FEED_RETRY_ATTEMPTS", "5")
    monkeypatch.setenv("FEED_MAX_CONCURRENCY", "1")
    monkeypatch.setenv("FEED_BREAKER_FAILURES", "2")
    monkeypatch.setenv("FEED_BREAKER_COOLDOWN_SECONDS", "15")
    monkeypatch.setenv("QUOTE_TTL_SECONDS", "30")

    settings = FeedSettings(_env_file=None)  # type: ignore[call-arg]

    assert settings.tefas_base_url == "http://127.0.0.1:8099"  # trailing slash dropped
    assert settings.coingecko_api_key is not None
    assert settings.coingecko_api_key.get_secret_value() == "CG-abc"
    assert "CG-abc" not in repr(settings)
    assert (
        settings.feed_timeout_seconds,
        settings.feed_retry_attempts,
        settings.feed_max_concurrency,
        settings.feed_breaker_failures,
        settings.feed_breaker_cooldown_seconds,
        settings.quote_ttl_seconds,
    ) == (3.5, 5, 1, 2, 15.0, 30)


def test_every_setting_is_described_for_the_readme() -> None:
    for name, field in FeedSettings.model_fields.items():
        assert field.description, name


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("YAHOO_BASE_URL", "ftp://example.org"),
        ("FEED_TIMEOUT_SECONDS", "0"),
        ("FEED_RETRY_ATTEMPTS", "0"),
        ("FEED_MAX_CONCURRENCY", "-1"),
    ],
)
def test_invalid_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError):
        FeedSettings(_env_file=None)  # type: ignore[call-arg]


def test_each_asset_kind_has_its_provider(feeds) -> None:
    assert feeds.for_kind("fund") is feeds.fund
    assert feeds.for_kind("stock") is feeds.stock
    assert feeds.for_kind("metal") is feeds.metal
    assert feeds.for_kind("crypto") is feeds.crypto
    assert feeds.for_kind("fx") is feeds.fx
    with pytest.raises(KeyError):
        feeds.for_kind("real-estate")
