"""The account API: named API tokens, the export of everything about you, and deletion."""

from __future__ import annotations

import uuid
from datetime import date

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse

from portfolio_tracker.accounts import lifecycle, tokens
from portfolio_tracker.accounts.auth import CurrentUser, Throttle, clear_session_cookie
from portfolio_tracker.accounts.routes import ERRORS_429, client_ip
from portfolio_tracker.accounts.schemas import (
    AccountDeletion,
    AccountExport,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from portfolio_tracker.api.deps import AppSettings, DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.db.models import UserSession

router = api_router(tags=["account"])


def _token_out(row: UserSession) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name or "",
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.refreshed_at,
    )


@router.get("/api/tokens", response_model=list[TokenOut], responses=NOT_AUTHENTICATED)
def list_tokens(principal: CurrentUser, db: DbSession) -> list[TokenOut]:
    """Your API tokens, newest first (never their secrets)."""
    return [_token_out(row) for row in tokens.list_tokens(db, principal.user.id)]


@router.post(
    "/api/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
    responses={**NOT_AUTHENTICATED, 409: {"description": f"{tokens.MAX_TOKENS} tokens already"}},
)
def create_token(body: TokenCreate, principal: CurrentUser, db: DbSession) -> TokenCreated:
    """A named token for scripts: `Authorization: Bearer <token>`. The secret is in this
    answer only (stored as its SHA-256). It is not extended by use; revoke it any time."""
    secret, row = tokens.create_token(db, principal.user.id, body.name, body.expires_in_days)
    return TokenCreated(**_token_out(row).model_dump(), token=secret)


@router.delete(
    "/api/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_AUTHENTICATED, 404: {"description": "No such API token of yours"}},
)
def revoke_token(token_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> None:
    """Revoke one of your API tokens at once."""
    tokens.revoke_token(db, principal.user.id, token_id)


@router.get("/api/account/export", response_model=AccountExport, responses=NOT_AUTHENTICATED)
def export_account(principal: CurrentUser, db: DbSession) -> Response:
    """Everything stored about you, as a JSON download: profile (no password hash),
    settings, sessions, API tokens (no secrets), assets, transactions, manual prices and
    every other row of yours."""
    filename = f"portfolio-tracker-account-{date.today().isoformat()}.json"
    return JSONResponse(
        lifecycle.export_account(db, principal.user),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.delete(
    "/api/account",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_AUTHENTICATED, 422: {"description": "Wrong password"}, **ERRORS_429},
)
def delete_account(
    body: AccountDeletion,
    principal: CurrentUser,
    request: Request,
    response: Response,
    db: DbSession,
    settings: AppSettings,
    throttle: Throttle,
) -> None:
    """Delete your account and every row of yours (assets, transactions, prices, settings,
    sessions, tokens), after checking your password (a wrong one is a 422 at `password` and
    counts against the sign-in rate limit). Cannot be undone: export first."""
    lifecycle.delete_account(db, principal.user, body.password, throttle, ip=client_ip(request))
    clear_session_cookie(request, response, settings)
