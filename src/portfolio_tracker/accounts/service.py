"""Sign-up and sign-in: the rules, with the throttle and the hashing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portfolio_tracker.accounts import sessions
from portfolio_tracker.accounts.schemas import SignInRequest, SignUpRequest
from portfolio_tracker.accounts.security import AuthThrottle, hash_password, verify_password
from portfolio_tracker.db import locks
from portfolio_tracker.db.models import User, UserSession
from portfolio_tracker.errors import Conflict, Forbidden, Unauthorized
from portfolio_tracker.settings import Settings

GENERIC_SIGNIN_FAILURE = "Invalid email or password."
ACCOUNT_DISABLED = "This account is disabled. Ask the administrator of this site to enable it."


def user_by_email(db: Session, email: str) -> User | None:
    """The account with this email (compared trimmed and lower-cased, as stored), or None."""
    return db.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(db: Session, email: str, password: str, name: str | None) -> User:
    """Add an account (not committed: the caller commits). The first account of the
    database becomes admin (`User.is_admin`), exactly one of several concurrent first
    sign-ups. Raises Conflict when the email is taken."""
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.")
    user = User(email=email, hashed_password=hash_password(password), name=name)
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        db.rollback()
        raise Conflict("An account with this email already exists.") from exc
    if _is_only_user(db, user):
        user.is_admin = True
        db.flush()
    return user


def _is_only_user(db: Session, user: User) -> bool:
    """Whether no other account exists, decided race-free: our row is written (on SQLite
    that holds the write lock), and on PostgreSQL concurrent first sign-ups serialise on an
    advisory lock, so the later one sees the earlier one's committed row."""
    others = select(User.id).where(User.id != user.id).limit(1)
    if db.scalar(others) is not None:  # the usual case: someone committed before us
        return False
    locks.hold_until_commit(db, locks.FIRST_USER)
    return db.scalar(others) is None


def sign_up(
    db: Session,
    body: SignUpRequest,
    settings: Settings,
    throttle: AuthThrottle,
    *,
    ip: str,
    user_agent: str | None,
) -> tuple[User, str, UserSession]:
    throttle.ensure_allowed("signup", ip=ip, email=body.email)
    throttle.count_signup(ip=ip)  # before the argon2 hash: each sign-up costs one
    try:
        user = create_user(db, body.email, body.password, body.name)
    except Conflict:
        throttle.record_failure("signup", ip=ip, email=body.email)
        raise
    token, record = sessions.create(db, user, settings, user_agent=user_agent, ip=ip)
    db.commit()
    throttle.remember_place(ip=ip, email=user.email)
    return user, token, record


def sign_in(
    db: Session,
    body: SignInRequest,
    settings: Settings,
    throttle: AuthThrottle,
    *,
    ip: str,
    user_agent: str | None,
) -> tuple[User, str, UserSession]:
    email = body.email.strip().lower()
    throttle.ensure_allowed("signin", ip=ip, email=email)
    user = db.scalar(select(User).where(User.email == email))
    matches, new_hash = verify_password(body.password, user.hashed_password if user else None)
    if user is None or not matches:
        throttle.record_failure("signin", ip=ip, email=email)
        raise Unauthorized(GENERIC_SIGNIN_FAILURE)
    if user.disabled_at is not None:
        # Said only to whoever knows the password: it tells nobody else the account exists.
        raise Forbidden(ACCOUNT_DISABLED)
    if new_hash is not None:
        user.hashed_password = new_hash
    sessions.purge_expired(db, settings, user_id=user.id)
    token, record = sessions.create(db, user, settings, user_agent=user_agent, ip=ip)
    db.commit()
    throttle.remember_place(ip=ip, email=email)
    return user, token, record
