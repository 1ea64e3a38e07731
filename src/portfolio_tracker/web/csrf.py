"""Form tokens against cross-site request forgery (OWASP's HMAC-based synchroniser token).

Every HTML form carries a hidden `csrf_token` that a page of another site cannot know:
- signed in, it is an HMAC of a fixed label keyed with the session token (which lives only in
  the HttpOnly session cookie), so it is per session and dies with it; nothing is stored;
- signed out (sign-in and sign-up forms), it is keyed with a random value in its own
  HttpOnly cookie (`pt_csrf`), set when such a form is first shown.
Every page POST checks it (the form field, or the X-CSRF-Token header that htmx requests carry),
on top of the Origin/Referer check the API already makes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

FIELD = "csrf_token"
HEADER = "x-csrf-token"  # the same token, for htmx requests (hx-headers on <body>)
ANONYMOUS_COOKIE = "pt_csrf"
_LABEL = b"portfolio-tracker form token v1"


def form_token(secret: str) -> str:
    """The hidden-field value for forms of whoever holds `secret` (a session or pt_csrf token)."""
    return hmac.new(secret.encode(), _LABEL, hashlib.sha256).hexdigest()


def new_anonymous_secret() -> str:
    return secrets.token_urlsafe(32)


def token_matches(secret: str | None, submitted: str | None) -> bool:
    """Whether `submitted` is the form token of `secret` (constant time; False if either is
    missing)."""
    if not secret or not submitted or len(submitted) > 128:
        return False
    return hmac.compare_digest(form_token(secret), submitted)
