"""Helpers of the page tests: forms through the ASGI app, and amounts as the pages write them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from portfolio_tracker.web.routing import PageRoute
from support import PASSWORD

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_of(html: str) -> str:
    """The form token in a page's HTML (every form of one visitor carries the same one)."""
    found = CSRF_INPUT.search(html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_up_through_page(
    client: TestClient, email: str, language: str = "en-US", password: str = PASSWORD
) -> None:
    """Signs up with the sign-up form, as a browser would (origin, form token, language)."""
    answer = post_form(
        client,
        "/signup",
        {"email": email, "password": password},
        headers={"Accept-Language": language},
    )
    assert answer.status_code == 303, answer.text


def page_routes(routes: Iterable[BaseRoute]) -> Iterator[PageRoute]:
    """Every page route of an app, inside included routers too."""
    for route in routes:
        if isinstance(route, PageRoute):
            yield route
        inner = getattr(route, "original_router", None) or getattr(route, "router", None)
        if inner is not None and hasattr(inner, "routes"):
            yield from page_routes(inner.routes)


def post_form(
    client: TestClient,
    page: str,
    data: dict[str, str],
    *,
    action: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """Opens `page`, then posts its form (to `action`, default the page itself) with the
    page's token and this site as the Origin, as a browser does. Redirects are not followed."""
    token = csrf_token_of(client.get(page, headers=headers).text)
    return client.post(
        action or page.split("?")[0],
        data={"csrf_token": token, **data},
        headers={"Origin": str(client.base_url).rstrip("/"), **(headers or {})},
        follow_redirects=False,
    )


def en_money(value: Decimal, signed: bool = False) -> str:
    """A TRY amount as an en-US page writes it: ₺1,234.56 (+₺ when `signed` and positive)."""
    sign = "+" if signed and value > 0 else "-" if value < 0 else ""
    return f"{sign}₺{abs(value):,.2f}"


def tr_money(value: Decimal, signed: bool = False) -> str:
    """A TRY amount as a tr-TR page writes it: 1.234,56 ₺ (a no-break space before ₺)."""
    sign = "+" if signed and value > 0 else "-" if value < 0 else ""
    digits = f"{abs(value):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{sign}{digits}\xa0₺"
