"""The delivery outbox: emails and webhook POSTs are rows first, sent later by a job.

A request or a job that wants something delivered adds a `Delivery` row in its own
transaction (so it is delivered exactly when the notification exists) and returns at once;
`process_due` (the ``deliver-notifications`` job, every minute, and right after each alert
run) sends the rows that are due. A failure records the error and schedules the next attempt
after an exponential backoff; after DELIVERY_MAX_ATTEMPTS attempts the row is ``dead``.

Several processes may run `process_due` at once: each row is taken with a conditional
UPDATE that moves its ``next_attempt_at`` past a lease, and only the process whose UPDATE
changed the row sends it (at most one sender a row while the lease lasts).
"""

from __future__ import annotations

import json
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.db.models import Delivery, NotificationSettings, utcnow
from portfolio_tracker.notifications import mailer, webhooks
from portfolio_tracker.settings import Settings

logger = logging.getLogger(__name__)

PENDING, FAILED, SENT, DEAD = "pending", "failed", "sent", "dead"
EMAIL, WEBHOOK = "email", "webhook"
# While one process sends a row, others leave it alone this long.
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
ERROR_MAX = 1000
BATCH = 200


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Wait after the ``attempts``-th failed attempt (1, 2, ...): base, 2×base, 4×base, ...
    at most MAX_BACKOFF."""
    seconds = base_seconds * 2 ** min(max(attempts - 1, 0), 30)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def enqueue(
    db: Session,
    user_id: uuid.UUID,
    channel: str,
    payload: dict[str, Any],
    *,
    notification_id: uuid.UUID | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Add a delivery to the caller's transaction (not committed here). With a
    ``dedupe_key`` already queued, nothing is added and False is returned."""
    if dedupe_key is not None:
        exists = db.scalar(select(Delivery.id).where(Delivery.dedupe_key == dedupe_key))
        if exists is not None:
            return False
    row = Delivery(
        user_id=user_id,
        notification_id=notification_id,
        channel=channel,
        payload=payload,
        dedupe_key=dedupe_key,
        status=PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    if dedupe_key is None:
        db.add(row)
        return True
    try:  # a concurrent enqueue of the same key: the unique key keeps one
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        return False
    return True


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    def line(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.dead} given up"


def process_due(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> DeliveryReport:
    """Send every delivery that is due (at most BATCH of them); never raises for a failed
    send (it is recorded on the row)."""
    now = now or utcnow()
    report = DeliveryReport()
    with session_factory() as db:
        due = list(
            db.scalars(
                select(Delivery.id)
                .where(Delivery.status.in_((PENDING, FAILED)), Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(BATCH)
            )
        )
    for delivery_id in due:
        _deliver_one(session_factory, settings, delivery_id, now, report)
    return report


def _claim(db: Session, delivery_id: int, now: datetime) -> Delivery | None:
    taken = db.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status.in_((PENDING, FAILED)),
            Delivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE)
    )
    db.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return db.get(Delivery, delivery_id)


def _deliver_one(
    session_factory: sessionmaker[Session],
    settings: Settings,
    delivery_id: int,
    now: datetime,
    report: DeliveryReport,
) -> None:
    with session_factory() as db:
        row = _claim(db, delivery_id, now)
        if row is None:
            return  # another process has it
        error: str | None = None
        final = False
        try:
            if row.channel == EMAIL:
                mailer.send(settings, mailer.build_message(settings, row.payload))
            else:
                _send_webhook(db, settings, row)
        except webhooks.WebhookRefused as exc:
            error, final = str(exc), True
        except (smtplib.SMTPException, OSError, httpx.HTTPError, RuntimeError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a bug must not stop the other deliveries
            logger.exception("delivery %s failed unexpectedly", delivery_id)
            error = f"{type(exc).__name__}: {exc}"
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.last_error = SENT, utcnow(), None
            report.sent += 1
        elif final or row.attempts >= settings.delivery_max_attempts:
            row.status, row.last_error = DEAD, error[:ERROR_MAX]
            report.dead += 1
            logger.warning("delivery %s (%s) given up: %s", row.id, row.channel, error)
        else:
            row.status, row.last_error = FAILED, error[:ERROR_MAX]
            row.next_attempt_at = utcnow() + backoff(
                row.attempts, settings.delivery_backoff_seconds
            )
            report.failed += 1
            logger.info("delivery %s (%s) failed, retrying: %s", row.id, row.channel, error)
        db.commit()


class _NoWebhook(webhooks.WebhookRefused):
    """The user removed their webhook after this delivery was queued."""


def _send_webhook(db: Session, settings: Settings, row: Delivery) -> None:
    prefs = db.get(NotificationSettings, row.user_id)
    if prefs is None or not prefs.webhook_url:
        raise _NoWebhook("the webhook was removed")
    body = json.dumps(row.payload.get("body"), separators=(",", ":"), sort_keys=True).encode()
    call = webhooks.WebhookCall(
        url=prefs.webhook_url,
        secret=prefs.webhook_secret,
        body=body,
        delivery_id=row.id,
        timestamp=int(utcnow().timestamp()),
    )
    webhooks.post(call, settings.webhook_timeout_seconds, settings.webhook_allow_private)
