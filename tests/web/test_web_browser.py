"""In a real browser (Debian's Chromium through Playwright) against the app under uvicorn:
sign up, the empty dashboard, a gold asset in grams and a TEFAS fund with buys and a sell, the
dashboard's totals, Turkish formatting after switching the language, signing out; and a form
posted from another origin refused. Screenshots are saved in test-artifacts/."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from page_forms import en_money, tr_money
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from portfolio_tracker.prices.storage import Close, store_closes
from support import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from conftest import LiveApp

TODAY = datetime.now(ZoneInfo("Europe/Istanbul")).date()


def api(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A same-origin fetch from the signed-in page (its cookie, its Origin), as our scripts do."""
    answer = page.evaluate(
        """async ([method, path, body]) => {
            const response = await fetch(path, {
                method, headers: {"Content-Type": "application/json"},
                body: body === null ? undefined : JSON.stringify(body)});
            return {status: response.status, body: await response.text()};
        }""",
        [method, path, body],
    )
    assert answer["status"] in (200, 201), answer
    import json

    return json.loads(answer["body"])


def sign_up(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")


def test_sign_up_build_a_portfolio_read_the_dashboard_in_two_languages_and_sign_out(
    new_page: Callable[..., Page], screenshot: Callable[[Page, str], Path], live_app: LiveApp
) -> None:
    page = new_page(locale="en-US")
    page.goto("/")
    assert page.get_by_role("heading", name="Sign in").is_visible()

    # A wrong password gets a clear message on the form.
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    assert page.locator("#password-errors").inner_text() == "Use at least 8 characters."

    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Your portfolio is empty").is_visible()
    screenshot(page, "dashboard-empty")

    gold = api(page, "POST", "/api/assets", {"name": "Gram gold", "type": "metal", "unit": "gram"})
    fund = api(
        page, "POST", "/api/assets", {"name": "AFT fund", "type": "fund", "ticker_symbol": "AFT"}
    )
    trades = [  # (asset, type, quantity, price, date)
        (gold, "buy", "10", "2500", "2026-01-05"),
        (gold, "buy", "5", "2600", "2026-02-02"),
        (gold, "sell", "4", "2800", "2026-03-02"),
        (fund, "buy", "1000", "1.5", "2026-01-06"),
    ]
    for asset, kind, quantity, price, day in trades:
        api(
            page,
            "POST",
            "/api/transactions",
            {
                "asset_id": asset["id"],
                "type": kind,
                "quantity": quantity,
                "price_per_unit": price,
                "transaction_date": day,
            },
        )
    gold_price, fund_price = Decimal("3000"), Decimal("1.8")
    api(
        page,
        "POST",
        "/api/prices/manual",
        {"asset_id": gold["id"], "date": str(TODAY - timedelta(days=1)), "price": str(gold_price)},
    )
    # The fund's price as the TEFAS feed stores it (no network in tests): a close 10 days old.
    with Session(live_app.engine) as db:
        store_closes(db, [Close("tefas", "AFT", TODAY - timedelta(days=10), fund_price, "TRY")])
        db.commit()

    # FIFO: the sell takes 4 g of the first lot; 6 g at 2500 and 5 g at 2600 stay open.
    realised = 4 * (Decimal("2800") - Decimal("2500"))
    open_cost = 6 * Decimal("2500") + 5 * Decimal("2600") + 1000 * Decimal("1.5")
    value = 11 * gold_price + 1000 * fund_price
    page.goto("/")
    assert page.get_by_test_id("total-value").inner_text() == en_money(value)
    assert page.get_by_test_id("unrealized-pnl").inner_text() == en_money(value - open_cost, True)
    assert page.get_by_test_id("realized-pnl").inner_text() == en_money(realised, True)

    rows = page.locator("#holdings tbody tr")
    assert rows.count() == 2
    fund_row = rows.filter(has_text="AFT fund")
    assert fund_row.get_attribute("class") == "is-stale"  # priced 10 days ago
    assert "TEFAS" in fund_row.inner_text().upper()  # the feed the price came from
    assert "MANUAL" in rows.filter(has_text="Gram gold").inner_text().upper()
    assert fund_row.get_by_role("link").get_attribute("href") == f"/assets/{fund['id']}"
    assert rows.filter(has_text="Gram gold").get_attribute("class") is None

    # Sorting by value, both ways.
    value_header = page.locator("#holdings thead th").nth(4).get_by_role("button")
    value_header.click()
    first = rows.first.locator("th a").inner_text()
    value_header.click()
    assert rows.first.locator("th a").inner_text() != first

    # The chart: loaded for the default range, then all of it with a benchmark without data.
    # (Waits use locators: a string evaluated in the page would break our own CSP.)
    summary = page.locator("#history-summary")
    expect(page.locator("#value-chart canvas").first).to_be_visible()
    expect(summary).to_contain_text("time-weighted return")
    page.get_by_role("button", name="All").click()
    expect(page.get_by_role("button", name="All")).to_have_attribute("aria-pressed", "true")
    page.get_by_label("Compare with").select_option("XAU")
    expect(summary).to_contain_text("No data for this benchmark.")
    assert page.locator("#history-table tbody tr").count() > 0
    assert page.locator("#alloc-type-title").is_visible()
    screenshot(page, "dashboard-en")

    # Each holding links to its asset page.
    fund_row.get_by_role("link").click()
    page.wait_for_url(f"**/assets/{fund['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("AFT fund")
    screenshot(page, "asset-page")
    page.goto("/")

    # Usable at 360 px: nothing wider than the screen.
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/")
    wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > 361 && !e.closest('.table-scroll'))
        .map(e => e.tagName + '.' + e.className)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    screenshot(page, "dashboard-360")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Turkish: the settings page, then Turkish words and numbers everywhere.
    page.get_by_role("link", name="Settings").click()
    screenshot(page, "settings")
    page.get_by_label("Language and number format").select_option("tr-TR")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Ayarlar kaydedildi."
    page.get_by_role("link", name="Özet").click()
    assert page.get_by_test_id("total-value").inner_text() == tr_money(value)
    assert page.get_by_test_id("realized-pnl").inner_text() == tr_money(realised, True)
    assert page.locator("html").get_attribute("lang") == "tr"
    assert "05.01.2026" not in page.content()  # dates come from the prices, not trades
    yesterday = TODAY - timedelta(days=1)
    assert f"{yesterday:%d.%m.%Y}" in page.locator("#holdings").inner_text()
    expect(page.locator("#history-summary")).to_contain_text("zaman ağırlıklı getiri")
    screenshot(page, "dashboard-tr")

    page.get_by_role("button", name="Çıkış yap").click()
    page.wait_for_url("**/")
    assert page.get_by_role("heading", name="Sign in").is_visible()  # the browser's language
    page.goto("/settings")
    assert "/signin?next=/settings" in page.url


class _AttackerPage(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        body = (
            "<!doctype html><title>prize</title>"
            f'<form method="post" action="{self.target}/settings">'
            '<input type="hidden" name="base_currency" value="JPY">'
            '<input type="hidden" name="locale" value="de-DE">'
            '<input type="hidden" name="time_zone" value="UTC">'
            '<input type="hidden" name="csrf_token" value="guessed">'
            "<button>Claim</button></form>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def attacker_site(live_app: LiveApp) -> Iterator[str]:
    handler = type("Handler", (_AttackerPage,), {"target": live_app.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # Same site (127.0.0.1), other port: the Lax session cookie travels, the Origin differs.
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_form_posted_from_another_origin_is_refused(
    new_page: Callable[..., Page], attacker_site: str, live_app: LiveApp
) -> None:
    page = new_page(locale="en-US")
    sign_up(page, f"victim-{uuid.uuid4().hex[:8]}@example.com")
    before = api(page, "GET", "/api/settings")
    page.goto(attacker_site)
    with page.expect_response(f"{live_app.url}/settings") as answer:
        page.get_by_role("button", name="Claim").click()
    assert answer.value.status == 403
    page.goto(live_app.url + "/")
    assert api(page, "GET", "/api/settings") == before
