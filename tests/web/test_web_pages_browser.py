"""The whole product through its pages, in a real browser (Debian's Chromium via Playwright)
against the app under uvicorn: sign up, a gold asset in grams and a TEFAS fund made with the
asset form, buys and a sell with the transaction form (an oversell refused at its field), the
dashboard's totals against hand-computed FIFO figures, a transaction edited and one deleted
through the keyboard-driven dialog, a CSV import refused for one bad row and then a good one,
Turkish formatting, sign out. Screenshots of the dashboard and the asset page go to
test-artifacts/. Prices are manual prices (no feed is reached), so every figure is known."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from page_forms import en_money, tr_money
from playwright.sync_api import expect

from support import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

TODAY = datetime.now(ZoneInfo("Europe/Istanbul")).date()  # a new account's time zone


def api_get(page: Page, path: str) -> Any:
    """A same-origin GET from the signed-in page (its session cookie), as a script would."""
    return page.evaluate(
        "async (path) => (await fetch(path, {headers: {Accept: 'application/json'}})).json()",
        path,
    )


def add_asset(page: Page, name: str, kind: str, **fields: str) -> str:
    """Fills the asset form; returns the new asset's id (from the asset page it leads to)."""
    page.get_by_role("link", name="Assets", exact=True).click()
    page.get_by_role("link", name="Add an asset").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Type").select_option(kind)
    if "ticker" in fields:
        page.get_by_label("Ticker or fund code (optional)").fill(fields["ticker"])
    if kind == "metal":
        page.get_by_label("Counted in").select_option(fields["unit"])
        page.get_by_label("Purity").select_option(fields["purity"])
    else:  # the metal fields are hidden (and not sent) for other types
        expect(page.get_by_label("Counted in")).to_be_hidden()
    page.get_by_role("button", name="Add asset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("status")).to_contain_text("Asset added.")
    return page.url.split("/assets/")[1].split("?")[0]


def fill_trade(page: Page, quantity: str, price: str, day: str) -> None:
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_label("Price per unit").fill(price)
    page.get_by_label("Date").fill(day)


def add_trade(page: Page, asset_id: str, kind: str, quantity: str, price: str, day: str) -> None:
    page.goto(f"/assets/{asset_id}")
    page.get_by_role("link", name=f"Add a {kind}").click()
    expect(page.get_by_label("Buy" if kind == "buy" else "Sell", exact=True)).to_be_checked()
    fill_trade(page, quantity, price, day)
    page.get_by_role("button", name="Add transaction").click()
    expect(page.get_by_role("status")).to_have_text("Transaction added.")


def add_manual_price(page: Page, asset_id: str, day: date, price: str) -> None:
    page.goto(f"/assets/{asset_id}")
    prices = page.locator("#manual-prices")
    prices.get_by_label("Date").fill(day.isoformat())
    prices.get_by_label("Price per unit").fill(price)
    prices.get_by_role("button", name="Save price").click()
    expect(page.get_by_role("status")).to_have_text("Price saved.")


def check_dashboard(page: Page, value: Decimal, unrealised: Decimal, realised: Decimal) -> None:
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_test_id("total-value")).to_have_text(en_money(value))
    expect(page.get_by_test_id("unrealized-pnl")).to_have_text(en_money(unrealised, True))
    expect(page.get_by_test_id("realized-pnl")).to_have_text(en_money(realised, True))


