"""The price service, storage and commands, with the feeds replayed by respx."""

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
