"""The alert evaluation job's work: every armed alert against what is stored now.

Prices are the stored ones (no feed is called here; the price refresh job stores them):
- an asset's price is the one the portfolio values it at (`portfolio.asset_prices`: feed
  closes, manual prices, its trades), in the asset's currency;
- a named symbol's price is its newest stored close from the feeds of its kind
  (`prices.sources`: which feed prices what), in the currency that feed quotes;
- a portfolio's move is the portfolio service's day change ratio in the user's base currency.

An alert that fires is marked triggered, its notification added and its deliveries queued
in one transaction (a conditional UPDATE on ``state = 'armed'``, so it fires once even if
two evaluations overlapped).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.db.models import Alert, Asset, User, utcnow
from portfolio_tracker.engine.alerts import AlertState, Direction, move_hit, price_hit, step
from portfolio_tracker.engine.money import quantize_money, to_plain_str
from portfolio_tracker.errors import NotFound
from portfolio_tracker.notifications.service import notify
from portfolio_tracker.portfolio.asset_prices import asset_prices
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.service import compute_summary, viewer
from portfolio_tracker.prices.sources import FeedSymbol, PriceKind, stored_sources_of
from portfolio_tracker.prices.storage import latest_close
from portfolio_tracker.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class EvaluationReport:
    checked: int = 0
    triggered: int = 0
    failed: int = 0

    def line(self) -> str:
        return f"{self.checked} alerts checked, {self.triggered} triggered, {self.failed} failed"


@dataclass(frozen=True, slots=True)
class Observed:
    """What an alert is compared with: a price (and its currency) or a day's move."""

    value: Decimal | None
    currency: str | None = None
    day_change: Decimal | None = None


def evaluate_alerts(session_factory: sessionmaker[Session], settings: Settings) -> EvaluationReport:
    """Evaluate every armed alert of every account not disabled, user by user; one user's
    failure does not stop others."""
    report = EvaluationReport()
    with session_factory() as db:
        user_ids = list(
            db.scalars(
                select(Alert.user_id)
                .join(User, User.id == Alert.user_id)
                .where(Alert.state == AlertState.armed.value, User.disabled_at.is_(None))
                .distinct()
                .order_by(Alert.user_id)
            )
        )
    cache = PortfolioCache.from_redis_url(None)
    for user_id in user_ids:
        with session_factory() as db:
            try:
                _evaluate_user(db, settings, cache, user_id, report)
            except Exception:
                db.rollback()
                report.failed += 1
                logger.exception("alerts: evaluating the alerts of user %s failed", user_id)
    return report


def _evaluate_user(
    db: Session,
    settings: Settings,
    cache: PortfolioCache,
    user_id: uuid.UUID,
    report: EvaluationReport,
) -> None:
    alerts = list(
        db.scalars(
            select(Alert)
            .where(Alert.user_id == user_id, Alert.state == AlertState.armed.value)
            .order_by(Alert.created_at, Alert.id)
        )
    )
    move: Observed | None = None
    for alert in alerts:
        report.checked += 1
        if alert.kind == "portfolio":
            if move is None:
                summary = compute_summary(db, cache, viewer(db, user_id, None))
                move = Observed(summary.day_change_pct, summary.base_currency, summary.day_change)
            observed = move
            hit = move_hit(alert.move_pct or Decimal(0), observed.value)
        else:
            observed = _price(db, alert)
            direction = Direction(alert.direction or Direction.above)
            hit = price_hit(direction, alert.level or Decimal(0), observed.value)
        if step(AlertState(alert.state), hit).notify and _fire(db, settings, alert, observed):
            report.triggered += 1


def _price(db: Session, alert: Alert) -> Observed:
    if alert.asset_id is not None:
        try:
            quote = asset_prices(db, alert.user_id, alert.asset_id).latest
        except NotFound:  # deleted meanwhile (its alerts go with it)
            return Observed(None)
        return Observed(quote.price, quote.currency) if quote else Observed(None)
    target = FeedSymbol(PriceKind(alert.symbol_kind or ""), alert.symbol or "")
    close = latest_close(db, stored_sources_of(target), target.symbol)
    return Observed(close.close, close.currency) if close else Observed(None)


def _fire(db: Session, settings: Settings, alert: Alert, observed: Observed) -> bool:
    """Mark the alert triggered and notify, in one transaction; False when another
    evaluation fired it first."""
    assert observed.value is not None  # a hit has a value
    taken = db.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.state == AlertState.armed.value)
        .values(
            state=AlertState.triggered.value,
            triggered_at=utcnow(),
            triggered_value=observed.value,
            triggered_currency=observed.currency,
        )
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        return False
    kind, title, body, data = _message(db, alert, observed)
    notify(db, settings, alert.user_id, kind, title, body, data)
    db.commit()
    return True


def _text(value: Decimal | None) -> str | None:
    return None if value is None else to_plain_str(value)


def _message(db: Session, alert: Alert, observed: Observed) -> tuple[str, str, str, dict[str, Any]]:
    value = observed.value or Decimal(0)
    data: dict[str, Any] = {"alert_id": str(alert.id), "alert_kind": alert.kind}
    if alert.kind == "portfolio":
        pct = quantize_money(value * 100, 2)
        change = quantize_money(observed.day_change or Decimal(0), 2)
        data.update(
            move=_text(value),
            move_pct=_text(alert.move_pct),
            day_change=_text(observed.day_change),
            currency=observed.currency,
        )
        title = f"Your portfolio moved {pct:+}% today"
        body = (
            f"Your portfolio's day change is {change:+} {observed.currency} ({pct:+}%), "
            f"beyond your alert of ±{to_plain_str(alert.move_pct or Decimal(0))}%."
        )
        return "portfolio_alert", title, body, data
    if alert.asset_id is not None:
        name = db.scalar(select(Asset.name).where(Asset.id == alert.asset_id)) or "Your asset"
    else:
        name = alert.symbol or ""
    level = to_plain_str(alert.level or Decimal(0))
    data.update(
        asset_id=str(alert.asset_id) if alert.asset_id else None,
        symbol_kind=alert.symbol_kind,
        symbol=alert.symbol,
        name=name,
        direction=alert.direction,
        level=_text(alert.level),
        price=_text(value),
        currency=observed.currency,
    )
    word = "at or above" if alert.direction == Direction.above else "at or below"
    title = f"{name}: {to_plain_str(value)} {observed.currency} ({alert.direction} {level})"
    body = (
        f"{name} is at {to_plain_str(value)} {observed.currency}, {word} your level of "
        f"{level} {observed.currency}."
    )
    return "price_alert", title, body, data
