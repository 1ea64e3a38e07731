"""Request dependencies: the database session and the authenticated caller.

A route that takes `CurrentUser` cannot run unauthenticated, and cookie-authenticated
unsafe requests are checked against the trusted origins here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from portfolio_tracker.accounts import sessions
from portfolio_tracker.api.context import AppContext
from portfolio_tracker.api.errors import Forbidden, Unauthorized
from portfolio_tracker.db.models import User, UserSession

SESSION_COOKIE = "pt_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_db(context: Annotated[AppContext, Depends(app_context)]) -> Iterator[Session]:
    """One unit of work per request. Services commit; anything uncommitted is rolled back."""
    session = context.session_factory()
    try:
        yield session
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]
Context = Annotated[AppContext, Depends(app_context)]


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session: UserSession
    via: Literal["cookie", "bearer"]


def request_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def check_origin(request: Request, context: AppContext, *, required: bool) -> None:
    """Refuse a state-changing request sent by a page of another origin (CSRF)."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if referer:
            from urllib.parse import urlsplit

            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
        elif origin is None and not required:
            return
    allowed = {request_origin(request), *(o.lower() for o in context.settings.trusted_origins)}
    if origin is None or origin.lower().rstrip("/") not in allowed:
        raise Forbidden("Cross-origin request refused: the Origin is not trusted.")


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_principal(
    request: Request, response: Response, db: DbSession, context: Context
) -> Principal:
    token = bearer_token(request)
    via: Literal["cookie", "bearer"] = "bearer"
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        via = "cookie"
    if not token:
        raise Unauthorized("Not authenticated.")
    if via == "cookie":
        # Before the lookup: a refused cross-site request must not even extend the session.
        check_origin(request, context, required=True)
    found = sessions.find_active(db, token, context.settings)
    if found is None:
        raise Unauthorized("Session is invalid or has expired.")
    user_session, user, extended = found
    if via == "cookie" and extended:
        set_session_cookie(request, response, token, context)
    return Principal(user=user, session=user_session, via=via)


def set_session_cookie(
    request: Request, response: Response, token: str, context: AppContext
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=context.settings.session_ttl_days * 86400,
        httponly=True,
        samesite="lax",
        secure=context.settings.cookie_secure or request.url.scheme == "https",
        path="/",
    )


def clear_session_cookie(request: Request, response: Response, context: AppContext) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=context.settings.cookie_secure or request.url.scheme == "https",
    )


CurrentUser = Annotated[Principal, Depends(current_principal)]
