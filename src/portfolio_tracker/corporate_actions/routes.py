"""The corporate-actions API: /api/assets/{asset_id}/corporate-actions."""

from __future__ import annotations

import uuid

from fastapi import status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.corporate_actions import service
from portfolio_tracker.corporate_actions.schemas import CorporateActionCreate, CorporateActionOut

router = api_router(prefix="/api/assets/{asset_id}/corporate-actions", tags=["corporate actions"])

ERRORS: Responses = {
    **NOT_AUTHENTICATED,
    404: {"description": "No such asset or action of yours"},
}
REFUSED: Responses = {
    422: {"description": "Invalid input, or a later sell would then exceed what is held"}
}


@router.get("", response_model=list[CorporateActionOut], responses=ERRORS)
def list_actions(
    asset_id: uuid.UUID, principal: CurrentUser, db: DbSession
) -> list[CorporateActionOut]:
    """The asset's confirmed actions and the feed's unconfirmed suggestions, by ex-date."""
    rows = service.list_actions(db, principal.user.id, asset_id)
    return [CorporateActionOut.of(r) for r in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CorporateActionOut,
    responses={**ERRORS, **REFUSED, 409: {"description": "A confirmed one of that day and type"}},
)
def create_action(
    asset_id: uuid.UUID, body: CorporateActionCreate, principal: CurrentUser, db: DbSession
) -> CorporateActionOut:
    """Record a split, reverse split or bonus issue. From its ex-date on, every open lot's
    quantity is multiplied by numerator/denominator and its unit cost by the inverse (total
    cost and acquisition date unchanged); trades recorded on or after the ex-date are in
    post-action quantities. Refused when a later sell would then exceed what is held."""
    return CorporateActionOut.of(service.create_action(db, principal.user.id, asset_id, body))


@router.post(
    "/{action_id}/confirm", response_model=CorporateActionOut, responses={**ERRORS, **REFUSED}
)
def confirm_action(
    asset_id: uuid.UUID, action_id: uuid.UUID, principal: CurrentUser, db: DbSession
) -> CorporateActionOut:
    """Apply a suggested action (from the price feed's split events)."""
    row = service.confirm_action(db, principal.user.id, asset_id, action_id)
    return CorporateActionOut.of(row)


@router.delete(
    "/{action_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**ERRORS, **REFUSED}
)
def delete_action(
    asset_id: uuid.UUID, action_id: uuid.UUID, principal: CurrentUser, db: DbSession
) -> None:
    """Delete an action (refused when a later sell would then exceed what is held), or
    dismiss a suggestion (it is not offered again)."""
    service.delete_action(db, principal.user.id, asset_id, action_id)
