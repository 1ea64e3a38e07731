"""Security headers on every answer (pure ASGI middleware: no per-request task group or
response copy, as Starlette's `BaseHTTPMiddleware` would cost on every request).

A header the route already set is kept (the same rule as `setdefault`).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """`csp_of(path)` gives the Content-Security-Policy of a path (pages and API differ)."""

    def __init__(self, app: ASGIApp, csp_of: Callable[[str], str]) -> None:
        self.app = app
        self.csp_of = csp_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if path.startswith("/api/"):
                    headers.setdefault("Cache-Control", "no-store")
                headers.setdefault("Content-Security-Policy", self.csp_of(path))
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, send_with_headers)
