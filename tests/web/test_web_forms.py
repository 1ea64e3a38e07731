"""Sign-up, sign-in, sign-out and settings forms through the ASGI app, on both databases:
the server's messages next to the field, nothing written on a refusal, the browser's language."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from page_forms import post_form, sign_up_through_page

from support import PASSWORD, ApiUser

EN = {"Accept-Language": "en-US"}


def test_signed_out_home_is_the_sign_in_page_with_a_link_to_sign_up(client: TestClient) -> None:
    answer = client.get("/", headers=EN)
    assert answer.status_code == 200
    assert 'action="/signin"' in answer.text
    assert 'href="/signup"' in answer.text


def test_sign_up_shows_each_refusal_next_to_its_field_and_writes_nothing(
    client: TestClient, count_rows: Callable[[], dict[str, int]]
) -> None:
    before = count_rows()
    form = {"email": "not-an-email", "password": "password123"}
    answer = post_form(client, "/signup", form, headers=EN)
    assert answer.status_code == 422
    assert 'id="email-errors"' in answer.text and "not a valid email address" in answer.text
    assert 'id="password-errors"' in answer.text and "too common" in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert 'value="not-an-email"' in answer.text  # what was typed stays
    assert count_rows() == before


def test_sign_up_messages_are_in_turkish_for_a_turkish_browser(client: TestClient) -> None:
    form = {"email": "a@example.com", "password": "short"}
    answer = post_form(client, "/signup", form, headers={"Accept-Language": "tr-TR,tr;q=0.9"})
    assert answer.status_code == 422
    assert "En az 8 karakter kullanın." in answer.text
    assert '<html lang="tr">' in answer.text


def test_sign_up_with_a_taken_email_says_so_at_the_email_field(
    client: TestClient, alice: ApiUser
) -> None:
    answer = post_form(client, "/signup", {"email": alice.email, "password": PASSWORD}, headers=EN)
    assert answer.status_code == 422
    assert "An account with this email already exists." in answer.text


def test_an_account_made_on_the_sign_up_page_starts_in_the_browsers_language(
    make_user: Callable[..., ApiUser], app: FastAPI
) -> None:
    for language, locale in (("tr-TR,tr;q=0.9", "tr-TR"), ("en-GB,en;q=0.8", "en-US")):
        with TestClient(app) as browser:
            sign_up_through_page(browser, f"{locale.lower()}@example.com", language)
            assert browser.get("/api/settings").json()["locale"] == locale
    # An API sign-up keeps the default.
    assert make_user().get("/api/settings").json()["locale"] == "tr-TR"


def test_sign_in_refusal_is_one_generic_message(client: TestClient, alice: ApiUser) -> None:
    form = {"email": alice.email, "password": "wrong password here"}
    answer = post_form(client, "/signin", form, headers=EN)
    assert answer.status_code == 422
    assert "Invalid email or password." in answer.text
    assert "pt_session" not in answer.headers.get("set-cookie", "")


def test_sign_in_goes_back_to_the_page_asked_for_and_never_to_another_site(
    client: TestClient, alice: ApiUser
) -> None:
    first = client.get("/settings", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/signin?next=/settings"
    for next_path, expected in (("/settings", "/settings"), ("//evil.example", "/")):
        form = {"email": alice.email, "password": PASSWORD, "next": next_path}
        answer = post_form(client, f"/signin?next={next_path}", form)
        assert answer.status_code == 303
        assert answer.headers["location"] == expected
        client.cookies.clear()


def test_sign_out_revokes_the_session_on_the_server(client: TestClient) -> None:
    sign_up_through_page(client, "out@example.com")
    session_cookie = client.cookies["pt_session"]
    assert post_form(client, "/", {}, action="/signout").status_code == 303
    client.cookies.set("pt_session", session_cookie)  # the old cookie, replayed
    assert client.get("/api/auth/session").status_code == 401


def test_settings_form_saves_through_the_settings_service(client: TestClient) -> None:
    sign_up_through_page(client, "settings@example.com")
    chosen = {"base_currency": "USD", "locale": "tr-TR", "time_zone": "Europe/Berlin"}
    answer = post_form(client, "/settings", chosen)
    assert answer.status_code == 303
    assert client.get("/api/settings").json() == chosen
    assert "Ayarlar kaydedildi." in client.get(answer.headers["location"]).text


def test_settings_form_refuses_an_unknown_time_zone_and_changes_nothing(
    client: TestClient,
) -> None:
    sign_up_through_page(client, "tz@example.com")
    before = client.get("/api/settings").json()
    chosen = {"base_currency": "EUR", "locale": "en-US", "time_zone": "Mars/Olympus"}
    answer = post_form(client, "/settings", chosen)
    assert answer.status_code == 422
    assert 'id="time_zone-errors"' in answer.text
    assert client.get("/api/settings").json() == before
