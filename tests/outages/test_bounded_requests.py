"""Bounded requests: bodies over the limit get 413 (JSON) before authentication and without
being read whole; an oversized header gets 431 (JSON) instead of a reset connection."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from portfolio_tracker.settings import Settings
from support import PASSWORD, make_settings, serve_in_thread

LIMIT = 64 * 1024


@pytest.fixture
def bounded_settings(sqlite_engine: Engine) -> Settings:
    """SQLite only: the limit is enforced before any database is involved."""
    return make_settings(sqlite_engine, max_body_bytes=LIMIT, max_upload_bytes=4 * LIMIT)


@pytest.fixture
def base_url(bounded_settings: Settings, sqlite_engine: Engine) -> Iterator[str]:
    app: FastAPI = create_app(bounded_settings, sqlite_engine)
    with serve_in_thread(app) as base:
        yield base


def chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    """A chunked body (no Content-Length), so the server must count while reading."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert "too large" in response.json()["detail"]


def test_a_declared_oversized_body_gets_413_before_authentication(base_url: str) -> None:
    big = b"{" + b" " * (LIMIT + 10) + b"}"
    with httpx.Client(base_url=base_url, timeout=10) as client:
        # Unauthenticated: 413, not 401 after reading the whole body.
        assert_too_large(client.post("/api/assets", content=big))
        assert_too_large(client.post("/api/auth/signin", content=big))


def test_a_chunked_oversized_body_is_cut_off_while_read(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        response = client.post(
            "/api/auth/signin",
            content=chunks(50 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert_too_large(response)


def test_bodies_within_the_limit_work_and_uploads_get_their_own_limit(
    base_url: str, bounded_settings: Settings
) -> None:
    from portfolio_tracker.api.body_limit import BodySizeLimit

    with httpx.Client(base_url=base_url, timeout=10) as client:
        signed_up = client.post(
            "/api/auth/signup",
            json={"email": f"{uuid.uuid4().hex}@example.com", "password": PASSWORD},
        )
        assert signed_up.status_code == 201
    limiter = BodySizeLimit(FastAPI(), LIMIT, {"/api/import": 4 * LIMIT})
    assert limiter.limit_for("/api/import") == 4 * LIMIT
    assert limiter.limit_for("/api/import/csv") == 4 * LIMIT
    assert limiter.limit_for("/api/imports") == LIMIT
    assert limiter.limit_for("/api/assets") == LIMIT


def raw_request(base_url: str, request: bytes) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_an_oversized_header_gets_431_not_a_reset(base_url: str) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (256 * 1024) + b"\r\n\r\n"
    answer = raw_request(base_url, request)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b'"detail"' in answer


def test_a_malformed_request_line_gets_400_json(base_url: str) -> None:
    answer = raw_request(base_url, b"NOT HTTP AT ALL\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
