"""The web app: server-rendered pages (Jinja2 + htmx) over the same services as the API.

`install_web(app)` serves the static files, adds the page routes and makes errors on pages
answer HTML. Layout: page.py (what a handler gets), pages/ (one module per area), templates/,
static/ (our CSS and JS; vendor/ is built by `make install`), i18n/ (catalogues).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from portfolio_tracker.web.errors import install_page_errors
from portfolio_tracker.web.pages import (
    account,
    alerts,
    asset_page,
    assets,
    auth,
    dashboard,
    imports,
    notifications,
    reports,
    settings,
    transactions,
    unsubscribe,
)
from portfolio_tracker.web.templating import STATIC_DIR, STATIC_PREFIX


def install_web(app: FastAPI) -> None:
    """Call after the API routers and error handlers are installed."""
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        auth,
        dashboard,
        settings,
        account,
        assets,
        asset_page,
        transactions,
        imports,
        alerts,
        notifications,
        unsubscribe,
        reports,
    ):
        app.include_router(module.router)
    install_page_errors(app)
