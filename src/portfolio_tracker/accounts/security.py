"""Password hashing, session tokens and sign-in throttling — all on well-kept libraries."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from limits import RateLimitItem, RateLimitItemPerDay
from limits import parse as parse_limit
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from portfolio_tracker.errors import RateLimited
from portfolio_tracker.rate_limits import ResilientLimiter
from portfolio_tracker.redis_guard import RedisGuard

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
    """Slows password guessing down without letting anyone lock the owner out.

    Failed sign-ins (and refused sign-ups) are counted three ways:

    * per (email, IP) pair, strictly (`pair_limit`): guessing one account from one place
      stops there, even with the right password, until the window moves on;
    * per email across all IPs (`email_limit`, a larger budget) and per IP across all
      emails (`ip_limit`): once one is spent, only the places where the account signed in
      before ("known" pairs, remembered for 30 days) may still try. An attacker spraying
      from many addresses, or one address guessing many accounts, is stopped; the owner at
      home and colleagues behind a shared NAT who signed in before are not.

    Sign-ups are also counted per IP whether they succeed or not (`signup_limit`): each one
    costs an argon2 hash and creates rows. Counts are shared through Redis when configured
    (see portfolio_tracker.rate_limits).
    """

    def __init__(
        self,
        limits: AuthLimits,
        redis_url: str | None,
        key_prefix: str,
        guard: RedisGuard | None = None,
    ) -> None:
        self.pair_item = parse_limit(limits.pair)
        self.email_item = parse_limit(limits.email)
        self.ip_item = parse_limit(limits.ip)
        self.signup_item = parse_limit(limits.signup)
        self.limiter = ResilientLimiter(redis_url, key_prefix, guard)

    def _refuse(self, item: RateLimitItem, *identifiers: str) -> RateLimited:
        return RateLimited(
            "Too many attempts. Try again later.",
            retry_after=self.limiter.retry_after(item, *identifiers),
        )

    def is_known(self, *, ip: str, email: str) -> bool:
        """Whether this account signed in from this IP within the last 30 days."""
        return not self.limiter.test(KNOWN_PLACE, "known", f"{email}|{ip}")

    def remember_place(self, *, ip: str, email: str) -> None:
        """A successful sign-in: this IP may keep trying this account when budgets run out."""
        if not self.is_known(ip=ip, email=email):
            self.limiter.hit(KNOWN_PLACE, "known", f"{email}|{ip}")

    def ensure_allowed(self, scope: str, *, ip: str, email: str) -> None:
        """RateLimited (429 with Retry-After) when this attempt may not even be checked."""
        pair = f"pair:{email}|{ip}"
        if not self.limiter.test(self.pair_item, scope, pair):
            raise self._refuse(self.pair_item, scope, pair)
        for item, key in ((self.email_item, f"email:{email}"), (self.ip_item, f"ip:{ip}")):
            if not self.limiter.test(item, scope, key) and not self.is_known(ip=ip, email=email):
                raise self._refuse(item, scope, key)

    def record_failure(self, scope: str, *, ip: str, email: str) -> None:
        for item, key in (
            (self.pair_item, f"pair:{email}|{ip}"),
            (self.email_item, f"email:{email}"),
            (self.ip_item, f"ip:{ip}"),
        ):
            self.limiter.hit(item, scope, key)

    def count_signup(self, *, ip: str) -> None:
        """Count one sign-up attempt of `ip`; RateLimited once its budget is spent."""
        if not self.limiter.hit(self.signup_item, "signup-attempts", ip):
            raise self._refuse(self.signup_item, "signup-attempts", ip)

    def close(self) -> None:
        self.limiter.close()


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """Budgets in the `limits` notation ("5/minute"): see `AuthThrottle`."""

    pair: str
    email: str
    ip: str
    signup: str


# One hit marks an (email, IP) pair as a place the account signed in from, for 30 days.
KNOWN_PLACE = RateLimitItemPerDay(1, 30)
