"""In-app notifications and how each user wants them delivered; every query is scoped to
the owner.

`notify` is how the rest of the app tells a user something: it adds the notification and
queues its email and webhook deliveries (`outbox`) in the caller's transaction; nothing is
sent during the caller's request or job step.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import Notification, NotificationSettings, User, utcnow
from portfolio_tracker.errors import InvalidInput, NotFound
from portfolio_tracker.notifications import mailer, outbox
from portfolio_tracker.notifications.schemas import (
    NotificationSettingsOut,
    NotificationSettingsUpdate,
)
from portfolio_tracker.notifications.webhooks import is_public
from portfolio_tracker.settings import Settings

NOTIFICATION_NOT_FOUND = "Notification not found."
UNSUBSCRIBE_PURPOSE = b"unsubscribe:daily-summary:"


# --- settings ------------------------------------------------------------------------------


def _new_key() -> str:
    return secrets.token_hex(32)


def preferences(db: Session, user_id: uuid.UUID) -> NotificationSettings:
    """The user's row, created with the defaults (and fresh secrets) on first use; the
    caller commits."""
    row = db.get(NotificationSettings, user_id)
    if row is None:
        row = NotificationSettings(
            user_id=user_id,
            email_alerts=True,
            daily_summary=False,
            webhook_url=None,
            webhook_secret=_new_key(),
            unsubscribe_key=_new_key(),
        )
        db.add(row)
        db.flush()
    return row


def settings_out(row: NotificationSettings, settings: Settings) -> NotificationSettingsOut:
    return NotificationSettingsOut(
        email_alerts=row.email_alerts,
        daily_summary=row.daily_summary,
        webhook_url=row.webhook_url,
        webhook_secret=row.webhook_secret,
        email_available=mailer.email_enabled(settings),
    )


def get_preferences(db: Session, settings: Settings, user_id: uuid.UUID) -> NotificationSettingsOut:
    row = preferences(db, user_id)
    db.commit()
    return settings_out(row, settings)


def _check_host(url: str, settings: Settings) -> None:
    """Refuse a webhook whose host is plainly not public (a literal private address or
    localhost) when saving; names are checked again, resolved, at every send."""
    if settings.webhook_allow_private:
        return
    host = (urlsplit(url).hostname or "").lower()
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if (
        (literal is not None and not is_public(literal))
        or host == "localhost"
        or (host.endswith(".localhost"))
    ):
        raise InvalidInput(
            "must be a public address: private, loopback and link-local targets are refused",
            ["body", "webhook_url"],
        )


def update_preferences(
    db: Session, settings: Settings, user_id: uuid.UUID, body: NotificationSettingsUpdate
) -> NotificationSettingsOut:
    """Apply the fields given (a null webhook_url removes the webhook)."""
    if body.webhook_url is not None:
        _check_host(body.webhook_url, settings)
    row = preferences(db, user_id)
    if body.email_alerts is not None:
        row.email_alerts = body.email_alerts
    if body.daily_summary is not None:
        row.daily_summary = body.daily_summary
    if "webhook_url" in body.model_fields_set:
        row.webhook_url = body.webhook_url
    db.commit()
    return settings_out(row, settings)


def rotate_webhook_secret(
    db: Session, settings: Settings, user_id: uuid.UUID
) -> NotificationSettingsOut:
    """A new webhook secret; the old one stops signing at once."""
    row = preferences(db, user_id)
    row.webhook_secret = _new_key()
    db.commit()
    return settings_out(row, settings)


# --- unsubscribe links ---------------------------------------------------------------------


def unsubscribe_token(row: NotificationSettings) -> str:
    """A token that only turns off the daily summary of this user: ``<user hex>.<HMAC>``,
    signed with the user's own unsubscribe key (no sign-in needed to use it)."""
    user_hex = row.user_id.hex
    mac = hmac.new(
        row.unsubscribe_key.encode(), UNSUBSCRIBE_PURPOSE + user_hex.encode(), hashlib.sha256
    ).digest()
    return f"{user_hex}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def check_unsubscribe(db: Session, token: str) -> NotificationSettings:
    """The settings row a valid token is for; NotFound for anything else (one answer for a
    forged, malformed or stale token)."""
    user_hex, _, mac_text = token.partition(".")
    try:
        user_id = uuid.UUID(hex=user_hex)
        mac = base64.urlsafe_b64decode(mac_text + "=" * (-len(mac_text) % 4))
    except (ValueError, binascii.Error) as exc:
        raise NotFound("This unsubscribe link is not valid.") from exc
    row = db.get(NotificationSettings, user_id)
    if row is None or not hmac.compare_digest(unsubscribe_token(row), token) or not mac:
        raise NotFound("This unsubscribe link is not valid.")
    return row


