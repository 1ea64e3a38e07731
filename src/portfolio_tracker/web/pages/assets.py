"""The assets list and the add, edit and delete asset forms: the assets service behind HTML.

A form is validated by the API's own bodies (`AssetCreate`, `AssetUpdate`), so a page refuses
exactly what POST/PUT /api/assets refuse, with the messages next to their fields.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.assets import service
from portfolio_tracker.assets.schemas import AssetCreate, AssetOut, AssetUpdate
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.portfolio import service as portfolio_service
from portfolio_tracker.portfolio.deps import Cache
from portfolio_tracker.portfolio.schemas import PortfolioOut
from portfolio_tracker.prices.deps import Backfill
from portfolio_tracker.web.forms import N_, Errors, errors_from_validation, form_values
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.pages import choices
from portfolio_tracker.web.routing import page_router

router = page_router()

FIELDS = (
    "name",
    "type",
    "ticker_symbol",
    "currency",
    "unit",
    "fineness",
    "price_source",
    "cost_basis_method",
)
# Left blank, these are absent on creation and cleared on an edit.
CLEARABLE = ("ticker_symbol", "unit", "fineness")
NEW_ASSET = {
    "name": "",
    "type": "metal",
    "ticker_symbol": "",
    "currency": "TRY",
    "unit": "gram",
    "fineness": "",
    "price_source": "auto",
    "cost_basis_method": "fifo",
}
_ABSENT = object()  # _as_body: leave blank clearable fields out
# What a redirect's ?done= says once the page is shown again.
DONE = {
    "asset-created": N_("Asset added. Record what you bought with “Add a transaction”."),
    "asset-updated": N_("Asset saved."),
    "asset-deleted": N_("Asset deleted with its transactions."),
    "transaction-created": N_("Transaction added."),
    "transaction-updated": N_("Transaction saved."),
    "transaction-deleted": N_("Transaction deleted."),
    "price-saved": N_("Price saved."),
    "price-deleted": N_("Price deleted."),
}


def done_notice(page: Page) -> str | None:
    """The confirmation a redirect asked for (?done=<key>), in the page's language."""
    message = DONE.get(page.request.query_params.get("done", ""))
    return page.gettext(message) if message else None


@router.get("/assets")
def assets_list(page: SignedInPage, cache: Cache) -> Response:
    body = portfolio_service.portfolio_summary(page.db, cache, page.user.id, None)
    summary = PortfolioOut.model_validate_json(body)
    holdings = {h.asset_id: h for h in summary.holdings}
    assets = [AssetOut.model_validate(a) for a in service.list_assets(page.db, page.user.id)]
    return page.render(
        "assets.html",
        assets=assets,
        holdings=holdings,
        base_currency=summary.base_currency,
        type_labels=dict(choices.asset_types(page.gettext)),
        unit_labels=dict(choices.metal_units(page.gettext)),
        notice=done_notice(page),
    )


def asset_form(
    page: Page,
    values: dict[str, Any],
    errors: Errors | None = None,
    asset: AssetOut | None = None,
) -> Response:
    _ = page.gettext
    return page.render(
        "asset_form.html",
        422 if errors else 200,
        asset=asset,
        values=values,
        errors=errors or {},
        types=choices.asset_types(_),
        units=choices.metal_units(_),
        purities=choices.purities(_, values.get("fineness") or ""),
        sources=choices.price_sources(_),
        methods=choices.cost_basis_methods(_),
        currencies=choices.currencies(values.get("currency") or ""),
    )


def _submitted(page: Page) -> dict[str, Any]:
    # A form without the method (an older page) keeps the stored one, fifo for a new asset.
    values = form_values(page.form, FIELDS, optional=("cost_basis_method",))
    values["fineness"] = choices.typed_decimal(values["fineness"])
    return values


def _as_body(values: dict[str, Any], *, blank: object) -> dict[str, Any]:
    """The form's values as an API body: blank clearable fields become `blank`
    (left out when creating, None to clear when editing)."""
    body = {}
    for name, value in values.items():
        if name in CLEARABLE and not value.strip():
            if blank is not _ABSENT:
                body[name] = blank
            continue
        body[name] = value
    return body


@router.get("/assets/new")
def new_asset_page(page: SignedInPage) -> Response:
    return asset_form(page, dict(NEW_ASSET))


@router.post("/assets/new")
def create_asset(page: SignedInForm, backfill: Backfill) -> Response:
    values = _submitted(page)
    try:
        body = AssetCreate.model_validate(_as_body(values, blank=_ABSENT))
    except ValidationError as exc:
        return asset_form(page, values, errors_from_validation(exc, page.gettext))
    asset = service.create_asset(page.db, page.user.id, body)
    backfill.new_asset(asset.id)
    return page.redirect(f"/assets/{asset.id}?done=asset-created")


def stored_values(asset: AssetOut) -> dict[str, Any]:
    """An asset as its form shows it."""
    return {
        "name": asset.name,
        "type": asset.type.value,
        "ticker_symbol": asset.ticker_symbol or "",
        "currency": asset.currency,
        "unit": asset.unit.value if asset.unit else "",
        "fineness": to_plain_str(asset.fineness) if asset.fineness is not None else "",
        "price_source": asset.price_source.value,
        "cost_basis_method": asset.cost_basis_method.value,
    }


@router.get("/assets/{asset_id}/edit")
def edit_asset_page(asset_id: uuid.UUID, page: SignedInPage) -> Response:
    asset = AssetOut.model_validate(service.get_owned(page.db, page.user.id, asset_id))
    return asset_form(page, stored_values(asset), asset=asset)


@router.post("/assets/{asset_id}/edit")
def update_asset(asset_id: uuid.UUID, page: SignedInForm) -> Response:
    asset = AssetOut.model_validate(service.get_owned(page.db, page.user.id, asset_id))
    values = _submitted(page)
    try:
        body = AssetUpdate.model_validate(_as_body(values, blank=None))
    except ValidationError as exc:
        return asset_form(page, values, errors_from_validation(exc, page.gettext), asset)
    service.update_asset(page.db, page.user.id, asset_id, body)
    return page.redirect(f"/assets/{asset_id}?done=asset-updated")


@router.get("/assets/{asset_id}/delete")
def delete_asset_page(asset_id: uuid.UUID, page: SignedInPage) -> Response:
    """The confirmation step without JavaScript (with it, a dialog on the asset page)."""
    asset = AssetOut.model_validate(service.get_owned(page.db, page.user.id, asset_id))
    return page.render(
        "confirm_delete.html",
        title=page.gettext("Delete %(name)s?", name=asset.name),
        message=page.gettext(
            "The asset, all of its transactions and its manual prices will be deleted."
        ),
        action=f"/assets/{asset_id}/delete",
        back=f"/assets/{asset_id}",
        errors={},
    )


@router.post("/assets/{asset_id}/delete")
def delete_asset(asset_id: uuid.UUID, page: SignedInForm) -> Response:
    service.delete_asset(page.db, page.user.id, asset_id)
    return page.redirect("/assets?done=asset-deleted")
