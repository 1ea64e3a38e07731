"""POST/GET/DELETE /api/rates/manual: replace on the same pair and day, validation,
isolation per user. Their effect on the portfolio: tests/portfolio/
test_manual_rates_in_portfolio_api.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine

from support import refusals, row_counts, user_version

if TYPE_CHECKING:
    from support import ApiUser

URL = "/api/rates/manual"


def _rate(user: ApiUser, **fields: Any) -> Any:
    body = {"base": "USD", "quote": "TRY", "date": "2024-03-01", "rate": "31.5", **fields}
    return user.post(URL, json=body)


def test_it_records_a_rate_and_replaces_it_on_the_same_pair_and_day(
    alice: ApiUser, engine: Engine
) -> None:
    first = _rate(alice, base="usd")
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["base"], body["quote"], body["date"], body["rate"]) == (
        "USD",
        "TRY",
        "2024-03-01",
        "31.5",
    )
    again = _rate(alice, rate="32")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert [r["rate"] for r in alice.get(URL).json()] == ["32"]
    assert row_counts(engine)["manual_rates"] == 1
    # The other orientation is another pair (each orientation is its own row).
    assert _rate(alice, base="TRY", quote="USD", rate="0.03").status_code == 201


def test_it_lists_by_pair_then_date_with_optional_filters(alice: ApiUser) -> None:
    for base, quote, day in (
        ("USD", "TRY", "2024-03-02"),
        ("EUR", "TRY", "2024-03-01"),
        ("USD", "TRY", "2024-03-01"),
    ):
        assert _rate(alice, base=base, quote=quote, date=day).status_code == 201
    listed = alice.get(URL).json()
    assert [(r["base"], r["date"]) for r in listed] == [
        ("EUR", "2024-03-01"),
        ("USD", "2024-03-01"),
        ("USD", "2024-03-02"),
    ]
    assert len(alice.get(f"{URL}?base=usd").json()) == 2
    assert len(alice.get(f"{URL}?base=USD&quote=TRY").json()) == 2
    assert alice.get(f"{URL}?quote=EUR").json() == []
    response = alice.get(f"{URL}?base=DOLLAR")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "base"]


def test_delete_removes_it_and_bumps_the_version(alice: ApiUser, engine: Engine) -> None:
    rate = _rate(alice).json()
    before = user_version(engine, alice.id)
    assert alice.delete(f"{URL}/{rate['id']}").status_code == 204
    assert user_version(engine, alice.id) > before
    assert alice.delete(f"{URL}/{rate['id']}").status_code == 404
    assert alice.get(URL).json() == []


def test_another_users_rate_is_404_and_invisible(
    alice: ApiUser, bob: ApiUser, engine: Engine, client: Any
) -> None:
    rate = _rate(alice).json()
    before = row_counts(engine)
    assert bob.delete(f"{URL}/{rate['id']}").status_code == 404
    assert bob.get(URL).json() == []
    assert row_counts(engine) == before
    assert alice.get(URL).json()[0]["id"] == rate["id"]
    for response in (client.get(URL), client.post(URL, json={}), client.delete(f"{URL}/x")):
        assert response.status_code == 401


TOMORROW = (date.today() + timedelta(days=2)).isoformat()
REFUSED: dict[str, list[Any]] = {
    "date": [TOMORROW, "1899-12-31", "2024-02-30", 1700000000, "2024-03-01T10:00:00", None],
    "rate": ["0", 0, "-1", "NaN", "1e20", "0.1234567890123456789", "", None],
    "base": ["EURO", "12", "", None],
    "quote": ["U$D", "usd", None],  # "usd" is the base itself
}


@pytest.mark.parametrize("field", sorted(REFUSED))
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    alice: ApiUser, engine: Engine, count_rows: Callable[[], dict[str, int]], field: str
) -> None:
    version = user_version(engine, alice.id)
    assert (
        refusals(count_rows, lambda value: _rate(alice, **{field: value}), REFUSED[field], field)
        == []
    )
    assert refusals(count_rows, lambda _: _rate(alice, extra=1), [1], "extra") == []
    assert user_version(engine, alice.id) == version
