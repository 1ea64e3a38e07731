"""Password hashing, session tokens and sign-in throttling — all on well-kept libraries."""

from __future__ import annotations

import hashlib
import secrets
from functools import lru_cache
from importlib import resources

from limits import RateLimitItem
from limits import parse as parse_limit
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from portfolio_tracker.errors import RateLimited
from portfolio_tracker.rate_limits import ResilientLimiter

# OWASP's argon2id floor (19 MiB, 2 passes, 1 lane). Changing these rehashes on next sign-in.
PASSWORD_HASHER = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))
# Hashed for unknown emails so a miss costs as much time as a wrong password.
_DUMMY_HASH = PASSWORD_HASHER.hash("not-a-real-password-" + secrets.token_hex(8))

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


def hash_password(password: str) -> str:
    return PASSWORD_HASHER.hash(password)


def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """(matches, new hash if the parameters changed). Unknown user: hashed=None."""
    if hashed is None:
        PASSWORD_HASHER.verify(password, _DUMMY_HASH)
        return False, None
    return PASSWORD_HASHER.verify_and_update(password, hashed)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("portfolio_tracker.accounts").joinpath("common_passwords.txt")
    return frozenset(line.strip().lower() for line in text.read_text().splitlines() if line)


def is_common_password(password: str) -> bool:
    return password.lower() in common_passwords()


def new_session_token() -> str:
    """256 random bits, URL-safe. Only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthThrottle:
    """Counts failed sign-ins and sign-ups per email and per IP address.

    Only failures count, so people who type their password right are never slowed down.
    The per-IP budget is larger than the per-email one: many people can share one address
    (NAT, an office), and a small per-IP budget would let one of them lock out the rest.
    Counts are shared through Redis when configured (see portfolio_tracker.rate_limits).
    """

    def __init__(
        self, email_limit: str, ip_limit: str, redis_url: str | None, key_prefix: str
    ) -> None:
        self.email_item = parse_limit(email_limit)
        self.ip_item = parse_limit(ip_limit)
        self.limiter = ResilientLimiter(redis_url, key_prefix)

    def _items(self, ip: str, email: str) -> list[tuple[RateLimitItem, str]]:
        return [(self.email_item, f"email:{email}"), (self.ip_item, f"ip:{ip}")]

    def ensure_allowed(self, scope: str, *, ip: str, email: str) -> None:
        for item, key in self._items(ip, email):
            if not self.limiter.test(item, scope, key):
                raise RateLimited(
                    "Too many attempts. Try again later.",
                    retry_after=self.limiter.retry_after(item, scope, key),
                )

    def record_failure(self, scope: str, *, ip: str, email: str) -> None:
        for item, key in self._items(ip, email):
            self.limiter.hit(item, scope, key)

    def close(self) -> None:
        self.limiter.close()
