"""Corporate actions of one user's assets: entered, suggested by a feed, confirmed, deleted.

Every change takes the asset's lock (`assets.ledger.lock_asset`, which also bumps the user's
data version, so cached figures are recomputed) and replays the asset's history with the
change applied: an action that would make a later sell exceed what is held is refused with
a 422 and nothing is written. Transactions are never rewritten (engine/actions.py).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import (
    CONFIRMED,
    Basis,
    action_of,
    load_actions,
    load_basis,
    load_trades,
    lock_asset,
)
from portfolio_tracker.assets.service import get_owned as get_owned_asset
from portfolio_tracker.corporate_actions.schemas import CorporateActionCreate
from portfolio_tracker.db.models import CorporateAction
from portfolio_tracker.engine import actions as engine_actions
from portfolio_tracker.engine.lots import OversellError
from portfolio_tracker.engine.methods import AllocationError
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.engine.vocabulary import CorporateActionKind
from portfolio_tracker.errors import Conflict, HistoryBroken, InvalidInput, NotFound
from portfolio_tracker.usersettings.service import not_after_today, user_time_zone

ACTION_NOT_FOUND = "Corporate action not found."
SUGGESTED = "suggested"
DISMISSED = "dismissed"


def list_actions(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID) -> list[CorporateAction]:
    """The asset's confirmed and suggested actions by ex-date; NotFound for a foreign asset."""
    get_owned_asset(db, user_id, asset_id)
    return list(
        db.scalars(
            select(CorporateAction)
            .where(
                CorporateAction.asset_id == asset_id,
                CorporateAction.user_id == user_id,
                CorporateAction.status != DISMISSED,
            )
            .order_by(CorporateAction.ex_date, CorporateAction.created_at, CorporateAction.id)
        )
    )


def _ratio(body: CorporateActionCreate) -> tuple[Decimal, Decimal]:
    if body.bonus_percent is not None:
        if body.type != CorporateActionKind.BONUS:
            raise InvalidInput("bonus_percent applies to a bonus issue only", ["body", "type"])
        if body.numerator is not None or body.denominator is not None:
            raise InvalidInput(
                "give either bonus_percent or numerator and denominator, not both",
                ["body", "bonus_percent"],
            )
        return engine_actions.bonus_ratio(body.bonus_percent)
    for name in ("numerator", "denominator"):
        if getattr(body, name) is None:
            raise InvalidInput(
                f"{name} is required (or bonus_percent for a bonus issue)", ["body", name]
            )
    assert body.numerator is not None and body.denominator is not None
    return body.numerator, body.denominator


def _engine_action(
    action_id: str, kind: CorporateActionKind, ex_date: date, n: Decimal, d: Decimal
) -> engine_actions.CorporateAction:
    try:
        return engine_actions.CorporateAction(action_id, kind, ex_date, n, d)
    except ValueError as exc:
        message = str(exc).split(": ", 1)[-1]
        raise InvalidInput(message, ["body", "numerator"]) from exc


def _check(
    db: Session,
    asset_id: uuid.UUID,
    actions: tuple[engine_actions.CorporateAction, ...],
    change: str,
    loc: list[str | int],
) -> None:
    """Replay the asset's history with `actions` in force; 422 when it breaks."""
    basis: Basis = load_basis(db, asset_id).with_actions(actions)
    try:
        basis.check(load_trades(db, asset_id))
    except OversellError as exc:
        raise HistoryBroken(
            exc,
            f"{change} would make the sell {exc.sell_id}, on {exc.day.isoformat()}, sell more "
            f"than is held, by {to_plain_str(exc.shortfall)} (held {to_plain_str(exc.held)}, "
            f"selling {to_plain_str(exc.requested)})",
            loc,
        ) from exc
    except AllocationError as exc:
        raise InvalidInput(
            f"{change} would leave the allocations of the sell {exc.sell_id} unmet: {exc}", loc
        ) from exc


def _confirmed(
    db: Session, asset_id: uuid.UUID, without: uuid.UUID | None = None
) -> list[engine_actions.CorporateAction]:
    """The asset's confirmed actions (`load_actions`), less the one `without` names."""
    skip = str(without) if without is not None else None
    return [action for action in load_actions(db, asset_id) if action.id != skip]


def create_action(
    db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, body: CorporateActionCreate
) -> CorporateAction:
    """Record a confirmed action (a suggestion of the same day and type becomes it).

    NotFound for a foreign asset; InvalidInput for a bad ratio or a future ex-date;
    HistoryBroken when a later sell would oversell; Conflict when a confirmed action of the
    same type already has that ex-date."""
    lock_asset(db, user_id, asset_id)
    not_after_today(body.ex_date, user_time_zone(db, user_id), ["body", "ex_date"])
    numerator, denominator = _ratio(body)
    new = _engine_action("new", body.type, body.ex_date, numerator, denominator)
    existing = db.scalar(
        select(CorporateAction).where(
            CorporateAction.asset_id == asset_id,
            CorporateAction.ex_date == body.ex_date,
            CorporateAction.kind == body.type.value,
        )
    )
    if existing is not None and existing.status == CONFIRMED:
        raise Conflict(
            f"this asset already has a confirmed {body.type.value} on "
            f"{body.ex_date.isoformat()}; delete it first to enter another"
        )
    _check(
        db,
        asset_id,
        (*_confirmed(db, asset_id), new),
        "this corporate action",
        ["body", "ex_date"],
    )
    row = existing or CorporateAction(
        user_id=user_id, asset_id=asset_id, kind=body.type.value, ex_date=body.ex_date
    )
    row.numerator, row.denominator = numerator, denominator
    row.status, row.source = CONFIRMED, None
    db.add(row)
    db.commit()
    return row


def _owned(
    db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, action_id: uuid.UUID
) -> CorporateAction:
    row = db.scalar(
        select(CorporateAction).where(
            CorporateAction.id == action_id,
            CorporateAction.asset_id == asset_id,
            CorporateAction.user_id == user_id,
            CorporateAction.status != DISMISSED,
        )
    )
    if row is None:
        raise NotFound(ACTION_NOT_FOUND)
    return row


def confirm_action(
    db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, action_id: uuid.UUID
) -> CorporateAction:
    """Apply a suggested action (a confirmed one is answered as it is); 422 when the history
    would break under it."""
    lock_asset(db, user_id, asset_id)
    row = _owned(db, user_id, asset_id, action_id)
    if row.status == CONFIRMED:
        return row
    new = action_of(row.id, row.kind, row.ex_date, row.numerator, row.denominator)
    _check(
        db,
        asset_id,
        (*_confirmed(db, asset_id), new),
        "confirming this corporate action",
        ["path", "action_id"],
    )
    row.status = CONFIRMED
    db.commit()
    return row


def delete_action(
    db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, action_id: uuid.UUID
) -> None:
    """Delete a confirmed action (422 when a later sell would then oversell), or dismiss a
    suggestion (kept as `dismissed` so that the feed does not offer it again)."""
    lock_asset(db, user_id, asset_id)
    row = _owned(db, user_id, asset_id, action_id)
    if row.status == SUGGESTED:
        row.status = DISMISSED
        db.commit()
        return
    _check(
        db,
        asset_id,
        tuple(_confirmed(db, asset_id, without=row.id)),
        "deleting this corporate action",
        ["path", "action_id"],
    )
    db.delete(row)
    db.commit()
