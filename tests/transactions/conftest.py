"""Fixtures of these API tests.

The shared helpers of tests/conftest.py are reached through pytest's plugin manager, not
`import conftest`: every conftest.py here is a top-level module named `conftest`, so the
import would depend on which one was loaded last.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine

from portfolio_tracker.settings import Settings


@pytest.fixture(scope="session")
def shared(pytestconfig: pytest.Config) -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    module = pytestconfig.pluginmanager.get_plugin(str(path))
    assert isinstance(module, ModuleType), f"{path} is not loaded as a conftest"
    return module


@pytest.fixture
def settings(shared: ModuleType, engine: Engine) -> Settings:
    """The shared test settings, offline: creating an asset never starts a price backfill
    (the tests need no network, and a backfill would hold each creation for seconds)."""
    overrides: dict[str, Any] = {}
    if "price_backfill_on_create" in Settings.model_fields:
        overrides["price_backfill_on_create"] = False
    built: Settings = shared.make_settings(engine, **overrides)
    return built


@pytest.fixture
def count_rows(shared: ModuleType, engine: Engine) -> Callable[[], dict[str, int]]:
    """Row counts of every table, to prove a refused request wrote nothing."""

    def count() -> dict[str, int]:
        counts: dict[str, int] = shared.row_counts(engine)
        return counts

    return count
