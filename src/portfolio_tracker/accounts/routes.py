"""The accounts API: sign up, sign in, current session, sign out."""

from __future__ import annotations

from fastapi import Request, Response, status

from portfolio_tracker.accounts import service, sessions
from portfolio_tracker.accounts.schemas import (
    AuthResponse,
    SessionOut,
    SessionResponse,
    SignInRequest,
    SignUpRequest,
    UserOut,
)
from portfolio_tracker.api.deps import (
    Context,
    CurrentUser,
    DbSession,
    check_origin,
    clear_session_cookie,
    set_session_cookie,
)
from portfolio_tracker.api.errors import Responses
from portfolio_tracker.api.routing import api_router

router = api_router(prefix="/api/auth", tags=["auth"])

ERRORS_401: Responses = {401: {"description": "Not authenticated"}}
ERRORS_429: Responses = {429: {"description": "Too many attempts; see Retry-After"}}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthResponse,
    responses={409: {"description": "Email already registered"}, 403: {}, **ERRORS_429},
)
def sign_up(
    body: SignUpRequest, request: Request, response: Response, db: DbSession, context: Context
) -> AuthResponse:
    """Create an account and a session (returned as a token and an HttpOnly cookie)."""
    check_origin(request, context, required=False)
    user, token, _ = service.sign_up(
        db,
        body,
        context.settings,
        context.auth_throttle,
        ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    set_session_cookie(request, response, token, context)
    return AuthResponse(user=UserOut.model_validate(user), token=token)


@router.post(
    "/signin",
    response_model=AuthResponse,
    responses={**ERRORS_401, 403: {}, **ERRORS_429},
)
def sign_in(
    body: SignInRequest, request: Request, response: Response, db: DbSession, context: Context
) -> AuthResponse:
    """Start a fresh session. A wrong email and a wrong password get the same answer."""
    check_origin(request, context, required=False)
    user, token, _ = service.sign_in(
        db,
        body,
        context.settings,
        context.auth_throttle,
        ip=_client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    set_session_cookie(request, response, token, context)
    return AuthResponse(user=UserOut.model_validate(user), token=token)


@router.get("/session", response_model=SessionResponse, responses=ERRORS_401)
def current_session(principal: CurrentUser) -> SessionResponse:
    """The signed-in user and when the session expires."""
    return SessionResponse(
        user=UserOut.model_validate(principal.user),
        session=SessionOut.model_validate(principal.session),
        expires_at=principal.session.expires_at,
    )


@router.post("/signout", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS_401)
def sign_out(
    principal: CurrentUser, request: Request, response: Response, db: DbSession, context: Context
) -> None:
    """Revoke this session on the server at once and clear the cookie."""
    sessions.revoke(db, principal.session.id)
    db.commit()
    clear_session_cookie(request, response, context)
