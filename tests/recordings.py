"""Recorded feed answers (tests/prices/fixtures) and helpers to replay them with respx.

Imported by the test modules directly; the pytest fixtures themselves live in conftest.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx

FIXTURES = Path(__file__).parent / "prices" / "fixtures"
TODAY = date(2026, 11, 25)

TEFAS = "https://tefas.test"
YAHOO = "https://yahoo.test"
STOOQ = "https://stooq.test"
COINGECKO = "https://coingecko.test/api/v3"
TCMB = "https://tcmb.test"
ECB = "https://ecb.test"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def json_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, text=fixture_text(name), headers={"content-type": "application/json; charset=utf-8"}
    )


def text_response(name: str, status: int = 200, content_type: str = "text/plain") -> httpx.Response:
    return httpx.Response(status, text=fixture_text(name), headers={"content-type": content_type})


def html_response(name: str, status: int = 200) -> httpx.Response:
    return text_response(name, status, "text/html; charset=utf-8")


def xml_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, content=(FIXTURES / name).read_bytes(), headers={"content-type": "text/xml"}
    )


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
