"""A user's alerts: create, change, delete, re-arm; every query is scoped to the owner.

Evaluation (whether an alert fires) is the job's (`alerts.evaluate`), with the rules in
`engine.alerts`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portfolio_tracker.alerts.schemas import AlertCreate, AlertKind, AlertUpdate, SymbolKind
from portfolio_tracker.api.bodies import validate_whole
from portfolio_tracker.assets.service import get_owned
from portfolio_tracker.db.models import Alert
from portfolio_tracker.engine.alerts import AlertState
from portfolio_tracker.engine.vocabulary import Metal
from portfolio_tracker.errors import Conflict, InvalidInput, NotFound

ALERT_NOT_FOUND = "Alert not found."
MAX_ALERTS = 200
_PRICE_FIELDS = ("asset_id", "symbol_kind", "symbol", "direction", "level")


def _require(value: object, field: str, why: str) -> None:
    if value is None:
        raise InvalidInput(why, ["body", field])


def _forbid(value: object, field: str, kind: str) -> None:
    if value is not None:
        raise InvalidInput(f"is not used by a {kind} alert: leave it out", ["body", field])


def check_shape(body: AlertCreate) -> AlertCreate:
    """The fields each kind needs and only those (422 naming the field); a symbol is
    upper-cased, and a metal symbol is XAU or XAG."""
    if body.kind is AlertKind.portfolio:
        _require(body.move_pct, "move_pct", "a portfolio alert needs move_pct (percent)")
        for field in _PRICE_FIELDS:
            _forbid(getattr(body, field), field, "portfolio")
        return body
    _forbid(body.move_pct, "move_pct", "price")
    _require(body.direction, "direction", "a price alert needs direction: above or below")
    _require(body.level, "level", "a price alert needs a level")
    if body.asset_id is not None:
        for field in ("symbol_kind", "symbol"):
            if getattr(body, field) is not None:
                raise InvalidInput("give asset_id or a symbol, not both", ["body", field])
        return body
    _require(body.symbol_kind, "symbol_kind", "give asset_id, or symbol_kind and symbol")
    _require(body.symbol, "symbol", "give asset_id, or symbol_kind and symbol")
    symbol = (body.symbol or "").upper()
    if body.symbol_kind is SymbolKind.metal and symbol not in (Metal.XAU, Metal.XAG):
        raise InvalidInput("a metal symbol is XAU (gold) or XAG (silver)", ["body", "symbol"])
    return body.model_copy(update={"symbol": symbol})


def list_alerts(db: Session, user_id: uuid.UUID) -> list[Alert]:
    """The user's alerts, oldest first."""
    return list(
        db.scalars(
            select(Alert).where(Alert.user_id == user_id).order_by(Alert.created_at, Alert.id)
        )
    )


def get_alert(db: Session, user_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    row = db.scalar(select(Alert).where(Alert.id == alert_id, Alert.user_id == user_id))
    if row is None:
        raise NotFound(ALERT_NOT_FOUND)
    return row


def create_alert(db: Session, user_id: uuid.UUID, body: AlertCreate) -> Alert:
    """A new armed alert. NotFound for an asset that is not the user's; Conflict past
    MAX_ALERTS alerts."""
    body = check_shape(body)
    if body.asset_id is not None:
        get_owned(db, user_id, body.asset_id)
    count = db.scalar(select(func.count()).select_from(Alert).where(Alert.user_id == user_id))
    if (count or 0) >= MAX_ALERTS:
        raise Conflict(f"You have {MAX_ALERTS} alerts, the most allowed: delete some first.")
    row = Alert(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=body.kind.value,
        asset_id=body.asset_id,
        symbol_kind=body.symbol_kind.value if body.symbol_kind else None,
        symbol=body.symbol,
        direction=body.direction.value if body.direction else None,
        level=body.level,
        move_pct=body.move_pct,
        note=body.note,
        state=AlertState.armed.value,
    )
    db.add(row)
    db.commit()
    return row


def _stored(row: Alert) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "asset_id": row.asset_id,
        "symbol_kind": row.symbol_kind,
        "symbol": row.symbol,
        "direction": row.direction,
        "level": row.level,
        "move_pct": row.move_pct,
        "note": row.note,
    }


def update_alert(db: Session, user_id: uuid.UUID, alert_id: uuid.UUID, body: AlertUpdate) -> Alert:
    """Apply the given fields, validated as the whole alert a create would accept; a changed
    condition (direction, level, move_pct) re-arms it."""
    row = get_alert(db, user_id, alert_id)
    stored = _stored(row)
    changes = body.model_dump(exclude_unset=True)
    whole = check_shape(validate_whole(AlertCreate, {**stored, **changes}))
    condition_changed = any(
        getattr(whole, name) != stored[name] for name in ("direction", "level", "move_pct")
    )
    row.direction = whole.direction.value if whole.direction else None
    row.level, row.move_pct, row.note = whole.level, whole.move_pct, whole.note
    if condition_changed:
        _arm(row)
    db.commit()
    return row


def _arm(row: Alert) -> None:
    row.state = AlertState.armed.value
    row.triggered_at = row.triggered_value = row.triggered_currency = None


def rearm_alert(db: Session, user_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    """Arm a triggered alert again (an armed one stays armed)."""
    row = get_alert(db, user_id, alert_id)
    _arm(row)
    db.commit()
    return row


def delete_alert(db: Session, user_id: uuid.UUID, alert_id: uuid.UUID) -> None:
    row = get_alert(db, user_id, alert_id)
    db.delete(row)
    db.commit()
