"""Every page form is refused without this visitor's form token or from another origin, and
a refused post changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_forms import csrf_token_of, page_routes, sign_up_through_page

from support import PASSWORD

SETTINGS_FORM = {"base_currency": "USD", "locale": "en-US", "time_zone": "UTC"}


@pytest.fixture
def signed_in(client: TestClient) -> TestClient:
    sign_up_through_page(client, "csrf@example.com")
    return client


def _post_settings(client: TestClient, token: str | None, origin: str | None) -> int:
    data = dict(SETTINGS_FORM)
    if token is not None:
        data["csrf_token"] = token
    headers = {"Origin": origin} if origin else {}
    answer = client.post("/settings", data=data, headers=headers, follow_redirects=False)
    return answer.status_code


@pytest.mark.parametrize(
    ("token_kind", "origin"),
    [
        pytest.param("valid", "http://evil.example", id="foreign-origin"),
        pytest.param("valid", None, id="no-origin-no-referer"),
        pytest.param(None, "self", id="no-token"),
        pytest.param("wrong", "self", id="wrong-token"),
        pytest.param("other-session", "self", id="another-sessions-token"),
    ],
)
def test_a_settings_post_is_refused_and_changes_nothing(
    signed_in: TestClient,
    app: FastAPI,
    token_kind: str | None,
    origin: str | None,
    count_rows: Callable[[], dict[str, int]],
) -> None:
    own = csrf_token_of(signed_in.get("/settings").text)
    with TestClient(app) as someone_else:
        sign_up_through_page(someone_else, "other@example.com")
        others = csrf_token_of(someone_else.get("/settings").text)
    token = {"valid": own, "wrong": own[:-4] + "0000", "other-session": others, None: None}[
        token_kind
    ]
    before = (signed_in.get("/api/settings").json(), count_rows())
    base = str(signed_in.base_url).rstrip("/")
    status = _post_settings(signed_in, token, base if origin == "self" else origin)
    assert status == 403
    assert (signed_in.get("/api/settings").json(), count_rows()) == before


def test_the_same_post_with_the_token_and_this_origin_is_accepted(signed_in: TestClient) -> None:
    token = csrf_token_of(signed_in.get("/settings").text)
    assert _post_settings(signed_in, token, str(signed_in.base_url).rstrip("/")) == 303
    assert signed_in.get("/api/settings").json()["base_currency"] == "USD"


def test_a_refused_form_answers_an_html_page(signed_in: TestClient) -> None:
    answer = signed_in.post("/settings", data=SETTINGS_FORM, headers={"Origin": "http://x.example"})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")


def test_sign_out_needs_the_token(signed_in: TestClient) -> None:
    origin = {"Origin": str(signed_in.base_url).rstrip("/")}
    assert signed_in.post("/signout", data={}, headers=origin).status_code == 403
    assert signed_in.get("/api/auth/session").status_code == 200


def test_sign_in_form_needs_the_token_of_its_own_cookie(
    client: TestClient, app: FastAPI, make_user: Callable[..., object]
) -> None:
    make_user("login@example.com")
    origin = {"Origin": str(client.base_url).rstrip("/")}
    form = {"email": "login@example.com", "password": PASSWORD}
    with TestClient(app) as attacker:
        attackers_token = csrf_token_of(attacker.get("/signin").text)
    # A token minted for another browser (login CSRF) is refused.
    client.get("/signin")
    refused = client.post("/signin", data={**form, "csrf_token": attackers_token}, headers=origin)
    assert refused.status_code == 403
    token = csrf_token_of(client.get("/signin").text)
    accepted = client.post(
        "/signin", data={**form, "csrf_token": token}, headers=origin, follow_redirects=False
    )
    assert accepted.status_code == 303


# POSTs a mail client makes without any page (RFC 8058 one-click unsubscribe): the signed
# token in the path is their authority (a forged one is a 404: tests/notifications).
TOKEN_IN_PATH = {"/unsubscribe/{token}"}


def test_every_page_post_route_checks_the_form_token(signed_in: TestClient, app: FastAPI) -> None:
    """Table-driven over the app's page routes, so a new form cannot forget the check."""
    posts = [
        route.path
        for route in page_routes(app.routes)
        if "POST" in route.methods and route.path not in TOKEN_IN_PATH
    ]
    assert "/settings" in posts and "/signout" in posts
    origin = {"Origin": str(signed_in.base_url).rstrip("/")}
    for path in posts:
        concrete = path.replace("{", "").replace("}", "")  # an id that is no id: still 403 first
        answer = signed_in.post(concrete, data={"csrf_token": "forged"}, headers=origin)
        assert answer.status_code == 403, path


def test_htmx_requests_may_send_the_token_as_a_header(signed_in: TestClient) -> None:
    html = signed_in.get("/settings").text
    token = csrf_token_of(html)
    assert f'"X-CSRF-Token": "{token}"' in html  # what htmx sends with every request
    origin = str(signed_in.base_url).rstrip("/")
    wrong = signed_in.post(
        "/settings", data=SETTINGS_FORM, headers={"Origin": origin, "X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    right = signed_in.post(
        "/settings",
        data=SETTINGS_FORM,
        headers={"Origin": origin, "X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert right.status_code == 303
