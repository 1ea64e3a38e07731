"""The asset and transaction pages through the ASGI app, on both databases: forms validated
by the API's own schemas and services (messages next to the field, nothing written on a
refusal), the asset page's lots, sells, transactions and manual prices, and another user's
rows answering 404 to pages and forms alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from page_forms import csrf_token_of, post_form
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from portfolio_tracker.prices import storage
from support import ApiUser


@pytest.fixture
def alice(make_user: Callable[..., ApiUser]) -> ApiUser:
    """Alice reads her pages in American English (an API sign-up starts in Turkish)."""
    user = make_user("alice@example.com")
    assert user.put("/api/settings", json={"locale": "en-US"}).status_code == 200
    return user


FUND = {"name": "AFT fund", "type": "fund", "ticker_symbol": "AFT"}


def send(user: ApiUser, path: str, data: dict[str, str]) -> Any:
    """Posts a page form to `path` with the token of this user's pages and this site's Origin."""
    return post_form(user.client, "/assets", data, action=path)


def asset_form(**fields: str) -> dict[str, str]:
    values = {
        "name": "Gram gold",
        "type": "metal",
        "ticker_symbol": "",
        "currency": "TRY",
        "unit": "gram",
        "fineness": "",
        "price_source": "auto",
    }
    return {**values, **fields}


def trade_form(asset_id: str, kind: str, quantity: str, price: str, day: str) -> dict[str, str]:
    return {
        "asset_id": asset_id,
        "type": kind,
        "quantity": quantity,
        "price_per_unit": price,
        "fee": "",
        "transaction_date": day,
        "note": "",
    }


def test_adding_a_metal_asset_keeps_its_unit_and_purity(alice: ApiUser) -> None:
    form = alice.client.get("/assets/new").text
    for unit in ("gram", "troy_ounce", "kilogram", "ceyrek", "yarim", "tam", "cumhuriyet"):
        assert f'value="{unit}"' in form
    assert 'value="0.916"' in form and "22k (0.916)" in form
    answer = send(alice, "/assets/new", asset_form(unit="ceyrek", name="Çeyrek"))
    assert answer.status_code == 303
    asset_id = answer.headers["location"].split("/")[2].split("?")[0]
    stored = alice.get(f"/api/assets/{asset_id}").json()
    assert (stored["unit"], stored["fineness"]) == ("ceyrek", None)
    gram = send(alice, "/assets/new", asset_form(fineness="0.916"))
    gram_id = gram.headers["location"].split("/")[2].split("?")[0]
    assert alice.get(f"/api/assets/{gram_id}").json()["fineness"] == "0.916"
    page = alice.client.get(gram.headers["location"])
    assert "Asset added." in page.text and "purity 0.916" in page.text


def test_an_invalid_asset_form_shows_the_schemas_messages_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    before = count_rows()
    answer = send(
        alice, "/assets/new", asset_form(name=" ", type="fund", unit="gram", currency="TR")
    )
    assert answer.status_code == 422
    assert 'id="name-errors"' in answer.text and "This field is required." in answer.text
    assert 'id="unit-errors"' in answer.text and "applies to metal assets only" in answer.text
    assert 'id="currency-errors"' in answer.text
    assert count_rows() == before


def test_editing_an_asset_clears_a_blank_ticker(alice: ApiUser) -> None:
    asset = alice.create_asset(**FUND)
    edit = alice.client.get(f"/assets/{asset['id']}/edit")
    assert 'value="AFT"' in edit.text
    answer = send(
        alice,
        f"/assets/{asset['id']}/edit",
        asset_form(name="Renamed", type="fund", unit="", ticker_symbol=""),
    )
    assert answer.status_code == 303
    stored = alice.get(f"/api/assets/{asset['id']}").json()
    assert (stored["name"], stored["ticker_symbol"]) == ("Renamed", None)


def test_a_sell_beyond_the_holding_names_the_date_and_shortfall_and_writes_nothing(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    asset = alice.create_asset()
    ok = send(
        alice, "/transactions/new", trade_form(asset["id"], "buy", "10", "2500", "2026-01-05")
    )
    assert ok.status_code == 303 and ok.headers["location"].startswith(f"/assets/{asset['id']}")
    before = count_rows()
    answer = send(
        alice, "/transactions/new", trade_form(asset["id"], "sell", "12,5", "2800", "2026-02-03")
    )
    assert answer.status_code == 422
    assert 'id="quantity-errors"' in answer.text
    assert "the sell on 02/03/2026 would exceed what is held then by 2.5" in answer.text
    assert 'value="12.5"' in answer.text  # what was typed stays (the decimal comma read)
    assert count_rows() == before


def test_a_transaction_form_shows_the_schemas_messages(alice: ApiUser) -> None:
    asset = alice.create_asset()
    answer = send(
        alice, "/transactions/new", trade_form(asset["id"], "buy", "-1", "abc", "2999-01-01")
    )
    assert answer.status_code == 422
    for field in ("quantity", "price_per_unit", "transaction_date"):
        assert f'id="{field}-errors"' in answer.text, field


def test_edit_and_delete_go_through_the_history_rule(
    alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    asset = alice.create_asset()
    buy = alice.trade(asset["id"], "buy", "10", "2500", "2026-01-05").json()
    alice.trade(asset["id"], "sell", "4", "2800", "2026-03-02")
    # Lowering the buy below the later sell is refused, naming that sell.
    refused = send(
        alice,
        f"/transactions/{buy['id']}/edit",
        trade_form(asset["id"], "buy", "3", "2500", "2026-01-05"),
    )
    assert refused.status_code == 422 and "the sell on 03/02/2026" in refused.text
    assert "by 1 (held 3, selling 4)" in refused.text
    edited = send(
        alice,
        f"/transactions/{buy['id']}/edit",
        trade_form(asset["id"], "buy", "12", "2400", "2026-01-05"),
    )
    assert edited.status_code == 303
    stored = alice.get(f"/api/transactions/{buy['id']}").json()
    assert (stored["quantity"], stored["price_per_unit"]) == ("12", "2400")
    # Deleting the buy would leave the sell without a holding: refused, nothing deleted.
    before = count_rows()
    confirm = alice.client.get(f"/transactions/{buy['id']}/delete")
    assert "Delete this transaction?" in confirm.text
    answer = send(alice, f"/transactions/{buy['id']}/delete", {})
    assert answer.status_code == 422 and "exceed what is held" in answer.text
    assert count_rows() == before


def test_the_asset_page_shows_lots_sells_transactions_and_manual_prices(alice: ApiUser) -> None:
    asset = alice.create_asset()
    alice.trade(asset["id"], "buy", "10", "2500", "2026-01-05")
    alice.trade(asset["id"], "buy", "5", "2600", "2026-02-02", fee="10")
    sell = alice.trade(asset["id"], "sell", "12", "2800", "2026-03-02").json()
    saved = send(alice, f"/assets/{asset['id']}/prices", {"date": "2026-03-10", "price": "3000"})
    assert saved.status_code == 303
    page = alice.client.get(f"/assets/{asset['id']}")
    assert page.status_code == 200
    text = page.text
    # FIFO: the sell takes all 10 of the first lot and 2 of the second; 3 stay open.
    assert 'data-testid="asset-quantity">3<' in text
    assert "10 from the buy of 01/05/2026, cost ₺25,000.00" in text
    assert "2 from the buy of 02/02/2026, cost ₺5,204.00" in text  # 2 × (2600 + 10/5)
    assert "+₺3,396.00" in text  # 12 × 2800 − 25,000 − 5,204
    assert text.count('data-transaction="') == 3
    assert f'href="/transactions/{sell["id"]}/edit"' in text
    assert 'id="price-chart"' in text and "₺3,000.00" in text
    # The manual price is listed and can be deleted.
    price_id = alice.get(f"/api/prices/manual?assetId={asset['id']}").json()[0]["id"]
    deleted = send(alice, f"/assets/{asset['id']}/prices/{price_id}/delete", {})
    assert deleted.status_code == 303
    assert alice.get(f"/api/prices/manual?assetId={asset['id']}").json() == []


def test_an_invalid_manual_price_is_shown_at_its_field(alice: ApiUser) -> None:
    asset = alice.create_asset()
    for values, field in (
        ({"date": "2026-01-05", "price": "-5"}, "price"),  # the schema's refusal
        ({"date": "2999-01-01", "price": "5"}, "date"),  # the service's: after the user's today
    ):
        answer = send(alice, f"/assets/{asset['id']}/prices", values)
        assert answer.status_code == 422
        assert f'id="{field}-errors"' in answer.text
    assert "must not be in the future: your today is" in answer.text
    assert alice.get(f"/api/prices/manual?assetId={asset['id']}").json() == []


def test_deleting_an_asset_takes_its_transactions(alice: ApiUser) -> None:
    asset = alice.create_asset()
    alice.trade(asset["id"], "buy", "1", "2500", "2026-01-05")
    assert "Delete Gram gold?" in alice.client.get(f"/assets/{asset['id']}/delete").text
    assert send(alice, f"/assets/{asset['id']}/delete", {}).status_code == 303
    assert alice.get(f"/api/assets/{asset['id']}").status_code == 404
    assert alice.get("/api/transactions").json() == []


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/assets/{asset}/edit", asset_form(name="Mine now")),
        ("/assets/{asset}/delete", {}),
        ("/assets/{asset}/prices", {"date": "2026-01-05", "price": "1"}),
        ("/assets/{asset}/prices/{price}/delete", {}),
        ("/transactions/{trade}/edit", {"quantity": "1"}),
        ("/transactions/{trade}/delete", {}),
        ("/transactions/new", {}),
    ],
)
def test_another_users_forms_are_refused_with_404_and_change_nothing(
    alice: ApiUser,
    bob: ApiUser,
    path: str,
    data: dict[str, str],
    count_rows: Callable[[], dict[str, int]],
) -> None:
    asset = alice.create_asset()
    trade = alice.trade(asset["id"], "buy", "10", "2500", "2026-01-05").json()
    price = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2026-01-05", "price": "1"}
    ).json()
    if path == "/transactions/new":
        data = trade_form(asset["id"], "buy", "1", "1", "2026-01-06")
    elif path.startswith("/transactions/"):
        data = {**trade_form(asset["id"], "buy", "1", "1", "2026-01-06"), **data}
    before = count_rows()
    concrete = path.format(asset=asset["id"], trade=trade["id"], price=price["id"])
    answer = send(bob, concrete, data)
    assert answer.status_code == 404
    assert "Gram gold" not in answer.text
    assert count_rows() == before
    assert alice.get(f"/api/assets/{asset['id']}").json()["name"] == "Gram gold"


def test_the_asset_page_in_turkish(alice: ApiUser) -> None:
    alice.put("/api/settings", json={"locale": "tr-TR"})
    asset = alice.create_asset()
    alice.trade(asset["id"], "buy", "1234.5", "2500", "2026-01-05")
    text = alice.client.get(f"/assets/{asset['id']}").text
    assert '<html lang="tr">' in text
    assert "1.234,5" in text and "2.500,00\xa0₺" in text and "05.01.2026" in text
    assert "Açık lotlar" in text


def test_the_price_chart_is_in_the_assets_currency(alice: ApiUser, engine: Engine) -> None:
    """A close in another currency (here a manual USD price of a TRY asset) is converted at
    its own day's rate, so closes and trade prices share one scale."""
    asset = alice.create_asset(price_source="manual")
    alice.trade(asset["id"], "buy", "1", "2500", "2026-01-05")
    with Session(engine) as db:
        storage.store_rates(
            db, [storage.Rate("USD", "TRY", date(2026, 1, 2), Decimal("40"), "tcmb")]
        )
        db.commit()
    price = {"asset_id": asset["id"], "date": "2026-01-06", "price": "75", "currency": "USD"}
    assert alice.post("/api/prices/manual", json=price).status_code == 201
    table = alice.client.get(f"/assets/{asset['id']}").text.split('id="price-table"')[1]
    assert "01/06/2026" in table and "₺3,000.00" in table


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/assets/new", asset_form(name="Forged")),
        ("/transactions/new", {}),
        ("/assets/{asset}/prices", {"date": "2026-01-05", "price": "1"}),
        ("/assets/{asset}/delete", {}),
    ],
)
def test_a_form_without_this_visitors_token_is_refused_and_writes_nothing(
    alice: ApiUser, path: str, data: dict[str, str], count_rows: Callable[[], dict[str, int]]
) -> None:
    asset = alice.create_asset()
    if path == "/transactions/new":
        data = trade_form(asset["id"], "buy", "1", "1", "2026-01-06")
    before = count_rows()
    origin = str(alice.client.base_url).rstrip("/")
    for token, sender in (("forged", origin), (None, origin), ("", "http://evil.example")):
        form = {**data} if token is None else {**data, "csrf_token": token}
        if sender != origin:  # a real token, from another site's page
            form["csrf_token"] = csrf_token_of(alice.client.get("/assets").text)
        answer = alice.client.post(
            path.format(asset=asset["id"]), data=form, headers={"Origin": sender}
        )
        assert answer.status_code == 403
    assert count_rows() == before


def test_the_asset_form_sets_and_changes_the_cost_basis_method(alice: ApiUser) -> None:
    form = alice.client.get("/assets/new").text
    for method in ("fifo", "average", "lifo", "hifo", "specific"):
        assert f'value="{method}"' in form
    answer = send(alice, "/assets/new", asset_form(cost_basis_method="hifo"))
    assert answer.status_code == 303
    asset_id = answer.headers["location"].split("/")[2].split("?")[0]
    assert alice.get(f"/api/assets/{asset_id}").json()["cost_basis_method"] == "hifo"
    edit = alice.client.get(f"/assets/{asset_id}/edit").text
    assert '<option value="hifo" selected' in edit
    answer = send(alice, f"/assets/{asset_id}/edit", asset_form(cost_basis_method="average"))
    assert answer.status_code == 303
    assert alice.get(f"/api/assets/{asset_id}").json()["cost_basis_method"] == "average"
    # A form without the field keeps the stored method.
    assert send(alice, f"/assets/{asset_id}/edit", asset_form()).status_code == 303
    assert alice.get(f"/api/assets/{asset_id}").json()["cost_basis_method"] == "average"
