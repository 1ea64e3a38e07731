"""Who is calling: the session cookie or a bearer token, the Origin check, the cookie itself.

A route that takes `CurrentUser` cannot run unauthenticated, and cookie-authenticated
unsafe requests are checked against the trusted origins here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response

from portfolio_tracker.accounts import sessions
from portfolio_tracker.accounts.security import AuthThrottle
from portfolio_tracker.api.deps import AppSettings, DbSession, from_state
from portfolio_tracker.db.models import User, UserSession
from portfolio_tracker.errors import Forbidden, Unauthorized
from portfolio_tracker.logging_setup import bind_user
from portfolio_tracker.settings import Settings

SESSION_COOKIE = "pt_session"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session: UserSession
    via: Literal["cookie", "bearer"]


def auth_throttle(request: Request) -> AuthThrottle:
    """The sign-in/sign-up throttle `create_app` built (``app.state.auth_throttle``)."""
    return from_state(request, "auth_throttle", AuthThrottle)


Throttle = Annotated[AuthThrottle, Depends(auth_throttle)]


def request_origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def check_origin(request: Request, settings: Settings, *, required: bool) -> None:
    """Refuse a state-changing request sent by a page of another origin (CSRF).

    Raises Forbidden. `required=False` lets a request without Origin and Referer through
    (a non-browser client signing in).
    """
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        referer = request.headers.get("referer")
        if referer:
            parts = urlsplit(referer)
            origin = f"{parts.scheme}://{parts.netloc}"
        elif origin is None and not required:
            return
    allowed = {request_origin(request), *(o.lower() for o in settings.trusted_origins)}
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
    request: Request, response: Response, db: DbSession, settings: AppSettings
) -> Principal:
    """The caller's user and session; Unauthorized without a valid one."""
    token = bearer_token(request)
    via: Literal["cookie", "bearer"] = "bearer"
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        via = "cookie"
    if not token:
        raise Unauthorized("Not authenticated.")
    if via == "cookie":
        # Before the lookup: a refused cross-site request must not even extend the session.
        check_origin(request, settings, required=True)
    found = sessions.find_active(db, token, settings)
    if found is None:
        raise Unauthorized("Session is invalid or has expired.")
    user_session, user, extended = found
    bind_user(user.id)  # on every later log line of this request
    if via == "cookie" and extended:
        set_session_cookie(request, response, token, settings)
    return Principal(user=user, session=user_session, via=via)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def _secure(request: Request, settings: Settings) -> bool:
    return settings.cookie_secure or request.url.scheme == "https"


def set_session_cookie(
    request: Request, response: Response, token: str, settings: Settings
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_days * 86400,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        path="/",
    )


def clear_session_cookie(request: Request, response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
    )
