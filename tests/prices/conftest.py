"""Fixtures of every price test: the feeds replayed by respx (tests/replayed_feeds.py) and
the real app on the test database. tests/prices/feeds/ overrides `settings` and `feeds` to
drive the providers alone, on a fake clock."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from portfolio_tracker.settings import Settings
from replayed_feeds import (  # noqa: F401 - fixtures used by the tests of this folder
    app,
    app_settings,
    feed_mock,
    feed_settings,
    feeds,
    http,
    no_backoff_sleep,
    replay_feed_settings,
    settings_factory,
)


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return app_settings(engine)
