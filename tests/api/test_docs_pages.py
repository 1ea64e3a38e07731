"""The interactive docs work offline: every script and style comes from this server."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_docs_page_loads_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets, "the page should reference Swagger UI's files"
    for url in assets:
        assert url.startswith("/"), f"{url} is not served by this app"
        assert client.get(url).status_code == 200, url
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_openapi_document_lists_the_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert {"/api/auth/signup", "/api/assets", "/api/transactions"} <= set(document["paths"])
