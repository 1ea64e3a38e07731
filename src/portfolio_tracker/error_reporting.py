"""Sentry error reporting, on only when SENTRY_DSN is set (sentry-sdk).

No personal data is sent (``send_default_pii=False``: no cookies, Authorization headers,
request bodies or client IPs) and no performance traces; errors only.
"""

from __future__ import annotations

import sentry_sdk


def init_error_reporting(dsn: str | None, release: str) -> bool:
    """Start the Sentry client when ``dsn`` is set; whether it was started."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        release=release,
        send_default_pii=False,
        traces_sample_rate=0.0,
        max_request_body_size="never",
    )
    return True
