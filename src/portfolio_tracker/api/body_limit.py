"""Request bodies are bounded while they are read (pure ASGI middleware).

A body larger than the limit of its route answers 413 with a JSON body: at once when its
Content-Length says so (nothing is read), or as soon as the bytes received pass the limit
(chunked bodies: the app then sees a disconnected client and its answer is replaced).
It runs before routing and authentication, so a large unauthenticated
body costs at most the limit in memory, never its whole size.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_detail(limit: int) -> str:
    return f"Request body too large: at most {_size(limit)} are accepted here."


def _size(count: int) -> str:
    """Bytes as a person reads them: 20 MiB, 64 KiB, 1500 bytes."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= factor and count % factor == 0:
            return f"{count // factor} {unit}"
    return f"{count} bytes"


class BodySizeLimit:
    """`default_limit` bytes for every request; `larger_limits` maps a path prefix (e.g.
    "/api/import") to its own limit, for the routes that take uploads."""

    def __init__(
        self, app: ASGIApp, default_limit: int, larger_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        # Longest prefix first, so "/api/import/x" beats "/api".
        self.larger_limits = sorted(
            (larger_limits or {}).items(), key=lambda item: len(item[0]), reverse=True
        )

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.larger_limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        too_large = False
        response_started = False

        async def bounded_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # To the app the client went away; the 413 is answered below.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large:
                return  # the app's answer to a body cut short is replaced by the 413
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not response_started:
            await _too_large(limit)(scope, receive, send)


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {"detail": too_large_detail(limit)}, status_code=413, headers={"Connection": "close"}
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
