"""Server-side sessions: create, look up (extending when used), revoke."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from portfolio_tracker.accounts.security import hash_token, new_session_token
from portfolio_tracker.db.models import User, UserSession, utcnow
from portfolio_tracker.settings import Settings

API_KIND = "api"  # a named API token (accounts.tokens); sign-in sessions are "web"


def create(
    db: Session, user: User, settings: Settings, *, user_agent: str | None, ip: str | None
) -> tuple[str, UserSession]:
    token = new_session_token()
    now = utcnow()
    record = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        refreshed_at=now,
        expires_at=_expiry(now, now, settings),
        user_agent=(user_agent or "")[:512] or None,
        ip_address=(ip or "")[:64] or None,
    )
    db.add(record)
    return token, record


def find_active(
    db: Session, token: str, settings: Settings
) -> tuple[UserSession, User, bool] | None:
    """The session and user behind a token, or None (also for a disabled account). Extends
    the session at most once per `session_refresh_after_seconds` (the third item says
    whether it did)."""
    if len(token) > 256:
        return None
    row = db.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_token(token), User.disabled_at.is_(None))
    ).first()
    if row is None:
        return None
    user_session, user = row
    now = utcnow()
    if user_session.expires_at is not None and user_session.expires_at <= now:
        return None
    if user_session.kind != API_KIND and now >= _absolute_end(user_session, settings):
        return None
    refresh_after = timedelta(seconds=settings.session_refresh_after_seconds)
    if user_session.kind == API_KIND:
        # A named API token is not extended by use; refreshed_at records its last use.
        if user_session.refreshed_at is None or now - user_session.refreshed_at >= refresh_after:
            user_session.refreshed_at = now
            db.commit()
        return user_session, user, False
    extended = False
    if user_session.refreshed_at is None or now - user_session.refreshed_at >= refresh_after:
        user_session.refreshed_at = now
        user_session.expires_at = _expiry(now, user_session.created_at, settings)
        db.commit()
        extended = True
    return user_session, user, extended


def _absolute_end(record: UserSession, settings: Settings) -> datetime:
    return record.created_at + timedelta(days=settings.session_max_age_days)


def _expiry(now: datetime, created_at: datetime, settings: Settings) -> datetime:
    """Idle expiry (SESSION_TTL_DAYS from now), never past the absolute lifetime."""
    return min(
        now + timedelta(days=settings.session_ttl_days),
        created_at + timedelta(days=settings.session_max_age_days),
    )


def purge_expired(db: Session, settings: Settings, user_id: uuid.UUID | None = None) -> int:
    """Delete the sessions that can no longer be used (expired, or sign-in sessions past
    their absolute lifetime; API tokens live until their own expiry), of one user or of
    everyone; returns how many. The caller commits."""
    now = utcnow()
    statement = delete(UserSession).where(
        (UserSession.expires_at.is_not(None) & (UserSession.expires_at <= now))
        | (
            (UserSession.kind != API_KIND)
            & (UserSession.created_at <= now - timedelta(days=settings.session_max_age_days))
        )
    )
    if user_id is not None:
        statement = statement.where(UserSession.user_id == user_id)
    result = db.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def revoke(db: Session, session_id: uuid.UUID) -> None:
    db.execute(delete(UserSession).where(UserSession.id == session_id))


def revoke_all_except(db: Session, user_id: uuid.UUID, keep: uuid.UUID | None) -> None:
    """Revoke every session and API token of the user but `keep` (None: all of them)."""
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    db.execute(statement)
