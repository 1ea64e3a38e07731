"""POST/GET /api/indices/{name}: JSON and CSV bodies, months replaced, all or nothing, and
each user's series their own; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from support import ApiUser

URL = "/api/indices/yi-ufe"


def csv_post(user: ApiUser, text: str, url: str = URL) -> Any:
    return user.client.post(
        url, content=text.encode(), headers={**user.headers, "Content-Type": "text/csv"}
    )


def test_json_then_csv_adds_and_replaces_months(alice: ApiUser) -> None:
    first = alice.post(
        URL, json=[{"month": "2024-08", "value": "3000.5"}, {"month": "2021-10", "value": 1000}]
    )
    assert first.status_code == 200, first.text
    assert first.json() == {
        "name": "yi-ufe",
        "values": [{"month": "2021-10", "value": "1000"}, {"month": "2024-08", "value": "3000.5"}],
        "stored": 2,
    }
    again = csv_post(alice, "month;value\r\n2024-08;3001\r\n2024-09;3050.25\r\n\r\n")
    assert again.status_code == 200, again.text
    assert again.json()["stored"] == 2
    assert alice.get(URL).json()["values"] == [
        {"month": "2021-10", "value": "1000"},
        {"month": "2024-08", "value": "3001"},
        {"month": "2024-09", "value": "3050.25"},
    ]
    # The same values again change nothing; {"values": [...]} is accepted too.
    same = alice.post(URL, json={"values": [{"month": "2024-09", "value": "3050.25"}]})
    assert same.json()["stored"] == 0
    assert alice.get("/api/indices/other").json() == {"name": "other", "values": []}
    # A month given twice in one request: the later value wins.
    twice = [{"month": "2020-01", "value": "1"}, {"month": "2020-01", "value": "2"}]
    assert alice.post(URL, json=twice).json()["values"][0] == {"month": "2020-01", "value": "2"}


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ([{"month": "2024-13", "value": "1"}], ["body", 0, "month"]),
        ([{"month": "0000-01", "value": "1"}], ["body", 0, "month"]),
        (
            [{"month": "2024-01", "value": "1"}, {"month": "2024-1", "value": "1"}],
            ["body", 1, "month"],
        ),
        ([{"month": "2024-01", "value": "0"}], ["body", 0, "value"]),
        ([{"month": "2024-01", "value": "NaN"}], ["body", 0, "value"]),
        ([{"month": "2024-01"}], ["body", 0, "value"]),
        ([{"month": "2024-01", "value": "1", "extra": 1}], ["body", 0, "extra"]),
        ([], ["body"]),
        ({"month": "2024-01"}, ["body"]),
    ],
)
def test_bad_json_is_422_at_the_element_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]], body: Any, loc: list[Any]
) -> None:
    before = count_rows()
    response = alice.post(URL, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert count_rows() == before


@pytest.mark.parametrize(
    ("text", "loc"),
    [
        ("month,value\n2024-01,1\n2024-02,abc\n", ["body", 2, "value"]),
        ("when,value\n2024-01,1\n", ["body", 0]),
        ("month,value\n2024-01,1,3\n", ["body", 1]),
        ("month,value\n", ["body"]),
    ],
)
def test_bad_csv_is_422_at_the_row_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]], text: str, loc: list[Any]
) -> None:
    before = count_rows()
    response = csv_post(alice, text)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert count_rows() == before


def test_names_media_types_and_sessions(alice: ApiUser, client: Any) -> None:
    assert alice.get("/api/indices/Bad Name").status_code == 422
    assert alice.get(f"/api/indices/{'x' * 33}").status_code == 422
    xml = alice.client.post(
        URL, content=b"<x/>", headers={**alice.headers, "Content-Type": "application/xml"}
    )
    assert xml.status_code == 415
    assert client.get(URL).status_code == 401
    assert client.post(URL, json=[{"month": "2024-01", "value": "1"}]).status_code == 401


def test_each_users_series_is_their_own(alice: ApiUser, bob: ApiUser) -> None:
    assert alice.post(URL, json=[{"month": "2024-01", "value": "100"}]).status_code == 200
    assert bob.get(URL).json()["values"] == []
    assert bob.post(URL, json=[{"month": "2024-01", "value": "999"}]).status_code == 200
    assert alice.get(URL).json()["values"] == [{"month": "2024-01", "value": "100"}]
    assert bob.get(URL).json()["values"] == [{"month": "2024-01", "value": "999"}]