def too_wide(page: Page, width: int) -> list[str]:
    """What makes the page wider than `width`: the elements reaching past it outside the
    scrolling table boxes (empty when the page fits)."""
    if page.evaluate(f"document.documentElement.scrollWidth <= {width}"):
        return []
    found = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > width + 1
                     && !e.closest('.table-scroll'))
        .map(e => e.tagName + '.' + e.className + '#' + e.id)""",
        width,
    )
    return list(found) or ["something inside a scrolling table box"]


def test_a_portfolio_built_edited_and_imported_through_the_pages(
    new_page: Callable[..., Page], screenshot: Callable[[Page, str], Path], tmp_path: Path
) -> None:
    page = new_page(locale="en-US")
    page.goto("/signup")
    page.get_by_label("Email").fill(f"pages-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")

    gold = add_asset(page, "Gram gold", "metal", unit="gram", purity="0.995")
    assert "purity 0.995" in page.locator(".page-head").inner_text()
    fund = add_asset(page, "AFT fund", "fund", ticker="AFT")
    stored = api_get(page, f"/api/assets/{gold}")
    assert (stored["unit"], stored["fineness"]) == ("gram", "0.995")

    add_trade(page, gold, "buy", "10", "2500", "2026-01-05")
    add_trade(page, gold, "buy", "5", "2600", "2026-02-02")
    # Selling more than is held is refused next to the quantity, naming the date and shortfall.
    page.goto(f"/assets/{gold}")
    page.get_by_role("link", name="Add a sell").click()
    fill_trade(page, "20", "2800", "2026-03-02")
    page.get_by_role("button", name="Add transaction").click()
    expect(page.locator("#quantity-errors")).to_have_text(
        "Refused: the sell on 03/02/2026 would exceed what is held then by 5 (held 15, selling 20)."
    )
    expect(page.get_by_label("Quantity")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Quantity").fill("4")
    page.get_by_role("button", name="Add transaction").click()
    expect(page.get_by_role("status")).to_have_text("Transaction added.")
    add_trade(page, fund, "buy", "1000", "1.5", "2026-01-06")

    gold_price, fund_price = Decimal("3000"), Decimal("1.8")
    add_manual_price(page, gold, TODAY - timedelta(days=1), "3000")
    add_manual_price(page, fund, TODAY - timedelta(days=10), "1,8")  # a decimal comma

    # FIFO by hand: the sell takes 4 g of the first lot; 6 g at 2500 and 5 g at 2600 stay.
    realised = 4 * (Decimal(2800) - Decimal(2500))
    gold_cost = 6 * Decimal(2500) + 5 * Decimal(2600)
    value = 11 * gold_price + 1000 * fund_price
    check_dashboard(page, value, value - gold_cost - 1000 * Decimal("1.5"), realised)
    screenshot(page, "pages-dashboard")

    # The asset page: lots, the sell with the lot it consumed, the chart and its table.
    page.get_by_role("link", name="Gram gold").click()
    expect(page.get_by_test_id("asset-quantity")).to_have_text("11")
    lots = page.locator("#lots tbody tr")
    expect(lots).to_have_count(2)
    expect(lots.first).to_contain_text("6")
    expect(page.locator("#sells")).to_contain_text("4 from the buy of 01/05/2026, cost ₺10,000.00")
    expect(page.locator("#price-chart canvas").first).to_be_visible()
    expect(page.locator("#chart-summary")).to_contain_text("Buys are marked in green")
    screenshot(page, "asset-page")

    # A mistaken buy, deleted with the keyboard: Escape cancels, then Delete confirms.
    add_trade(page, gold, "buy", "1", "2700", "2026-03-05")
    delete = page.get_by_role("link", name="Delete: Buy of 1 on 03/05/2026")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Buy of 1 on 03/05/2026 will be deleted.")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Delete")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Transaction deleted.")
    expect(page.locator("#transactions tbody tr")).to_have_count(3)

    # Editing the fund's buy (1.5 -> 1.6) moves the unrealised P&L by 100.
    page.goto(f"/assets/{fund}")
    page.get_by_role("link", name="Edit: Buy of 1,000 on 01/06/2026").click()
    expect(page.get_by_label("Price per unit")).to_have_value("1.5")
    page.get_by_label("Price per unit").fill("1.6")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Transaction saved.")
    fund_cost = 1000 * Decimal("1.6")
    check_dashboard(page, value, value - gold_cost - fund_cost, realised)
    assert len(api_get(page, "/api/transactions")) == 4

    # At 360 px wide nothing is wider than the screen (wide tables scroll inside themselves).
    page.set_viewport_size({"width": 360, "height": 800})
    for path in (f"/assets/{gold}", "/assets", "/transactions/new", "/assets/new", "/import"):
        page.goto(path)
        assert not too_wide(page, 360), (path, too_wide(page, 360))
    screenshot(page, "import-360")
    page.goto(f"/assets/{gold}")
    screenshot(page, "asset-page-360")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Import: one bad row refuses the whole file (nothing imported), a good file goes in.
    header = (
        "asset_name,asset_type,ticker_symbol,currency,unit,fineness,price_source,"
        "type,quantity,price_per_unit,fee,transaction_date,note\n"
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + "Gram gold,metal,,TRY,gram,0.995,auto,buy,2,2650,0,2026-03-10,\n"
        + "AFT fund,fund,AFT,TRY,,,auto,buy,-5,1.7,0,2026-03-11,\n"
    )
    good = tmp_path / "good.csv"
    good.write_text(
        header
        + "Gram gold,metal,,TRY,gram,0.995,auto,buy,2,2650,0,2026-03-10,imported\n"
        + "Silver bar,metal,XAG,TRY,gram,0.999,auto,buy,100,40,0,2026-03-12,\n"
    )
    page.get_by_role("link", name="Import").click()
    page.get_by_label("CSV file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")  # the spreadsheet's row: header is row 1
    expect(errors.first).to_contain_text("quantity")
    expect(page.get_by_role("button", name=re.compile(r"^Import \d"))).to_have_count(0)
    # Importing it anyway is refused as a whole.
    page.get_by_label("CSV file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Import the file").click()
    expect(page.locator(".form-errors")).to_contain_text("Nothing was imported")
    assert len(api_get(page, "/api/transactions")) == 4

    page.get_by_label("CSV file", exact=True).set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-report")).to_contain_text("2 transactions")
    page.get_by_role("button", name="Import 2 transactions").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 2 transactions")
    assert len(api_get(page, "/api/transactions")) == 6
    assert [a["name"] for a in api_get(page, "/api/assets")] == [
        "Gram gold",
        "AFT fund",
        "Silver bar",
    ]
    export = page.get_by_role("link", name="Transactions (CSV)")
    assert export.get_attribute("href") == "/api/export?format=csv"

    # Turkish: numbers, money and dates the Turkish way on the dashboard and the asset page.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Language and number format").select_option("tr-TR")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Özet").click()
    # The imported 2 g of gold; the silver bar, with no feed or manual price, at the price
    # its own trade observed.
    value += 2 * gold_price + 100 * Decimal(40)
    expect(page.get_by_test_id("total-value")).to_have_text(tr_money(value))
    expect(page.get_by_test_id("realized-pnl")).to_have_text(tr_money(realised, True))
    page.get_by_role("link", name="Gram gold").click()
    expect(page.locator("#transactions")).to_contain_text("05.01.2026")
    expect(page.locator("#transactions")).to_contain_text("2.500,00\xa0₺")
    expect(page.get_by_role("heading", name="Açık lotlar")).to_be_visible()
    screenshot(page, "asset-page-tr")

    page.get_by_role("button", name="Çıkış yap").click()
    page.wait_for_url("**/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"/assets/{gold}")
    assert f"/signin?next=/assets/{gold}" in page.url
