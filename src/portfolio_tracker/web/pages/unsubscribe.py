"""The daily summary's unsubscribe link: works without signing in (the signed token in the
path is the authority, and it can only turn the summary off). GET shows a confirmation
page; POST unsubscribes — from the page's button, or straight from a mail client's one-click
unsubscribe (RFC 8058), which is why the POST needs no form token."""

from __future__ import annotations

from fastapi import Response

from portfolio_tracker.notifications import service
from portfolio_tracker.web.page import AnyPage
from portfolio_tracker.web.routing import page_router

router = page_router()
MAX_TOKEN = 200


def _check(page: AnyPage, token: str) -> None:
    if len(token) > MAX_TOKEN:
        service.check_unsubscribe(page.db, "")  # raises NotFound: one answer for any bad link
    service.check_unsubscribe(page.db, token)


@router.get("/unsubscribe/{token}")
def confirm_unsubscribe(token: str, page: AnyPage) -> Response:
    _check(page, token)
    return page.render("unsubscribe.html", token=token, done=False)


@router.post("/unsubscribe/{token}")
def unsubscribe(token: str, page: AnyPage) -> Response:
    _check(page, token)
    service.unsubscribe(page.db, token)
    return page.render("unsubscribe.html", token=token, done=True)
