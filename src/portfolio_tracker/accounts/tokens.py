"""Named API tokens for scripts: sessions of kind "api" that carry a name.

A token works exactly like a sign-in session token (`Authorization: Bearer <token>`, stored as
its SHA-256 only) but is not extended by use: it lives until its own expiry (none if created
without one) or until it is revoked. Its `refreshed_at` records when it was last used.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portfolio_tracker.accounts.security import hash_token, new_session_token
from portfolio_tracker.accounts.sessions import API_KIND
from portfolio_tracker.db.models import UserSession, utcnow
from portfolio_tracker.errors import Conflict, NotFound

MAX_TOKENS = 50  # per user: enough for every script, few enough to review
TOKEN_NOT_FOUND = "API token not found."


def create_token(
    db: Session, user_id: uuid.UUID, name: str, expires_in_days: int | None
) -> tuple[str, UserSession]:
    """A new token (the secret, shown once) and its stored row.

    Raises Conflict when the user already has MAX_TOKENS tokens."""
    count = db.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.kind == API_KIND)
    )
    if (count or 0) >= MAX_TOKENS:
        raise Conflict(f"You have {MAX_TOKENS} API tokens already; revoke one first.")
    secret = new_session_token()
    now = utcnow()
    row = UserSession(
        user_id=user_id,
        kind=API_KIND,
        name=name,
        token_hash=hash_token(secret),
        created_at=now,
        refreshed_at=None,
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
    )
    db.add(row)
    db.commit()
    return secret, row


def list_tokens(db: Session, user_id: uuid.UUID) -> list[UserSession]:
    """The user's API tokens, newest first (the rows hold only the hashes)."""
    return list(
        db.scalars(
            select(UserSession)
            .where(UserSession.user_id == user_id, UserSession.kind == API_KIND)
            .order_by(UserSession.created_at.desc(), UserSession.id)
        )
    )


def revoke_token(db: Session, user_id: uuid.UUID, token_id: uuid.UUID) -> None:
    """Revoke one of the user's API tokens at once. Raises NotFound for any other id
    (another user's token, or a sign-in session)."""
    deleted = db.execute(
        delete(UserSession).where(
            UserSession.id == token_id,
            UserSession.user_id == user_id,
            UserSession.kind == API_KIND,
        )
    )
    if deleted.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(TOKEN_NOT_FOUND)
    db.commit()
