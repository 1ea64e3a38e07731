"""The import page through the ASGI app, on both databases: a dry run reports row errors and
writes nothing, a refused import writes nothing, a clean file is carried to the import step
and imported whole; the export links answer the signed-in user's own rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from page_forms import csrf_token_of

from support import ApiUser

HEADER = (
    "asset_name,asset_type,ticker_symbol,currency,unit,fineness,price_source,"
    "type,quantity,price_per_unit,fee,transaction_date,note\n"
)
GOOD = (
    HEADER
    + "Gram gold,metal,,TRY,gram,0.995,auto,buy,10,2500,0,2026-01-05,first\n"
    + "Gram gold,metal,,TRY,gram,0.995,auto,sell,4,2800,0,2026-03-02,\n"
    + "AFT fund,fund,AFT,TRY,,,auto,buy,1000,1.5,0,2026-01-06,\n"
)
ONE_BAD_ROW = GOOD.replace("sell,4,2800", "sell,40,2800")  # sells more than is held


@pytest.fixture
def alice(make_user: Callable[..., ApiUser]) -> ApiUser:
    user = make_user("alice@example.com")
    assert user.put("/api/settings", json={"locale": "en-US"}).status_code == 200
    return user


def upload(user: ApiUser, csv: str, action: str) -> Any:
    token = csrf_token_of(user.client.get("/import").text)
    return user.client.post(
        "/import",
        data={"csrf_token": token, "action": action},
        files={"file": ("transactions.csv", csv.encode(), "text/csv")},
        headers={"Origin": str(user.client.base_url).rstrip("/")},
        follow_redirects=False,
    )


@pytest.mark.parametrize("action", ["check", "import"])
def test_a_file_with_one_bad_row_is_reported_and_nothing_is_written(
    alice: ApiUser, action: str, count_rows: Callable[[], dict[str, int]]
) -> None:
    before = count_rows()
    answer = upload(alice, ONE_BAD_ROW, action)
    assert answer.status_code == 422
    rows = re.findall(r"<tr><td class=\"num\">(\d+)</td><td>([^<]*)</td>", answer.text)
    assert rows == [("3", "quantity")]  # the header is row 1
    assert "exceeds holdings by 30" in answer.text
    assert "Nothing was imported: 1 problem." in answer.text
    assert 'name="csv_text"' not in answer.text  # no way on to the import step
    assert count_rows() == before


def test_a_clean_file_is_checked_then_imported_whole(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    before = count_rows()
    checked = upload(alice, GOOD, "check")
    assert checked.status_code == 200 and count_rows() == before
    assert "3 transactions" in checked.text and "Import 3 transactions" in checked.text
    carried = re.search(r'name="csv_text" value="([^"]*)"', checked.text, re.S)
    assert carried is not None
    token = csrf_token_of(checked.text)
    answer = alice.client.post(
        "/import",
        data={"csrf_token": token, "action": "import", "csv_text": GOOD},
        headers={"Origin": str(alice.client.base_url).rstrip("/")},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/import?imported=3"
    assert "Imported 3 transactions." in alice.client.get(answer.headers["location"]).text
    assert len(alice.get("/api/transactions").json()) == 3
    gold = next(a for a in alice.get("/api/assets").json() if a["name"] == "Gram gold")
    assert alice.get(f"/api/assets/{gold['id']}").json()["holding"]["quantity"] == "6"


def test_an_import_without_a_file_asks_for_one(alice: ApiUser) -> None:
    token = csrf_token_of(alice.client.get("/import").text)
    answer = alice.client.post(
        "/import",
        data={"csrf_token": token, "action": "check"},
        headers={"Origin": str(alice.client.base_url).rstrip("/")},
    )
    assert answer.status_code == 422 and "Choose a CSV file." in answer.text


def test_the_export_links_give_the_users_own_transactions(alice: ApiUser, bob: ApiUser) -> None:
    assert upload(alice, GOOD, "import").status_code == 303
    page = alice.client.get("/import").text
    for link in ("/api/export?format=csv", "/api/export?format=json", "/api/account/export"):
        assert f'href="{link}"' in page
        assert alice.client.get(link).status_code == 200, link
    assert alice.client.get("/api/export?format=csv").text.count("\n") == 4
    assert bob.client.get("/api/export?format=csv").text.count("\n") == 1  # the header only
