"""The Content-Security-Policy of each response.

Pages run only our own files: no inline script or style, nothing from another origin, no
framing. /docs and /redoc (Swagger UI and ReDoc, served from the fastapi-offline package)
start themselves with an inline script and inline styles, so they alone get a looser policy.
"""

from __future__ import annotations

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_DOCS_PATHS = ("/docs", "/redoc")


def content_security_policy(path: str) -> str:
    if path in _DOCS_PATHS or path.startswith(tuple(p + "/" for p in _DOCS_PATHS)):
        return DOCS_POLICY
    return PAGE_POLICY
