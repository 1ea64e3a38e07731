"""The notifications API: the in-app list, marking read, and delivery settings (email,
daily summary, webhook)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import AppSettings, DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.notifications import service
from portfolio_tracker.notifications.schemas import (
    NotificationList,
    NotificationOut,
    NotificationSettingsOut,
    NotificationSettingsUpdate,
    ReadAllOut,
)

router = api_router(prefix="/api/notifications", tags=["notifications"])

ERRORS: Responses = {**NOT_AUTHENTICATED, 404: {"description": "No such notification of yours"}}


@router.get("", response_model=NotificationList, responses=NOT_AUTHENTICATED)
def list_notifications(
    principal: CurrentUser,
    db: DbSession,
    unread: Annotated[bool, Query(description="Only the unread ones.")] = False,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 50,
    cursor: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` of the previous page."),
    ] = None,
) -> NotificationList:
    """Your notifications, newest first, with the count of all unread ones."""
    page = service.list_notifications(
        db, principal.user.id, unread_only=unread, limit=limit, cursor=cursor
    )
    return NotificationList(
        unread_count=page.unread_count,
        items=[NotificationOut.model_validate(r, from_attributes=True) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.post("/read-all", response_model=ReadAllOut, responses=NOT_AUTHENTICATED)
def read_all(principal: CurrentUser, db: DbSession) -> ReadAllOut:
    """Mark every unread notification of yours read."""
    return ReadAllOut(marked=service.mark_all_read(db, principal.user.id))


@router.post("/{notification_id}/read", response_model=NotificationOut, responses=ERRORS)
def read_one(notification_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> NotificationOut:
    """Mark one notification read (again is harmless: the first read time stays)."""
    row = service.mark_read(db, principal.user.id, notification_id)
    return NotificationOut.model_validate(row, from_attributes=True)


@router.get("/settings", response_model=NotificationSettingsOut, responses=NOT_AUTHENTICATED)
def get_notification_settings(
    principal: CurrentUser, db: DbSession, settings: AppSettings
) -> NotificationSettingsOut:
    """How notifications reach you: email on alerts (default on), the daily summary email
    (default off), your webhook and the secret that signs it."""
    return service.get_preferences(db, settings, principal.user.id)


@router.put(
    "/settings",
    response_model=NotificationSettingsOut,
    responses={**NOT_AUTHENTICATED, 422: {"description": "Invalid value"}},
)
def put_notification_settings(
    body: NotificationSettingsUpdate, principal: CurrentUser, db: DbSession, settings: AppSettings
) -> NotificationSettingsOut:
    """Change `email_alerts`, `daily_summary` or `webhook_url` (fields left out stay;
    `webhook_url: null` removes the webhook)."""
    return service.update_preferences(db, settings, principal.user.id, body)


@router.post(
    "/settings/webhook-secret",
    response_model=NotificationSettingsOut,
    responses=NOT_AUTHENTICATED,
)
def rotate_webhook_secret(
    principal: CurrentUser, db: DbSession, settings: AppSettings
) -> NotificationSettingsOut:
    """A new webhook signing secret (the old one stops at once)."""
    return service.rotate_webhook_secret(db, settings, principal.user.id)