def unsubscribe(db: Session, token: str) -> None:
    """Turn the daily summary off for the token's user (idempotent). NotFound for a bad token."""
    row = check_unsubscribe(db, token)
    row.daily_summary = False
    db.commit()


# --- notifications -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page:
    unread_count: int
    items: list[Notification]
    next_cursor: str | None


def _cursor_of(row: Notification) -> str:
    raw = f"{row.created_at.isoformat()}|{row.id.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, uuid.UUID(hex=ident)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise InvalidInput(
            "is not a cursor this list gave (use next_cursor as is)", ["query", "cursor"]
        ) from exc


def list_notifications(
    db: Session, user_id: uuid.UUID, *, unread_only: bool, limit: int, cursor: str | None
) -> Page:
    """The user's notifications, newest first, ``limit`` a page after ``cursor``."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if cursor is not None:
        moment, ident = _parse_cursor(cursor)
        query = query.where(
            or_(
                Notification.created_at < moment,
                and_(Notification.created_at == moment, Notification.id < ident),
            )
        )
    rows = list(
        db.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        unread_count=unread_count(db, user_id),
        items=rows,
        next_cursor=_cursor_of(rows[-1]) if more and rows else None,
    )


def unread_count(db: Session, user_id: uuid.UUID) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(db: Session, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    """Mark one read (again is fine: the first read time stays). NotFound when not theirs."""
    row = db.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    if row is None:
        raise NotFound(NOTIFICATION_NOT_FOUND)
    if row.read_at is None:
        row.read_at = utcnow()
        db.commit()
    return row


def mark_all_read(db: Session, user_id: uuid.UUID) -> int:
    """Mark every unread one read; how many were."""
    result = db.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


def notify(
    db: Session,
    settings: Settings,
    user_id: uuid.UUID,
    kind: str,
    title: str,
    body: str,
    data: dict[str, Any],
) -> Notification:
    """Add a notification for the user and queue its email (when they want alert emails and
    the server sends email) and webhook (when they have one). Not committed: the caller's
    transaction holds the notification, its cause and its deliveries together."""
    now = utcnow()
    row = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        title=title[:200],
        body=body,
        data=data,
        created_at=now,
    )
    db.add(row)
    db.flush()
    prefs = preferences(db, user_id)
    if prefs.email_alerts and mailer.email_enabled(settings):
        email = db.scalar(select(User.email).where(User.id == user_id))
        link = settings.app_base_url.rstrip("/") + "/notifications"
        outbox.enqueue(
            db,
            user_id,
            outbox.EMAIL,
            {"to": email, "subject": title, "text": f"{body}\n\n{link}\n"},
            notification_id=row.id,
        )
    if prefs.webhook_url:
        outbox.enqueue(
            db,
            user_id,
            outbox.WEBHOOK,
            {
                "body": {
                    "event": "notification",
                    "id": str(row.id),
                    "kind": kind,
                    "title": row.title,
                    "body": body,
                    "data": data,
                    "created_at": now.isoformat(),
                }
            },
            notification_id=row.id,
        )
    return row
