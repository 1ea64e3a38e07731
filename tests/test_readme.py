"""README.md stays honest: it starts with the two commands and names every setting and route."""

from __future__ import annotations

import re
from pathlib import Path

from portfolio_tracker.app import create_app
from portfolio_tracker.prices.feed_settings import FeedSettings
from portfolio_tracker.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_it_starts_with_the_run_and_test_commands() -> None:
    first_block = README.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block


def test_every_setting_is_documented() -> None:
    names = [*Settings.model_fields, *FeedSettings.model_fields]
    missing = [name.upper() for name in names if f"`{name.upper()}`" not in README]
    assert not missing


def test_every_api_route_is_documented() -> None:
    paths = create_app().openapi()["paths"]
    # The README writes every path parameter as {id}.
    documented = [
        re.sub(r"\{[a-z_]+\}", "{id}", path) for path in paths if path.startswith("/api/")
    ]
    missing = [path for path in documented if path not in README]
    assert not missing
