"""The accounts API: sign up, sign in, current session, sign out, password change, sign out
everywhere."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request, Response, status
from sqlalchemy.orm import Session

from portfolio_tracker.accounts import lifecycle, service, sessions
from portfolio_tracker.accounts.auth import (
    CurrentUser,
    Throttle,
    check_origin,
    clear_session_cookie,
    set_session_cookie,
)
from portfolio_tracker.accounts.schemas import (
    AuthResponse,
    PasswordChange,
    SessionOut,
    SessionResponse,
    SignInRequest,
    SignUpRequest,
    UserOut,
)
from portfolio_tracker.accounts.security import AuthThrottle
from portfolio_tracker.api.deps import AppSettings, DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.db.models import User, UserSession
from portfolio_tracker.settings import Settings

router = api_router(prefix="/api/auth", tags=["auth"])

ERRORS_429: Responses = {429: {"description": "Too many attempts; see Retry-After"}}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _start_session(
    open_session: Callable[..., tuple[User, str, UserSession]],
    body: SignUpRequest | SignInRequest,
    request: Request,
    response: Response,
    db: Session,
    settings: Settings,
    throttle: AuthThrottle,
) -> AuthResponse:
    """Sign-up and sign-in alike: origin check, the service call, the cookie, the answer."""
    check_origin(request, settings, required=False)
    user, token, _ = open_session(
        db,
        body,
        settings,
        throttle,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    set_session_cookie(request, response, token, settings)
    return AuthResponse(user=UserOut.model_validate(user), token=token)


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthResponse,
    responses={409: {"description": "Email already registered"}, 403: {}, **ERRORS_429},
)
def sign_up(
    body: SignUpRequest,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
    throttle: Throttle,
) -> AuthResponse:
    """Create an account and a session (returned as a token and an HttpOnly cookie)."""
    return _start_session(service.sign_up, body, request, response, db, settings, throttle)


@router.post(
    "/signin",
    response_model=AuthResponse,
    responses={**NOT_AUTHENTICATED, 403: {}, **ERRORS_429},
)
def sign_in(
    body: SignInRequest,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
    throttle: Throttle,
) -> AuthResponse:
    """Start a fresh session. A wrong email and a wrong password get the same answer."""
    return _start_session(service.sign_in, body, request, response, db, settings, throttle)


@router.get("/session", response_model=SessionResponse, responses=NOT_AUTHENTICATED)
def current_session(principal: CurrentUser) -> SessionResponse:
    """The signed-in user and when the session expires."""
    return SessionResponse(
        user=UserOut.model_validate(principal.user),
        session=SessionOut.model_validate(principal.session),
        expires_at=principal.session.expires_at,
    )


@router.post("/signout", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_AUTHENTICATED)
def sign_out(
    principal: CurrentUser,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
) -> None:
    """Revoke this session on the server at once and clear the cookie."""
    sessions.revoke(db, principal.session.id)
    db.commit()
    clear_session_cookie(request, response, settings)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={
        **NOT_AUTHENTICATED,
        422: {"description": "Wrong current password, or a new one that breaks the rules"},
        **ERRORS_429,
    },
)
def change_password(
    body: PasswordChange,
    principal: CurrentUser,
    request: Request,
    db: DbSession,
    throttle: Throttle,
) -> None:
    """Set a new password (same rules as sign-up). Every other session and API token of
    yours is revoked; this one stays valid. A wrong current password is a 422 at
    `current_password` and counts against the sign-in rate limit."""
    lifecycle.change_password(
        db,
        principal.user,
        principal.session.id,
        body.current_password,
        body.new_password,
        throttle,
        ip=client_ip(request),
    )


@router.post("/signout-all", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_AUTHENTICATED)
def sign_out_everywhere(
    principal: CurrentUser,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
) -> None:
    """Revoke every session and API token of yours, this one included, and clear the cookie."""
    lifecycle.sign_out_everywhere(db, principal.user.id)
    clear_session_cookie(request, response, settings)
