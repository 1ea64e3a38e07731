"""Every API route refuses a caller without a session, and treats another user's ids as
missing. The table must cover every route of the app, so a new route cannot be forgotten."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portfolio_tracker.notifications.service import notify

if TYPE_CHECKING:
    from support import ApiUser

PUBLIC = {("POST", "/api/auth/signup"), ("POST", "/api/auth/signin")}

# (method, path template) -> (path to call with the owner's ids filled in, JSON body)
# `{asset}` and `{transaction}` are replaced by the owner's ids.
REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("GET", "/api/auth/session"): ("/api/auth/session", None),
    ("POST", "/api/auth/signout"): ("/api/auth/signout", None),
    ("GET", "/api/assets"): ("/api/assets", None),
    ("POST", "/api/assets"): ("/api/assets", {"name": "X", "type": "stock"}),
    ("GET", "/api/assets/{asset_id}"): ("/api/assets/{asset}", None),
    ("PUT", "/api/assets/{asset_id}"): ("/api/assets/{asset}", {"name": "Renamed"}),
    ("DELETE", "/api/assets/{asset_id}"): ("/api/assets/{asset}", None),
    ("GET", "/api/assets/{asset_id}/lots"): ("/api/assets/{asset}/lots", None),
    ("GET", "/api/assets/{asset_id}/realized"): ("/api/assets/{asset}/realized", None),
    ("GET", "/api/transactions"): ("/api/transactions?assetId={asset}", None),
    ("POST", "/api/transactions"): (
        "/api/transactions",
        {
            "asset_id": "{asset}",
            "type": "buy",
            "quantity": "1",
            "price_per_unit": "1",
            "transaction_date": "2024-01-01",
        },
    ),
    ("GET", "/api/transactions/{transaction_id}"): ("/api/transactions/{transaction}", None),
    ("PUT", "/api/transactions/{transaction_id}"): (
        "/api/transactions/{transaction}",
        {"note": "mine now"},
    ),
    ("DELETE", "/api/transactions/{transaction_id}"): ("/api/transactions/{transaction}", None),
    ("GET", "/api/prices/metal"): ("/api/prices/metal?symbol=XAU", None),
    ("GET", "/api/prices/fund"): ("/api/prices/fund?code=YAC", None),
    ("GET", "/api/prices/stock"): ("/api/prices/stock?symbol=AAPL", None),
    ("GET", "/api/prices/crypto"): ("/api/prices/crypto?symbol=BTC", None),
    ("GET", "/api/prices/fx"): ("/api/prices/fx?base=USD&quote=TRY", None),
}
# Routes whose answer is about the caller only: they take no foreign id.
NO_FOREIGN_ID = {
    ("GET", "/api/auth/session"),
    ("POST", "/api/auth/signout"),
    ("GET", "/api/assets"),
    ("POST", "/api/assets"),
    ("GET", "/api/prices/metal"),
    ("GET", "/api/prices/fund"),
    ("GET", "/api/prices/stock"),
    ("GET", "/api/prices/crypto"),
    ("GET", "/api/prices/fx"),
}


# Settings, manual prices and the portfolio. `{manual_price}` is a manual price of the owner's.
REQUESTS.update(
    {
        ("GET", "/api/settings"): ("/api/settings", None),
        ("PUT", "/api/settings"): ("/api/settings", {"locale": "en-US"}),
        ("GET", "/api/prices/manual"): ("/api/prices/manual?assetId={asset}", None),
        ("POST", "/api/prices/manual"): (
            "/api/prices/manual",
            {"asset_id": "{asset}", "date": "2024-01-01", "price": "2"},
        ),
        ("DELETE", "/api/prices/manual/{price_id}"): ("/api/prices/manual/{manual_price}", None),
        ("GET", "/api/portfolio"): ("/api/portfolio", None),
        ("GET", "/api/portfolio/history"): ("/api/portfolio/history", None),
    }
)
NO_FOREIGN_ID |= {
    ("GET", "/api/settings"),
    ("PUT", "/api/settings"),
    ("GET", "/api/portfolio"),
    ("GET", "/api/portfolio/history"),
}

# Manual exchange rates: `{manual_rate}` is a manual rate of the owner's; listing and
# entering one are about the caller's own rates only.
REQUESTS.update(
    {
        ("GET", "/api/rates/manual"): ("/api/rates/manual", None),
        ("POST", "/api/rates/manual"): (
            "/api/rates/manual",
            {"base": "USD", "quote": "TRY", "date": "2024-01-01", "rate": "30"},
        ),
        ("DELETE", "/api/rates/manual/{rate_id}"): ("/api/rates/manual/{manual_rate}", None),
    }
)
NO_FOREIGN_ID |= {("GET", "/api/rates/manual"), ("POST", "/api/rates/manual")}

# Import and export: about the caller's own rows only.
REQUESTS.update(
    {
        ("POST", "/api/import"): ("/api/import?dry_run=true", None),
        ("GET", "/api/export"): ("/api/export", None),
    }
)
NO_FOREIGN_ID |= {("POST", "/api/import"), ("GET", "/api/export")}

# The account's life: password, sign out everywhere, API tokens, export and deletion.
# `{api_token}` is an API token of the owner's.
REQUESTS.update(
    {
        ("POST", "/api/auth/password"): (
            "/api/auth/password",
            {"current_password": "x", "new_password": "a new long passphrase"},
        ),
        ("POST", "/api/auth/signout-all"): ("/api/auth/signout-all", None),
        ("GET", "/api/tokens"): ("/api/tokens", None),
        ("POST", "/api/tokens"): ("/api/tokens", {"name": "script"}),
        ("DELETE", "/api/tokens/{token_id}"): ("/api/tokens/{api_token}", None),
        ("GET", "/api/account/export"): ("/api/account/export", None),
        ("DELETE", "/api/account"): ("/api/account", {"password": "x"}),
    }
)
NO_FOREIGN_ID |= {
    ("POST", "/api/auth/password"),
    ("POST", "/api/auth/signout-all"),
    ("GET", "/api/tokens"),
    ("POST", "/api/tokens"),
    ("GET", "/api/account/export"),
    ("DELETE", "/api/account"),
}

# Index series and the realised-gains report: a series name is the caller's own namespace
# (another user's series of the same name is never read nor written), the report their own.
REQUESTS.update(
    {
        ("GET", "/api/indices/{name}"): ("/api/indices/yi-ufe", None),
        ("POST", "/api/indices/{name}"): (
            "/api/indices/yi-ufe",
            {"values": [{"month": "2024-01", "value": "1"}]},
        ),
        ("GET", "/api/reports/realized"): ("/api/reports/realized?year=2024", None),
    }
)
NO_FOREIGN_ID |= {
    ("GET", "/api/indices/{name}"),
    ("POST", "/api/indices/{name}"),
    ("GET", "/api/reports/realized"),
}

# Corporate actions: `{corporate_action}` is an action of the owner's asset.
ACTIONS = "/api/assets/{asset}/corporate-actions"
REQUESTS.update(
    {
        ("GET", "/api/assets/{asset_id}/corporate-actions"): (ACTIONS, None),
        ("POST", "/api/assets/{asset_id}/corporate-actions"): (
            ACTIONS,
            {"type": "split", "ex_date": "2024-03-01", "numerator": "2", "denominator": "1"},
        ),
        ("DELETE", "/api/assets/{asset_id}/corporate-actions/{action_id}"): (
            ACTIONS + "/{corporate_action}",
            None,
        ),
        ("POST", "/api/assets/{asset_id}/corporate-actions/{action_id}/confirm"): (
            ACTIONS + "/{corporate_action}/confirm",
            None,
        ),
    }
)


def _corporate_action(owner: ApiUser, asset_id: str) -> str:
    """The owner's one action of the asset (made on first use: the ids are filled per part)."""
    body = {"type": "split", "ex_date": "2024-02-01", "numerator": "2", "denominator": "1"}
    url = f"/api/assets/{asset_id}/corporate-actions"
    existing = owner.get(url).json()
    if existing:
        return str(existing[0]["id"])
    response = owner.post(url, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# Alerts and notifications: `{alert}` is an alert of the owner's, `{notification}` one of
# their notifications; the list, create, read-all and delivery settings are the caller's own.
REQUESTS.update(
    {
        ("GET", "/api/alerts"): ("/api/alerts", None),
        ("POST", "/api/alerts"): (
            "/api/alerts",
            {"kind": "price", "asset_id": "{asset}", "direction": "above", "level": "5"},
        ),
        ("GET", "/api/alerts/{alert_id}"): ("/api/alerts/{alert}", None),
        ("PUT", "/api/alerts/{alert_id}"): ("/api/alerts/{alert}", {"level": "7"}),
        ("DELETE", "/api/alerts/{alert_id}"): ("/api/alerts/{alert}", None),
        ("POST", "/api/alerts/{alert_id}/rearm"): ("/api/alerts/{alert}/rearm", None),
        ("GET", "/api/notifications"): ("/api/notifications", None),
        ("POST", "/api/notifications/read-all"): ("/api/notifications/read-all", None),
        ("POST", "/api/notifications/{notification_id}/read"): (
            "/api/notifications/{notification}/read",
            None,
        ),
        ("GET", "/api/notifications/settings"): ("/api/notifications/settings", None),
        ("PUT", "/api/notifications/settings"): (
            "/api/notifications/settings",
            {"daily_summary": True},
        ),
        ("POST", "/api/notifications/settings/webhook-secret"): (
            "/api/notifications/settings/webhook-secret",
            None,
        ),
    }
)
NO_FOREIGN_ID |= {
    ("GET", "/api/alerts"),
    ("GET", "/api/notifications"),
    ("POST", "/api/notifications/read-all"),
    ("GET", "/api/notifications/settings"),
    ("PUT", "/api/notifications/settings"),
    ("POST", "/api/notifications/settings/webhook-secret"),
}


def _alert(owner: ApiUser) -> str:
    body = {"kind": "portfolio", "move_pct": "5"}
    return str(owner.post("/api/alerts", json=body).json()["id"])


def _notification(owner: ApiUser) -> str:
    """A notification of the owner's, added the way the alert job adds one."""
    core = owner.client.app.state.core  # type: ignore[attr-defined]
    with core.session_factory() as db:
        row = notify(db, core.settings, uuid.UUID(owner.id), "price_alert", "t", "b", {})
        db.commit()
        return str(row.id)


def _manual_price(owner: ApiUser, asset_id: str) -> str:
    body = {"asset_id": asset_id, "date": "2024-01-01", "price": "1"}
    return str(owner.post("/api/prices/manual", json=body).json()["id"])


def _manual_rate(owner: ApiUser) -> str:
    body = {"base": "EUR", "quote": "TRY", "date": "2024-01-01", "rate": "35"}
    return str(owner.post("/api/rates/manual", json=body).json()["id"])


def _api_token(owner: ApiUser) -> str:
    return str(owner.post("/api/tokens", json={"name": "owner's script"}).json()["id"])


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every /api/ operation, read from the OpenAPI document (which must list them all)."""
    found = set()
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/api/"):
            found.update((method.upper(), path) for method in operations)
    return found - PUBLIC


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def test_the_table_covers_every_api_route(app: FastAPI) -> None:
    assert api_routes(app) == set(REQUESTS), "add the new route to REQUESTS (and NO_FOREIGN_ID)"


@pytest.mark.parametrize("route", sorted(REQUESTS), ids=lambda r: f"{r[0]} {r[1]}")
def test_it_answers_401_without_a_session(
    route: tuple[str, str], client: TestClient, alice: ApiUser
) -> None:
    asset = alice.create_asset()
    bought = alice.trade(asset["id"], "buy", "1", "1", "2024-01-01").json()
    path, body = (
        _fill(
            part,
            {
                "asset": asset["id"],
                "transaction": bought["id"],
                "manual_price": _manual_price(alice, asset["id"]),
                "manual_rate": _manual_rate(alice),
                "api_token": _api_token(alice),
                "alert": _alert(alice),
                "notification": _notification(alice),
                "corporate_action": _corporate_action(alice, asset["id"]),
            },
        )
        for part in REQUESTS[route]
    )
    response = client.request(route[0], path, json=body)
    assert response.status_code == 401, response.text
    assert "detail" in response.json()
    bad_token = client.request(route[0], path, json=body, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401


@pytest.mark.parametrize(
    "route", sorted(set(REQUESTS) - NO_FOREIGN_ID), ids=lambda r: f"{r[0]} {r[1]}"
)
def test_another_users_ids_answer_404_and_change_nothing(
    route: tuple[str, str], alice: ApiUser, bob: ApiUser
) -> None:
    asset = alice.create_asset()
    bought = alice.trade(asset["id"], "buy", "1", "1", "2024-01-01").json()
    ids = {
        "asset": asset["id"],
        "transaction": bought["id"],
        "manual_price": _manual_price(alice, asset["id"]),
        "manual_rate": _manual_rate(alice),
        "api_token": _api_token(alice),
        "alert": _alert(alice),
        "notification": _notification(alice),
        "corporate_action": _corporate_action(alice, asset["id"]),
    }
    path, body = (_fill(part, ids) for part in REQUESTS[route])
    before = (
        alice.get(f"/api/assets/{asset['id']}").json(),
        alice.get(f"/api/transactions?assetId={asset['id']}").json(),
    )

    response = bob.client.request(route[0], path, json=body, headers=bob.headers)

    assert response.status_code == 404, response.text
    missing = bob.client.request(
        route[0],
        _fill(
            REQUESTS[route][0],
            {
                "asset": "00000000-0000-4000-8000-000000000000",
                "transaction": "00000000-0000-4000-8000-000000000000",
                "manual_price": "00000000-0000-4000-8000-000000000000",
                "manual_rate": "00000000-0000-4000-8000-000000000000",
                "api_token": "00000000-0000-4000-8000-000000000000",
                "alert": "00000000-0000-4000-8000-000000000000",
                "notification": "00000000-0000-4000-8000-000000000000",
                "corporate_action": "00000000-0000-4000-8000-000000000000",
            },
        ),
        json=_fill(
            REQUESTS[route][1],
            {
                "asset": "00000000-0000-4000-8000-000000000000",
                "transaction": "00000000-0000-4000-8000-000000000000",
            },
        ),
        headers=bob.headers,
    )
    assert missing.status_code == 404
    assert response.json() == missing.json(), "a foreign id must look exactly like a missing one"
    after = (
        alice.get(f"/api/assets/{asset['id']}").json(),
        alice.get(f"/api/transactions?assetId={asset['id']}").json(),
    )
    assert after == before
    assert alice.get("/api/prices/manual").json()[0]["price"] == "1"
    assert [r["id"] for r in alice.get("/api/rates/manual").json()] == [ids["manual_rate"]]
    assert [t["id"] for t in alice.get("/api/tokens").json()] == [ids["api_token"]]
    assert [a["id"] for a in alice.get("/api/alerts").json()] == [ids["alert"]]
    assert alice.get("/api/alerts").json()[0]["move_pct"] == "5"
    assert alice.get("/api/notifications").json()["unread_count"] == 1

    actions = alice.get(f"/api/assets/{asset['id']}/corporate-actions").json()
    assert [a["id"] for a in actions] == [ids["corporate_action"]]
