"""The alerts page: your alerts (re-arm, delete) and the forms of a new price alert (one of
your assets, or a feed symbol) and a new portfolio alert — the alerts service behind HTML,
validated by the API's own `AlertCreate`, so a form refuses what POST /api/alerts refuses."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.alerts import service
from portfolio_tracker.alerts.schemas import AlertCreate, AlertOut
from portfolio_tracker.assets import service as assets
from portfolio_tracker.errors import Conflict, InvalidInput, NotFound
from portfolio_tracker.web.forms import (
    FORM,
    N_,
    Errors,
    errors_from_refusal,
    errors_from_validation,
    form_values,
)
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.pages.choices import typed_decimal
from portfolio_tracker.web.routing import page_router

router = page_router()

PRICE_FIELDS = ("asset_id", "symbol_kind", "symbol", "direction", "level", "note")
PORTFOLIO_FIELDS = ("move_pct", "portfolio_note")
NEW_PRICE = {"asset_id": "", "symbol_kind": "stock", "symbol": "", "direction": "above"}
DONE = {
    "created": N_("Alert added. It is checked against the stored prices every few minutes."),
    "rearmed": N_("Alert re-armed: it may notify you once more."),
    "deleted": N_("Alert deleted."),
}


def alerts_page(
    page: Page,
    *,
    price_values: dict[str, Any] | None = None,
    price_errors: Errors | None = None,
    portfolio_values: dict[str, Any] | None = None,
    portfolio_errors: Errors | None = None,
) -> Response:
    _ = page.gettext
    rows = [
        AlertOut.model_validate(a, from_attributes=True)
        for a in service.list_alerts(page.db, page.user.id)
    ]
    owned = assets.list_assets(page.db, page.user.id)
    names = {a.id: a.name for a in owned}
    currencies = {a.id: a.currency for a in owned}
    message = DONE.get(page.request.query_params.get("done", ""))
    failed = bool(price_errors or portfolio_errors)
    return page.render(
        "alerts.html",
        422 if failed else 200,
        alerts=rows,
        asset_names=names,
        asset_currencies=currencies,
        assets=[(str(a.id), a.name) for a in owned],
        symbol_kinds=[
            ("stock", _("Stock")),
            ("fund", _("Fund")),
            ("crypto", _("Crypto")),
            ("metal", _("Metal")),
        ],
        directions=[("above", _("At or above")), ("below", _("At or below"))],
        price_values={**NEW_PRICE, **(price_values or {})},
        price_errors=price_errors or {},
        portfolio_values=portfolio_values or {"move_pct": "", "portfolio_note": ""},
        portfolio_errors=portfolio_errors or {},
        notice=page.gettext(message) if message else None,
    )


@router.get("/alerts")
def alerts_list(page: SignedInPage) -> Response:
    return alerts_page(page)


def _create(page: Page, body: dict[str, Any]) -> Errors | None:
    try:
        service.create_alert(page.db, page.user.id, AlertCreate.model_validate(body))
    except ValidationError as exc:
        return errors_from_validation(exc, page.gettext)
    except InvalidInput as exc:
        return errors_from_refusal(exc, page.gettext)
    except NotFound:
        return {"asset_id": [page.gettext("Choose one of your assets.")]}
    except Conflict as exc:
        return {FORM: [page.gettext(exc.detail)]}
    return None


@router.post("/alerts/price")
def create_price_alert(page: SignedInForm) -> Response:
    values = form_values(page.form, PRICE_FIELDS)
    body: dict[str, Any] = {
        "kind": "price",
        "direction": values["direction"],
        "level": typed_decimal(values["level"].strip()),
    }
    if values["asset_id"]:
        body["asset_id"] = values["asset_id"]
    else:
        body["symbol_kind"] = values["symbol_kind"] or None
        body["symbol"] = values["symbol"].strip() or None
    if values["note"].strip():
        body["note"] = values["note"].strip()
    errors = _create(page, body)
    if errors:
        return alerts_page(page, price_values=values, price_errors=errors)
    return page.redirect("/alerts?done=created")


@router.post("/alerts/portfolio")
def create_portfolio_alert(page: SignedInForm) -> Response:
    values = form_values(page.form, PORTFOLIO_FIELDS)
    body: dict[str, Any] = {
        "kind": "portfolio",
        "move_pct": typed_decimal(values["move_pct"].strip()),
    }
    if values["portfolio_note"].strip():
        body["note"] = values["portfolio_note"].strip()
    errors = _create(page, body)
    if errors:
        if "note" in errors:  # the field is named apart from the price form's note
            errors["portfolio_note"] = errors.pop("note")
        return alerts_page(page, portfolio_values=values, portfolio_errors=errors)
    return page.redirect("/alerts?done=created")


@router.post("/alerts/{alert_id}/rearm")
def rearm_alert(alert_id: uuid.UUID, page: SignedInForm) -> Response:
    service.rearm_alert(page.db, page.user.id, alert_id)  # NotFound: not the user's
    return page.redirect("/alerts?done=rearmed")


@router.post("/alerts/{alert_id}/delete")
def delete_alert(alert_id: uuid.UUID, page: SignedInForm) -> Response:
    service.delete_alert(page.db, page.user.id, alert_id)
    return page.redirect("/alerts?done=deleted")
