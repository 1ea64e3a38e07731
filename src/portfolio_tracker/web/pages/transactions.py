"""Add, edit and delete a transaction: the transactions service behind HTML forms.

A form is validated by the API's own bodies (`TransactionCreate`, `TransactionUpdate`) and
written by the same service, so the history rule is the API's: a change that would make any
sell exceed what is held at its date is refused, and the page says which sell and by how much.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.assets import service as assets_service
from portfolio_tracker.engine.lots import OversellError
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.portfolio.service import viewer
from portfolio_tracker.prices.deps import Backfill
from portfolio_tracker.transactions import service
from portfolio_tracker.transactions.schemas import (
    TransactionCreate,
    TransactionOut,
    TransactionUpdate,
)
from portfolio_tracker.web.forms import (
    FORM,
    Errors,
    errors_from_refusal,
    errors_from_validation,
    form_values,
)
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.pages import choices
from portfolio_tracker.web.routing import page_router

router = page_router()

FIELDS = ("asset_id", "type", "quantity", "price_per_unit", "fee", "transaction_date", "note")
DECIMALS = ("quantity", "price_per_unit", "fee")


def oversell_message(page: Page, exc: OversellError) -> str:
    """The engine's refusal in the page's language and formats: which sell, by how much."""
    return page.gettext(
        "Refused: the sell on %(day)s would exceed what is held then by %(shortfall)s "
        "(held %(held)s, selling %(requested)s).",
        day=page.format.day(exc.day),
        shortfall=page.format.number(exc.shortfall),
        held=page.format.number(exc.held),
        requested=page.format.number(exc.requested),
    )


def transaction_form(
    page: Page,
    values: dict[str, Any],
    errors: Errors | None = None,
    trade: TransactionOut | None = None,
) -> Response:
    assets = assets_service.list_assets(page.db, page.user.id)
    return page.render(
        "transaction_form.html",
        422 if errors else 200,
        trade=trade,
        values=values,
        errors=errors or {},
        assets=[(str(a.id), a.name) for a in assets],
        types=choices.trade_types(page.gettext),
        today=page_today(page),
    )


def page_today(page: Page) -> str:
    """The user's today (their time zone), as a date field's value."""
    return viewer(page.db, page.user.id, None).today.isoformat()


def _submitted(page: Page) -> dict[str, Any]:
    values = form_values(page.form, FIELDS)
    for name in DECIMALS:
        values[name] = choices.typed_decimal(values[name])
    return values


def _body(values: dict[str, Any], *, blank_note: object) -> dict[str, Any]:
    body = dict(values)
    if not body["fee"].strip():
        body["fee"] = "0"
    if not body["note"].strip():
        body["note"] = blank_note
    return body


def _refused(page: Page, exc: OversellError) -> Errors:
    return {"quantity": [oversell_message(page, exc)]}


@router.get("/transactions/new")
def new_transaction_page(page: SignedInPage) -> Response:
    asset = page.request.query_params.get("asset", "")
    kind = page.request.query_params.get("type", "buy")
    values = {
        "asset_id": asset,
        "type": kind if kind in ("buy", "sell") else "buy",
        "quantity": "",
        "price_per_unit": "",
        "fee": "0",
        "transaction_date": page_today(page),
        "note": "",
    }
    return transaction_form(page, values)


@router.post("/transactions/new")
def create_transaction(page: SignedInForm, backfill: Backfill) -> Response:
    values = _submitted(page)
    try:
        body = TransactionCreate.model_validate(_body(values, blank_note=None))
        row = service.create_transaction(page.db, page.user.id, body)
    except ValidationError as exc:
        return transaction_form(page, values, errors_from_validation(exc, page.gettext))
    except OversellError as exc:
        page.db.rollback()
        return transaction_form(page, values, _refused(page, exc))
    except InvalidInput as exc:
        page.db.rollback()
        return transaction_form(page, values, errors_from_refusal(exc, page.gettext))
    backfill.trade_day(row.asset_id, row.trade_date)
    return page.redirect(f"/assets/{row.asset_id}?done=transaction-created")


def stored_values(trade: TransactionOut) -> dict[str, Any]:
    return {
        "asset_id": str(trade.asset_id),
        "type": trade.type.value,
        "quantity": to_plain_str(trade.quantity),
        "price_per_unit": to_plain_str(trade.price_per_unit),
        "fee": to_plain_str(trade.fee),
        "transaction_date": trade.trade_date.isoformat(),
        "note": trade.note or "",
    }


def _owned(page: Page, transaction_id: uuid.UUID) -> TransactionOut:
    return TransactionOut.of(service.get_owned(page.db, page.user.id, transaction_id))


@router.get("/transactions/{transaction_id}/edit")
def edit_transaction_page(transaction_id: uuid.UUID, page: SignedInPage) -> Response:
    trade = _owned(page, transaction_id)
    return transaction_form(page, stored_values(trade), trade=trade)


@router.post("/transactions/{transaction_id}/edit")
def update_transaction(
    transaction_id: uuid.UUID, page: SignedInForm, backfill: Backfill
) -> Response:
    trade = _owned(page, transaction_id)
    values = _submitted(page)
    changes = _body(values, blank_note=None)
    if changes["transaction_date"] == stored_values(trade)["transaction_date"]:
        del changes["transaction_date"]  # same day: a recorded time of day stays
    try:
        body = TransactionUpdate.model_validate(changes)
        row = service.update_transaction(page.db, page.user.id, transaction_id, body)
    except ValidationError as exc:
        return transaction_form(page, values, errors_from_validation(exc, page.gettext), trade)
    except OversellError as exc:
        page.db.rollback()
        return transaction_form(page, values, _refused(page, exc), trade)
    except InvalidInput as exc:
        page.db.rollback()
        return transaction_form(page, values, errors_from_refusal(exc, page.gettext), trade)
    backfill.trade_day(row.asset_id, row.trade_date)
    return page.redirect(f"/assets/{row.asset_id}?done=transaction-updated")


def _confirm(page: Page, trade: TransactionOut, errors: Errors | None = None) -> Response:
    labels = dict(choices.trade_types(page.gettext))
    return page.render(
        "confirm_delete.html",
        422 if errors else 200,
        title=page.gettext("Delete this transaction?"),
        message=page.gettext(
            "%(type)s of %(quantity)s on %(day)s will be deleted.",
            type=labels[trade.type.value],
            quantity=page.format.number(trade.quantity),
            day=page.format.day(trade.trade_date),
        ),
        action=f"/transactions/{trade.id}/delete",
        back=f"/assets/{trade.asset_id}",
        errors=errors or {},
    )


@router.get("/transactions/{transaction_id}/delete")
def delete_transaction_page(transaction_id: uuid.UUID, page: SignedInPage) -> Response:
    """The confirmation step without JavaScript (with it, a dialog on the asset page)."""
    return _confirm(page, _owned(page, transaction_id))


@router.post("/transactions/{transaction_id}/delete")
def delete_transaction(transaction_id: uuid.UUID, page: SignedInForm) -> Response:
    trade = _owned(page, transaction_id)
    try:
        service.delete_transaction(page.db, page.user.id, transaction_id)
    except OversellError as exc:
        page.db.rollback()
        return _confirm(page, trade, {FORM: [oversell_message(page, exc)]})
    return page.redirect(f"/assets/{trade.asset_id}?done=transaction-deleted")
