"""Manual exchange rates of one user: every query is scoped to the owner.

A manual rate is the user's own: it wins over a stored (feed) rate of the same pair and day
for that user only, in the portfolio summary and history (``engine.fx.RateTable``
overrides); everyone else keeps the feed's rate.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import ManualRate
from portfolio_tracker.db.upsert import put_row
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.errors import NotFound
from portfolio_tracker.manual_rates.schemas import ManualRateCreate
from portfolio_tracker.usersettings.service import not_after_today, user_time_zone

MANUAL_RATE_NOT_FOUND = "Manual rate not found."


def list_manual_rates(
    db: Session, user_id: uuid.UUID, base: str | None, quote: str | None
) -> list[ManualRate]:
    """The user's manual rates (of one base and/or quote), by pair then date."""
    query = select(ManualRate).where(ManualRate.user_id == user_id)
    if base is not None:
        query = query.where(ManualRate.base == base)
    if quote is not None:
        query = query.where(ManualRate.quote == quote)
    return list(db.scalars(query.order_by(ManualRate.base, ManualRate.quote, ManualRate.day)))


def put_manual_rate(
    db: Session, user_id: uuid.UUID, body: ManualRateCreate
) -> tuple[ManualRate, bool]:
    """Store the user's rate of a pair on a day; an existing one (same base, quote and day)
    is replaced. Returns the row and whether it was newly created."""
    not_after_today(body.date, user_time_zone(db, user_id), ["body", "date"])

    def update(row: ManualRate) -> None:
        row.rate = body.rate

    return put_row(
        db,
        find=lambda: db.scalar(
            select(ManualRate).where(
                ManualRate.user_id == user_id,
                ManualRate.base == body.base,
                ManualRate.quote == body.quote,
                ManualRate.day == body.date,
            )
        ),
        create=lambda: ManualRate(
            id=uuid.uuid4(),
            user_id=user_id,
            base=body.base,
            quote=body.quote,
            day=body.date,
            rate=body.rate,
        ),
        update=update,
        touch=lambda: bump_user(db, user_id),  # the user's figures change; nobody else's
    )


def delete_manual_rate(db: Session, user_id: uuid.UUID, rate_id: uuid.UUID) -> None:
    deleted = db.execute(
        delete(ManualRate).where(ManualRate.id == rate_id, ManualRate.user_id == user_id)
    )
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(MANUAL_RATE_NOT_FOUND)
    bump_user(db, user_id)
    db.commit()
