"""The alerts API: price alerts (an asset or a feed symbol above/below a level) and
portfolio alerts (a day's move beyond ±X %). A triggered alert notifies once, until re-armed."""

from __future__ import annotations

import uuid

from fastapi import status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.alerts import service
from portfolio_tracker.alerts.schemas import AlertCreate, AlertOut, AlertUpdate
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router

router = api_router(prefix="/api/alerts", tags=["alerts"])

ERRORS: Responses = {**NOT_AUTHENTICATED, 404: {"description": "No such alert of yours"}}


def _out(row: object) -> AlertOut:
    return AlertOut.model_validate(row, from_attributes=True)


@router.get("", response_model=list[AlertOut], responses=NOT_AUTHENTICATED)
def list_alerts(principal: CurrentUser, db: DbSession) -> list[AlertOut]:
    """Your alerts, oldest first."""
    return [_out(r) for r in service.list_alerts(db, principal.user.id)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AlertOut,
    responses={
        **ERRORS,
        404: {"description": "asset_id is not an asset of yours"},
        409: {"description": "Too many alerts"},
    },
)
def create_alert(body: AlertCreate, principal: CurrentUser, db: DbSession) -> AlertOut:
    """A new alert, armed. Evaluated every ALERTS_EVALUATE_MINUTES against the stored
    latest prices (and your portfolio's day change); when it fires you get one notification
    (in the app, by email if on, and to your webhook) and it stays `triggered` until
    re-armed."""
    return _out(service.create_alert(db, principal.user.id, body))


@router.get("/{alert_id}", response_model=AlertOut, responses=ERRORS)
def get_alert(alert_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> AlertOut:
    """One alert."""
    return _out(service.get_alert(db, principal.user.id, alert_id))


@router.put("/{alert_id}", response_model=AlertOut, responses=ERRORS)
def update_alert(
    alert_id: uuid.UUID, body: AlertUpdate, principal: CurrentUser, db: DbSession
) -> AlertOut:
    """Change `direction`, `level`, `move_pct` or `note` (fields left out stay; the result
    is validated as a create would be). A changed condition re-arms the alert."""
    return _out(service.update_alert(db, principal.user.id, alert_id, body))


@router.delete("/{alert_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def delete_alert(alert_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> None:
    """Delete an alert."""
    service.delete_alert(db, principal.user.id, alert_id)


@router.post("/{alert_id}/rearm", response_model=AlertOut, responses=ERRORS)
def rearm_alert(alert_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> AlertOut:
    """Arm a triggered alert again: it may notify once more."""
    return _out(service.rearm_alert(db, principal.user.id, alert_id))
