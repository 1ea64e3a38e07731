"""Who may see which page: signed-out visitors are sent to sign in, a user sees only their
own rows (another user's ids answer 404), and every page carries the security headers."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_forms import page_routes

from support import ApiUser

PUBLIC_PAGES = {"/", "/signin", "/signup", "/unsubscribe/{token}"}  # the token is the key
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def test_every_signed_in_page_sends_a_signed_out_visitor_to_sign_in(
    client: TestClient, app: FastAPI
) -> None:
    paths = {r.path for r in page_routes(app.routes) if "GET" in r.methods} - PUBLIC_PAGES
    assert "/settings" in paths
    for path in paths:
        concrete = PARAM.sub("00000000-0000-4000-8000-000000000000", path)
        answer = client.get(concrete, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/signin"), path


def test_the_dashboard_shows_only_the_users_own_holdings(alice: ApiUser, bob: ApiUser) -> None:
    asset = alice.create_asset(name="Alice's gold", unit="gram")
    assert alice.trade(asset["id"], "buy", "2", "2000", "2024-01-02").status_code == 201
    assert "Alice&#39;s gold" in alice.client.get("/").text
    bobs = bob.client.get("/")
    assert bobs.status_code == 200
    assert "Alice" not in bobs.text
    assert asset["id"] not in bobs.text


def test_page_routes_with_another_users_ids_answer_404(
    alice: ApiUser, bob: ApiUser, app: FastAPI
) -> None:
    """Table-driven over the page routes: any id in a path, taken from another user's rows."""
    asset = alice.create_asset(name="Alice's fund", type="fund", ticker_symbol="AFT")
    trade = alice.trade(asset["id"], "buy", "10", "1.5", "2024-01-02").json()
    ids = {"asset_id": asset["id"], "id": asset["id"], "transaction_id": trade["id"]}
    for route in page_routes(app.routes):
        names = PARAM.findall(route.path)
        if not names or "GET" not in route.methods or route.path in PUBLIC_PAGES:
            continue
        path = PARAM.sub(lambda m: ids[m.group(1)], route.path)
        assert alice.client.get(path).status_code == 200, path
        answer = bob.client.get(path)
        assert answer.status_code == 404, path
        assert "Alice" not in answer.text


def test_pages_carry_the_security_headers(client: TestClient, alice: ApiUser) -> None:
    for answer in (client.get("/"), client.get("/signup"), alice.client.get("/settings")):
        headers = answer.headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # plain HTTP


def test_only_the_api_docs_get_their_looser_policy(client: TestClient) -> None:
    assert "'unsafe-inline'" in client.get("/docs").headers["content-security-policy"]
    assert "'unsafe-inline'" in client.get("/redoc").headers["content-security-policy"]
    assert "unsafe-inline" not in client.get("/docsx").headers["content-security-policy"]


def test_hsts_is_sent_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as secure:
        assert "max-age=" in secure.get("/signin").headers["strict-transport-security"]


def test_the_app_serves_its_own_scripts_and_styles(client: TestClient) -> None:
    html = client.get("/").text
    sources = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("vendor/htmx.min.js" in s for s in sources)
    for source in sources:
        answer = client.get(source)
        assert answer.status_code == 200, source
        assert answer.content, source
    assert "http" not in " ".join(re.findall(r'(?:src|href)="([^"]+)"', html))  # no CDN


def test_an_unknown_page_is_an_html_404_and_an_unknown_api_path_stays_json(
    client: TestClient,
) -> None:
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = client.get("/api/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}


def test_pages_stay_out_of_the_api_document(app: FastAPI) -> None:
    documented = set(app.openapi()["paths"])
    pages = {route.path for route in page_routes(app.routes)}
    assert pages and not documented & pages
