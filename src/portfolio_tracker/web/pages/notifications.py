"""The notifications page: your notifications newest first (mark one read — in place with
htmx, or by the form without script — or all), and how they reach you (alert emails, the
daily summary email, a webhook): the notifications service behind HTML."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.notifications import service
from portfolio_tracker.notifications.schemas import NotificationSettingsUpdate
from portfolio_tracker.web.forms import N_, Errors, errors_from_refusal, errors_from_validation
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.routing import page_router

router = page_router()

PAGE_SIZE = 50
DONE = {
    "read-all": N_("All notifications marked read."),
    "saved": N_("Notification settings saved."),
    "secret": N_("A new webhook secret was made; the old one no longer signs."),
}


def notifications_page(
    page: Page, *, errors: Errors | None = None, submitted: dict[str, Any] | None = None
) -> Response:
    """The page; after a refused settings form, `submitted` keeps what was typed."""
    query = page.request.query_params
    unread_only = query.get("unread") == "1"
    cursor = query.get("cursor") or None
    try:
        listing = service.list_notifications(
            page.db, page.user.id, unread_only=unread_only, limit=PAGE_SIZE, cursor=cursor
        )
    except InvalidInput:  # a stale or edited cursor: start from the newest
        listing = service.list_notifications(
            page.db, page.user.id, unread_only=unread_only, limit=PAGE_SIZE, cursor=None
        )
    prefs = service.get_preferences(page.db, page.settings, page.user.id)
    message = DONE.get(query.get("done", ""))
    return page.render(
        "notifications.html",
        422 if errors else 200,
        listing=listing,
        unread_only=unread_only,
        prefs=prefs.model_copy(update=submitted or {}),
        errors=errors or {},
        notice=page.gettext(message) if message else None,
    )


@router.get("/notifications")
def notifications_list(page: SignedInPage) -> Response:
    return notifications_page(page)


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: uuid.UUID, page: SignedInForm) -> Response:
    row = service.mark_read(page.db, page.user.id, notification_id)  # NotFound: not theirs
    if page.request.headers.get("HX-Request") == "true":
        return page.render("notification_item.html", note=row)
    return page.redirect("/notifications")


@router.post("/notifications/read-all")
def read_all(page: SignedInForm) -> Response:
    service.mark_all_read(page.db, page.user.id)
    return page.redirect("/notifications?done=read-all")


@router.post("/notifications/settings")
def save_settings(page: SignedInForm) -> Response:
    form = page.form
    url = form.get("webhook_url")
    webhook_url = url.strip() if isinstance(url, str) else ""
    submitted: dict[str, Any] = {
        "email_alerts": form.get("email_alerts") == "on",
        "daily_summary": form.get("daily_summary") == "on",
        "webhook_url": webhook_url or None,
    }
    try:
        body = NotificationSettingsUpdate.model_validate(submitted)
        service.update_preferences(page.db, page.settings, page.user.id, body)
    except ValidationError as exc:
        errors = errors_from_validation(exc, page.gettext)
        return notifications_page(page, errors=errors, submitted=submitted)
    except InvalidInput as exc:
        errors = errors_from_refusal(exc, page.gettext)
        return notifications_page(page, errors=errors, submitted=submitted)
    return page.redirect("/notifications?done=saved")


@router.post("/notifications/settings/webhook-secret")
def rotate_secret(page: SignedInForm) -> Response:
    service.rotate_webhook_secret(page.db, page.settings, page.user.id)
    return page.redirect("/notifications?done=secret")
