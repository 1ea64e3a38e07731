"""Fixtures of the page tests.

Browser tests run the real app under uvicorn on a free loopback port, with a fresh SQLite
database and no background price downloads, and drive Debian's Chromium (/usr/bin/chromium)
through Playwright; no browser is ever downloaded. Without Chromium they are skipped with the
reason, except under CI=true, where they fail. Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.session import build_engine
from support import make_settings, serve_in_thread, unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
# Chromium as root in a sandbox-less container, and quiet: no calls home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass(frozen=True)
class LiveApp:
    url: str
    engine: Engine


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    path = tmp_path_factory.mktemp("live") / "live.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    settings = make_settings(engine, auth_ip_rate_limit="10000/minute")
    with serve_in_thread(create_app(settings, engine)) as url:
        yield LiveApp(url, engine)
    engine.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Browser, live_app: LiveApp) -> Iterator[Callable[..., Page]]:
    """Opens a page in a fresh browser context (its own cookies). Console errors, uncaught
    script errors and Content-Security-Policy violations fail the test."""
    contexts, problems = [], []

    def open_page(locale: str = "en-US", width: int = 1280, height: int = 900) -> Page:
        context = chromium.new_context(
            base_url=live_app.url, locale=locale, viewport={"width": width, "height": height}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)

        def on_console(message: Any) -> None:
            # A page answering 4xx (a form with errors, a refused post) is logged by Chromium
            # as a failed load; failed loads are checked by on_response instead.
            if message.type == "error" and not message.text.startswith("Failed to load"):
                problems.append(f"console: {message.text}")

        def on_response(response: Any) -> None:
            if response.status >= 500 or (
                response.status >= 400 and response.request.resource_type != "document"
            ):
                problems.append(f"{response.status} {response.request.method} {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
