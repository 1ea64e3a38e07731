"""The account's life after sign-up: password change, signing out everywhere, the export of
everything stored about the user (GDPR access) and its deletion (GDPR erasure).

Export and deletion walk every table that has a `user_id` column, so a table added later is
exported and erased without a change here.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from portfolio_tracker.accounts import sessions
from portfolio_tracker.accounts.security import AuthThrottle, hash_password, verify_password
from portfolio_tracker.accounts.sessions import API_KIND
from portfolio_tracker.db.models import Base, DataVersion, User, UserSession, UserSettings, utcnow
from portfolio_tracker.db.versions import user_scope
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.errors import InvalidInput

WRONG_PASSWORD = "is not your current password"
# Never exported: what would let someone sign in as the user.
SECRET_COLUMNS = frozenset({"hashed_password", "token_hash", "unsubscribe_key"})
# The throttle scope shared with sign-in: guessing a password here spends the same budget.
THROTTLE_SCOPE = "signin"


def _check_password(
    db: Session, user: User, password: str, field: str, throttle: AuthThrottle, ip: str
) -> None:
    """Raise InvalidInput (at `field`) unless `password` is the user's; failures count
    against the sign-in rate limit (RateLimited once it is spent)."""
    throttle.ensure_allowed(THROTTLE_SCOPE, ip=ip, email=user.email)
    matches, new_hash = verify_password(password, user.hashed_password)
    if not matches:
        throttle.record_failure(THROTTLE_SCOPE, ip=ip, email=user.email)
        raise InvalidInput(WRONG_PASSWORD, ["body", field])
    if new_hash is not None:
        user.hashed_password = new_hash


def change_password(
    db: Session,
    user: User,
    keep_session: uuid.UUID,
    current_password: str,
    new_password: str,
    throttle: AuthThrottle,
    *,
    ip: str,
) -> None:
    """Set a new password and revoke every other session and API token of the user; the
    session `keep_session` (the caller's) stays valid."""
    _check_password(db, user, current_password, "current_password", throttle, ip)
    user.hashed_password = hash_password(new_password)
    sessions.revoke_all_except(db, user.id, keep_session)
    db.commit()


def sign_out_everywhere(db: Session, user_id: uuid.UUID) -> None:
    """Revoke every session and API token of the user, the caller's own included."""
    sessions.revoke_all_except(db, user_id, None)
    db.commit()


def _owned_tables() -> list[Table]:
    """Tables holding rows of one user (a `user_id` column), dependents first."""
    return [
        table
        for table in reversed(Base.metadata.sorted_tables)
        if "user_id" in table.c and table.name != User.__tablename__
    ]


def delete_account(
    db: Session, user: User, password: str, throttle: AuthThrottle, *, ip: str
) -> None:
    """Erase every row of the user (after checking the password), in one transaction."""
    _check_password(db, user, password, "password", throttle, ip)
    user_id = user.id
    for table in _owned_tables():
        db.execute(delete(table).where(table.c.user_id == user_id))
    db.execute(delete(DataVersion).where(DataVersion.scope == user_scope(user_id)))
    db.execute(delete(User).where(User.id == user_id))
    db.commit()


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return to_plain_str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _rows(db: Session, table: Table, user_id: uuid.UUID) -> list[dict[str, Any]]:
    columns = [c for c in table.c if c.name not in SECRET_COLUMNS and c.name != "user_id"]
    order = [c for c in (table.c.get("created_at"), table.c.get("id")) if c is not None]
    result = db.execute(select(*columns).where(table.c.user_id == user_id).order_by(*order))
    return [{k: _json_value(v) for k, v in row._mapping.items()} for row in result]


def export_account(db: Session, user: User) -> dict[str, Any]:
    """Everything stored about the user, as JSON-ready values (decimals as strings, instants
    in ISO 8601): `profile`, `settings` (null when never set), `sessions` (sign-ins: when,
    from which browser and address), `api_tokens` (names and dates, never the secrets), and
    one list per other table of the user's rows (`assets`, `transactions`,
    `manual_prices`, ...)."""
    users = User.__table__
    profile = db.execute(
        select(*[c for c in users.c if c.name not in SECRET_COLUMNS]).where(users.c.id == user.id)
    ).one()
    out: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "profile": {k: _json_value(v) for k, v in profile._mapping.items()},
        "settings": None,
    }
    for table in reversed(_owned_tables()):  # parents first: assets before transactions
        rows = _rows(db, table, user.id)
        if table.name == UserSettings.__tablename__:
            out["settings"] = rows[0] if rows else None
        elif table.name == UserSession.__tablename__:
            out["sessions"] = [r for r in rows if r.get("kind") != API_KIND]
            out["api_tokens"] = [r for r in rows if r.get("kind") == API_KIND]
        else:
            out[table.name] = rows
    return out
