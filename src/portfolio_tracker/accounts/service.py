"""Sign-up and sign-in: the rules, with the throttle and the hashing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portfolio_tracker.accounts import sessions
from portfolio_tracker.accounts.schemas import SignInRequest, SignUpRequest
from portfolio_tracker.accounts.security import AuthThrottle, hash_password, verify_password
from portfolio_tracker.db.models import User, UserSession
from portfolio_tracker.errors import Conflict, Unauthorized
from portfolio_tracker.settings import Settings

GENERIC_SIGNIN_FAILURE = "Invalid email or password."


def user_by_email(db: Session, email: str) -> User | None:
    """The account with this email (compared trimmed and lower-cased, as stored), or None."""
    return db.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(db: Session, email: str, password: str, name: str | None) -> User:
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this email already exists.")
    user = User(email=email, hashed_password=hash_password(password), name=name)
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:  # a concurrent sign-up with the same email won the race
        db.rollback()
        raise Conflict("An account with this email already exists.") from exc
    return user


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
    if new_hash is not None:
        user.hashed_password = new_hash
    sessions.purge_expired(db, settings, user_id=user.id)
    token, record = sessions.create(db, user, settings, user_agent=user_agent, ip=ip)
    db.commit()
    throttle.remember_place(ip=ip, email=email)
    return user, token, record
