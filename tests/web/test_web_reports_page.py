"""The realised-gains page: through the ASGI app on both databases (rows, totals, the CSV
link, a bad year, another user's sells never shown), and in a real browser (year selector,
Türkiye mode, Turkish labels, a screenshot)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from support import PASSWORD, ApiUser

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page


@pytest.fixture
def alice(make_user: Callable[..., ApiUser]) -> ApiUser:
    user = make_user("alice@example.com")
    assert user.put("/api/settings", json={"locale": "en-US"}).status_code == 200
    gold = user.create_asset(name="Gram gold", type="metal")
    assert user.trade(gold["id"], "buy", "10", "2000", "2024-01-02", fee="10").status_code == 201
    assert user.trade(gold["id"], "sell", "4", "2500", "2024-06-03", fee="8").status_code == 201
    return user


def test_the_page_shows_the_rows_totals_and_csv_link(alice: ApiUser, bob: ApiUser) -> None:
    page = alice.client.get("/reports/realized?year=2024")
    assert page.status_code == 200
    html = page.text
    assert "Gram gold" in html
    # cost 4 × 2001 = 8004; proceeds 10000 - 8 = 9992; gain 1988
    assert re.search(r'data-testid="total-gain"[^>]*>\+?₺1,988\.00<', html), html[-3000:]
    assert (
        "/api/reports/realized?year=2024&amp;currency=TRY&amp;mode=standard&amp;format=csv" in html
    )
    csv_answer = alice.client.get(
        "/api/reports/realized?year=2024&currency=TRY&mode=standard&format=csv"
    )
    assert csv_answer.status_code == 200 and "Gram gold" in csv_answer.text
    assert "No sells in this year." in alice.client.get("/reports/realized?year=2023").text
    bad = alice.client.get("/reports/realized?year=nineteen")
    assert bad.status_code == 422 and "Choose a year" in bad.text
    wrong = alice.client.get("/reports/realized?year=2024&currency=ZZZ")
    assert wrong.status_code == 422 and "ZZZ" in wrong.text
    # Bob sees his own (none), never Alice's.
    assert "Gram gold" not in bob.client.get("/reports/realized?year=2024").text


def test_signed_out_goes_to_sign_in(client: Any) -> None:
    answer = client.get("/reports/realized?year=2024", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert "/signin" in answer.headers["location"]


def api(page: Page, method: str, path: str, body: Any) -> Any:
    import json

    answer = page.evaluate(
        """async ([method, path, body]) => {
            const response = await fetch(path, {
                method, headers: {"Content-Type": "application/json"},
                body: JSON.stringify(body)});
            return {status: response.status, body: await response.text()};
        }""",
        [method, path, body],
    )
    assert answer["status"] in (200, 201), answer
    return json.loads(answer["body"])


def test_in_a_browser_year_selector_tr_mode_and_turkish(
    new_page: Callable[..., Page], screenshot: Callable[[Page, str], Path], live_app: Any
) -> None:
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("reporter@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    stock = api(
        page,
        "POST",
        "/api/assets",
        {
            "name": "Acme",
            "type": "stock",
            "ticker_symbol": "ACME",
            "currency": "TRY",
            "foreign_security": True,
        },
    )
    for kind, qty, price, day in (
        ("buy", "10", "100", "2023-01-10"),
        ("sell", "5", "150", "2024-03-05"),
    ):
        api(
            page,
            "POST",
            "/api/transactions",
            {
                "asset_id": stock["id"],
                "type": kind,
                "quantity": qty,
                "price_per_unit": price,
                "transaction_date": day,
            },
        )
    api(
        page,
        "POST",
        "/api/indices/yi-ufe",
        [{"month": "2022-12", "value": "100"}, {"month": "2024-02", "value": "120"}],
    )

    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Realised gains")
    page.get_by_label("Year").select_option("2024")
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#report-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Acme")
    expect(page.get_by_test_id("total-gain")).to_have_text("+₺250.00")
    link = page.get_by_role("link", name="Download CSV")
    assert "format=csv" in (link.get_attribute("href") or "")

    page.get_by_label("Mode").select_option("tr")
    page.get_by_role("button", name="Show").click()
    # 500 cost indexed by 120/100 = 600; proceeds 750: gain 150.
    expect(page.get_by_test_id("declared-gain")).to_have_text("₺150.00")
    expect(page.get_by_test_id("deadline")).to_contain_text("2025")
    screenshot(page, "realized-report-tr")

    page.get_by_label("Year").select_option("2023")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("no-sells")).to_be_visible()

    api(page, "PUT", "/api/settings", {"locale": "tr-TR"})
    page.goto("/reports/realized?year=2024&mode=tr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gerçekleşen kazançlar")
    expect(page.get_by_test_id("declared-gain")).to_have_text(re.compile(r"^150,00\s*₺$"))


def test_the_largest_amounts_the_api_accepts_render(make_user: Callable[..., ApiUser]) -> None:
    """A quantity and a price at the API's bounds make amounts of 31 digits and 36 places;
    the pages format them (Babel under a wide decimal context) instead of failing with 500."""
    user = make_user()
    gold = user.create_asset(name="Big gold", type="metal")
    most = "999999999999999.999999999999999999"
    assert user.trade(gold["id"], "buy", most, most, "2024-03-03").status_code == 201
    assert user.trade(gold["id"], "sell", most, most, "2024-03-04").status_code == 201
    for path in (f"/assets/{gold['id']}", "/reports/realized?year=2024", "/", "/assets"):
        page = user.client.get(path)
        assert page.status_code == 200, (path, page.text[-500:])
