"""What an administrator does to accounts (through `portfolio-tracker users ...`): list
them, disable and enable them, grant and revoke admin.

Disabling an account revokes every session and API token of it at once (their bearer
tokens and cookies answer 401 from then on) and refuses later sign-ins with 403
(`accounts.service.ACCOUNT_DISABLED`); its data stays, and enabling it lets the user sign in
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portfolio_tracker.accounts import sessions
from portfolio_tracker.accounts.service import user_by_email
from portfolio_tracker.db.models import Asset, Transaction, User, UserSession, utcnow
from portfolio_tracker.errors import NotFound


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account as the admin sees it; `last_active` is the latest use of one of its
    current sessions or API tokens (None when it has none)."""

    email: str
    created_at: datetime
    is_admin: bool
    disabled_at: datetime | None
    assets: int
    transactions: int
    last_active: datetime | None


def list_accounts(db: Session) -> list[AccountRow]:
    """Every account, oldest first, with its asset and transaction counts."""
    assets = select(Asset.user_id, func.count().label("n")).group_by(Asset.user_id).subquery("a")
    trades = (
        select(Transaction.user_id, func.count().label("n"))
        .group_by(Transaction.user_id)
        .subquery("t")
    )
    seen = (
        select(
            UserSession.user_id,
            func.max(func.coalesce(UserSession.refreshed_at, UserSession.created_at)).label("at"),
        )
        .group_by(UserSession.user_id)
        .subquery("s")
    )
    rows = db.execute(
        select(
            User.email,
            User.created_at,
            User.is_admin,
            User.disabled_at,
            func.coalesce(assets.c.n, 0),
            func.coalesce(trades.c.n, 0),
            seen.c.at,
        )
        .outerjoin(assets, assets.c.user_id == User.id)
        .outerjoin(trades, trades.c.user_id == User.id)
        .outerjoin(seen, seen.c.user_id == User.id)
        .order_by(User.created_at, User.email)
    )
    return [
        AccountRow(email, created, bool(admin), disabled, int(n_assets), int(n_trades), last)
        for email, created, admin, disabled, n_assets, n_trades, last in rows
    ]


def _account(db: Session, email: str) -> User:
    user = user_by_email(db, email)
    if user is None:
        raise NotFound(f"No account with the email {email.strip().lower()!r}.")
    return user


def disable(db: Session, email: str) -> User:
    """Disable the account and revoke all its sessions and API tokens, in one commit.
    Disabling a disabled account keeps its first `disabled_at`. Raises NotFound."""
    user = _account(db, email)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    sessions.revoke_all_except(db, user.id, None)
    db.commit()
    return user


def enable(db: Session, email: str) -> User:
    """Let a disabled account sign in again (its old sessions stay revoked). Raises
    NotFound."""
    user = _account(db, email)
    user.disabled_at = None
    db.commit()
    return user


def set_admin(db: Session, email: str, admin: bool) -> User:
    """Grant (True) or revoke (False) admin. Raises NotFound."""
    user = _account(db, email)
    user.is_admin = admin
    db.commit()
    return user
