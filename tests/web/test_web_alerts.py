"""The alerts and notifications pages: through the ASGI app (forms refused as the API refuses
them, another user's alert or notification is a 404 and stays as it was) and in a real
browser (create alerts, the evaluation fires one, the unread badge, mark read with htmx,
re-arm, delete, delivery settings)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from page_forms import post_form, sign_up_through_page
from playwright.sync_api import expect
from sqlalchemy import Engine

from portfolio_tracker.alerts.evaluate import evaluate_alerts
from portfolio_tracker.db.session import build_session_factory
from support import PASSWORD, make_settings, row_counts

if TYPE_CHECKING:
    from playwright.sync_api import Page

TODAY = datetime.now(ZoneInfo("Europe/Istanbul")).date()


def evaluate(engine: Engine) -> str:
    return evaluate_alerts(build_session_factory(engine), make_settings(engine)).line()


def test_alert_forms_refuse_what_the_api_refuses(client: TestClient) -> None:
    sign_up_through_page(client, "forms@example.com")
    empty = post_form(
        client,
        "/alerts",
        {
            "asset_id": "",
            "symbol_kind": "stock",
            "symbol": "",
            "direction": "above",
            "level": "",
            "note": "",
        },
        action="/alerts/price",
    )
    assert empty.status_code == 422
    assert 'id="level-errors"' in empty.text
    no_symbol = post_form(
        client,
        "/alerts",
        {
            "asset_id": "",
            "symbol_kind": "stock",
            "symbol": "",
            "direction": "above",
            "level": "10",
            "note": "",
        },
        action="/alerts/price",
    )
    assert no_symbol.status_code == 422 and 'id="symbol-errors"' in no_symbol.text
    metal = post_form(
        client,
        "/alerts",
        {
            "asset_id": "",
            "symbol_kind": "metal",
            "symbol": "XPT",
            "direction": "above",
            "level": "2000",
            "note": "",
        },
        action="/alerts/price",
    )
    assert metal.status_code == 422 and "XAU" in metal.text
    move = post_form(
        client, "/alerts", {"move_pct": "-3", "portfolio_note": ""}, action="/alerts/portfolio"
    )
    assert move.status_code == 422 and 'id="move_pct-errors"' in move.text
    ok = post_form(
        client,
        "/alerts",
        {"move_pct": "2,5", "portfolio_note": "big day"},
        action="/alerts/portfolio",
    )
    assert ok.status_code == 303
    [alert] = client.get("/api/alerts").json()
    assert (alert["move_pct"], alert["note"]) == ("2.5", "big day")


def test_another_users_alert_and_notification_pages_are_404(
    app: object, client: TestClient, engine: Engine
) -> None:
    sign_up_through_page(client, "owner@example.com")
    post_form(
        client, "/alerts", {"move_pct": "1", "portfolio_note": ""}, action="/alerts/portfolio"
    )
    [alert] = client.get("/api/alerts").json()
    with TestClient(app) as other:  # type: ignore[arg-type]
        sign_up_through_page(other, "intruder@example.com")
        before = row_counts(engine)
        for action in (
            f"/alerts/{alert['id']}/rearm",
            f"/alerts/{alert['id']}/delete",
            f"/notifications/{uuid.uuid4()}/read",
        ):
            answer = post_form(other, "/alerts", {}, action=action)
            assert answer.status_code == 404, action
            assert "owner" not in answer.text
        assert row_counts(engine) == before
        assert "1" not in other.get("/alerts").text.split("Your alerts")[1].split("New price")[0]
    assert client.get(f"/api/alerts/{alert['id']}").status_code == 200


def test_alerts_and_notifications_in_the_browser(
    new_page: Callable[..., Page], live_app: Any, screenshot: Callable[[Page, str], Path]
) -> None:
    page = new_page(locale="en-US")
    page.goto("/signup")
    page.get_by_label("Email").fill(f"alerts-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")

    # A gram of gold bought, priced by hand today (no feed is reached).
    page.get_by_role("link", name="Assets", exact=True).click()
    page.get_by_role("link", name="Add an asset").click()
    page.get_by_label("Name").fill("Gram gold")
    page.get_by_label("Type").select_option("metal")
    page.get_by_label("Counted in").select_option("gram")
    page.get_by_label("Purity").select_option("0.995")
    page.get_by_role("button", name="Add asset").click()
    asset_id = page.url.split("/assets/")[1].split("?")[0]
    page.get_by_role("link", name="Add a buy").click()
    page.get_by_label("Quantity").fill("10")
    page.get_by_label("Price per unit").fill("2000")
    page.get_by_label("Date").fill((TODAY - timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Add transaction").click()
    page.goto(f"/assets/{asset_id}")
    prices = page.locator("#manual-prices")
    prices.get_by_label("Date").fill(TODAY.isoformat())
    prices.get_by_label("Price per unit").fill("2400")
    prices.get_by_role("button", name="Save price").click()
    expect(page.get_by_role("status")).to_have_text("Price saved.")

    # Alerts: a level left out is refused next to the field; then two alerts.
    page.get_by_role("link", name="Alerts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alerts")
    page.get_by_label("Asset", exact=True).select_option(label="Gram gold")
    page.get_by_label("When the price is").select_option("below")
    page.get_by_role("button", name="Add price alert").click()
    expect(page.locator("#level-errors")).to_be_visible()
    page.get_by_label("Level").fill("2500,5")
    page.get_by_role("button", name="Add price alert").click()
    expect(page.get_by_role("status")).to_contain_text("Alert added.")
    page.get_by_label("Daily move of at least (%)").fill("50")
    page.get_by_role("button", name="Add portfolio alert").click()
    rows = page.locator("#alerts tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Gram gold")
    expect(rows.first).to_contain_text("2,500.5 TRY")
    expect(rows.first).to_contain_text("Armed")
    expect(page.locator("#unread-count")).to_have_count(0)

    # The evaluation job fires the price alert (2400 ≤ 2500.5), once.
    assert evaluate(live_app.engine).split(", ")[1] == "1 triggered"
    page.reload()
    expect(rows.first).to_contain_text("Triggered")
    expect(rows.first).to_contain_text("2,400 TRY")
    expect(rows.nth(1)).to_contain_text("Armed")
    expect(page.locator("#unread-count")).to_contain_text("1")
    screenshot(page, "alerts")

    # The notification: marked read in place (htmx), the badge gone on the next page.
    page.locator("#nav-notifications").click()
    items = page.locator("#notifications li")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Gram gold is at 2400 TRY, at or below your level")
    url_before = page.url
    items.first.get_by_role("button", name="Mark read").click()
    expect(items.first.get_by_role("button", name="Mark read")).to_have_count(0)
    assert page.url == url_before  # no navigation: the item was swapped
    screenshot(page, "notifications")
    page.reload()
    expect(page.locator("#unread-count")).to_have_count(0)
    expect(page.get_by_role("heading", name="0 unread")).to_be_visible()

    # Delivery settings: the daily summary on, a webhook to a private address refused.
    page.get_by_label("Email me a daily portfolio summary").check()
    page.get_by_label("Webhook URL (optional)").fill("http://10.1.2.3/hook")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#webhook_url-errors")).to_contain_text("public address")
    page.get_by_label("Webhook URL (optional)").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Notification settings saved.")
    expect(page.get_by_label("Email me a daily portfolio summary")).to_be_checked()

    # Re-arm the fired alert, delete the other.
    page.get_by_role("navigation").get_by_role("link", name="Alerts", exact=True).click()
    rows.first.get_by_role("button", name="Re-arm").click()
    expect(page.get_by_role("status")).to_contain_text("Alert re-armed")
    expect(rows.first).to_contain_text("Armed")
    rows.nth(1).get_by_role("button", name="Delete alert").click()
    expect(page.get_by_role("status")).to_have_text("Alert deleted.")
    expect(rows).to_have_count(1)
    assert evaluate(live_app.engine).split(", ")[1] == "1 triggered"  # re-armed: fires again
