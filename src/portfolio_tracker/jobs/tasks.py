"""The scheduled jobs themselves. Each takes the ``JobContext`` and returns a one-line
summary; raising marks the run failed (the error is recorded)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.alerts.evaluate import evaluate_alerts
from portfolio_tracker.backups.service import backup, prune
from portfolio_tracker.db.models import PortfolioSnapshot, User
from portfolio_tracker.jobs.schedule import Cadence, Daily, Every
from portfolio_tracker.notifications.outbox import process_due
from portfolio_tracker.notifications.summary import send_daily_summaries
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.service import compute_summary, viewer
from portfolio_tracker.prices.refresh import RefreshReport, backfill, refresh_latest
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.settings import Settings

logger = logging.getLogger(__name__)

# The daily backfill tops up this many recent days (the full history is fetched when an
# asset is created, and by `portfolio-tracker prices backfill`).
BACKFILL_DAYS = 14


class JobFailed(Exception):
    """A run that did its part but must be recorded as failed (e.g. every feed failed)."""


@dataclass(frozen=True, slots=True)
class JobContext:
    settings: Settings
    session_factory: sessionmaker[Session]
    prices: PriceService


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    cadence: Cadence
    run: Callable[[JobContext], str]


def refresh_prices(ctx: JobContext) -> str:
    """The latest quotes of every held symbol and every FX pair in use."""
    return _outcome(refresh_latest(ctx.session_factory, ctx.prices, held_only=True))


def backfill_history(ctx: JobContext) -> str:
    """The last BACKFILL_DAYS days of closes and exchange rates of everything in use."""
    since = ctx.prices.today() - timedelta(days=BACKFILL_DAYS)
    return _outcome(backfill(ctx.session_factory, ctx.prices, since=since))


def snapshot_portfolios(ctx: JobContext) -> str:
    """Each user's portfolio value today (their time zone's day, base currency), one row a
    user a day (a second run that day updates it). One user failing does not stop others."""
    cache = PortfolioCache.from_redis_url(None)  # in-process: the job reads each ledger once
    with ctx.session_factory() as db:
        user_ids = list(db.scalars(select(User.id).order_by(User.created_at)))
    failed = 0
    for user_id in user_ids:
        with ctx.session_factory() as db:
            try:
                who = viewer(db, user_id, None)
                summary = compute_summary(db, cache, who)
                values = {
                    "currency": summary.base_currency,
                    "market_value": summary.total_market_value,
                    "cost_basis": summary.total_cost_basis,
                    "unpriced_count": summary.unpriced_count,
                }
                row = db.scalar(
                    select(PortfolioSnapshot).where(
                        PortfolioSnapshot.user_id == user_id, PortfolioSnapshot.day == who.today
                    )
                )
                if row is None:
                    db.add(PortfolioSnapshot(user_id=user_id, day=who.today, **values))
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
                db.commit()
            except IntegrityError:  # the user was deleted meanwhile
                db.rollback()
            except Exception:
                db.rollback()
                failed += 1
                logger.exception("jobs: snapshot of user %s failed", user_id)
    summary_line = f"{len(user_ids) - failed} portfolios, {failed} failed"
    if failed:
        raise JobFailed(summary_line)
    return summary_line


def backup_database(ctx: JobContext) -> str:
    """A backup into BACKUP_DIR, then the ones older than BACKUP_KEEP_DAYS deleted."""
    out_dir = Path(ctx.settings.backup_dir)
    path = backup(ctx.settings.database_url, out_dir)
    deleted = prune(out_dir, ctx.settings.backup_keep_days)
    return f"wrote {path.name} ({path.stat().st_size} bytes), deleted {len(deleted)} old"


def evaluate_alert_rules(ctx: JobContext) -> str:
    """Every armed alert against the stored latest prices and each portfolio's day change;
    a fired alert's deliveries are then sent at once (not a minute later)."""
    report = evaluate_alerts(ctx.session_factory, ctx.settings)
    line = report.line()
    if report.triggered:
        line += "; deliveries: " + process_due(ctx.session_factory, ctx.settings).line()
    if report.failed:  # recorded as failed; the other users' alerts were evaluated
        raise JobFailed(line)
    return line


def deliver_notifications(ctx: JobContext) -> str:
    """The due emails and webhook POSTs of the outbox (retries included)."""
    return process_due(ctx.session_factory, ctx.settings).line()


def daily_summaries(ctx: JobContext) -> str:
    """The daily summary email of every user who asked for one, queued and then sent."""
    queued = send_daily_summaries(ctx.session_factory, ctx.settings)
    return f"{queued}; deliveries: " + process_due(ctx.session_factory, ctx.settings).line()


def _outcome(report: RefreshReport) -> str:
    line = f"{report.succeeded} succeeded, {report.failed} failed"
    failures = [f"{i.kind} {i.symbol}: {i.detail}" for i in report.items if not i.ok]
    if report.all_failed:
        raise JobFailed(line + "; " + "; ".join(failures[:5]))
    return line + ("; " + "; ".join(failures[:5]) if failures else "")


def scheduled_jobs(settings: Settings) -> tuple[Job, ...]:
    daily = Daily(time(settings.daily_jobs_hour))
    return (
        Job(
            "refresh-prices",
            Every(timedelta(minutes=settings.price_refresh_minutes)),
            refresh_prices,
        ),
        # After the refresh in the same tick (jobs run in this order), on the prices it stored.
        Job(
            "evaluate-alerts",
            Every(timedelta(minutes=settings.alerts_evaluate_minutes)),
            evaluate_alert_rules,
        ),
        Job("deliver-notifications", Every(timedelta(minutes=1)), deliver_notifications),
        Job("daily-summary", Daily(time(settings.daily_summary_hour)), daily_summaries),
        Job("backfill-history", daily, backfill_history),
        Job("snapshot-portfolios", daily, snapshot_portfolios),
        Job("backup", daily, backup_database),
    )
