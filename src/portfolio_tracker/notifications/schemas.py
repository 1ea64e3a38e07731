"""Request and response bodies of the notifications API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field

from portfolio_tracker.api.bodies import StrictBody, optional_not_null
from portfolio_tracker.notifications.webhooks import MAX_URL_LENGTH, check_url


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="What it is about: `price_alert`, `portfolio_alert`.")
    title: str
    body: str
    data: dict[str, Any] = Field(
        description="Structured details (decimals as strings), e.g. alert_id, price, level."
    )
    created_at: datetime
    read_at: datetime | None = Field(description="When it was marked read; null: unread.")


class NotificationList(BaseModel):
    unread_count: int = Field(description="All your unread notifications (not just this page).")
    items: list[NotificationOut] = Field(description="Newest first.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page."
    )


class ReadAllOut(BaseModel):
    marked: int = Field(description="How many were unread and are now read.")


def _webhook_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return check_url(value)


WebhookUrl = Annotated[
    str | None,
    Field(
        max_length=MAX_URL_LENGTH,
        description="https:// (or http://) URL each notification is POSTed to as JSON; "
        "null or an empty string removes the webhook. Private and loopback addresses are "
        "refused unless the server allows them (WEBHOOK_ALLOW_PRIVATE).",
    ),
    AfterValidator(_webhook_url),
]


class NotificationSettingsOut(BaseModel):
    email_alerts: bool = Field(description="Email each alert's notification to you.")
    daily_summary: bool = Field(description="Email a daily portfolio summary.")
    webhook_url: str | None
    webhook_secret: str = Field(
        description="Key of the X-PT-Signature header: hex HMAC-SHA256 of "
        "'<X-PT-Timestamp>.<body>'."
    )
    email_available: bool = Field(
        description="Whether this server sends email at all (SMTP is configured)."
    )


class NotificationSettingsUpdate(StrictBody):
    """Fields left out keep their value; `webhook_url` null removes the webhook."""

    email_alerts: bool | None = optional_not_null()
    daily_summary: bool | None = optional_not_null()
    webhook_url: WebhookUrl = Field(default=None)
