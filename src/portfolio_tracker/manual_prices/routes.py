"""The manual prices API: a user's own prices for assets no feed covers (or to patch a gap)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.manual_prices import service
from portfolio_tracker.manual_prices.schemas import ManualPriceCreate, ManualPriceOut

router = api_router(prefix="/api/prices/manual", tags=["prices"])

ERRORS: Responses = {
    **NOT_AUTHENTICATED,
    404: {"description": "No such asset or manual price of yours"},
}


@router.get("", response_model=list[ManualPriceOut], responses=ERRORS)
def list_manual_prices(
    principal: CurrentUser,
    db: DbSession,
    asset_id_camel: Annotated[uuid.UUID | None, Query(alias="assetId")] = None,
    asset_id: uuid.UUID | None = None,
) -> list[ManualPriceOut]:
    """The caller's manual prices (of one asset with `assetId`), by asset then date."""
    rows = service.list_manual_prices(db, principal.user.id, asset_id_camel or asset_id)
    return [ManualPriceOut.model_validate(r) for r in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ManualPriceOut,
    responses={**ERRORS, 200: {"description": "Replaced the price of that asset and date"}},
)
def put_manual_price(
    body: ManualPriceCreate, principal: CurrentUser, db: DbSession, response: Response
) -> ManualPriceOut:
    """Record an asset's price on a date (201). A price for the same asset and date is
    replaced (200). It wins over any feed price of that day."""
    row, created = service.put_manual_price(db, principal.user.id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return ManualPriceOut.model_validate(row)


@router.delete("/{price_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def delete_manual_price(price_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> None:
    """Delete one manual price."""
    service.delete_manual_price(db, principal.user.id, price_id)
