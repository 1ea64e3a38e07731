"""How the app is served: uvicorn's HTTP/1.1 protocol with two fixes of ours.

* TCP_NODELAY on every accepted connection. asyncio sets it itself, but not on sockets of
  uvicorn's multi-process mode (the socket handed to the workers does not look like TCP to
  asyncio's check), and without it a keep-alive response waits ~40 ms for a delayed ACK.
* A request whose head is malformed or too large (over h11's incomplete-event limit,
  16 KiB by default) answers its real status (431 for oversized headers) with a JSON body,
  and the connection is half-closed and drained, so the client reads the answer instead of
  a TCP reset (closing a socket with unread input resets it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from portfolio_tracker.settings import Settings

# Seconds a rejected connection is drained before it is closed anyway.
DRAIN_SECONDS = 2.0

_REASONS = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}
_DETAILS = {
    400: "Invalid HTTP request.",
    431: "Request header fields too large.",
}


class _ErrorNotingConnection:
    """An h11.Connection that remembers the status hint of the last protocol error."""

    def __init__(self, connection: h11.Connection) -> None:
        self._connection = connection
        self.error_status = 400

    def next_event(self) -> Any:
        try:
            return self._connection.next_event()
        except h11.RemoteProtocolError as exc:
            self.error_status = exc.error_status_hint
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class AppH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with TCP_NODELAY and honest answers to bad request heads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _ErrorNotingConnection(self.conn)  # type: ignore[assignment]
        self._draining = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # OSError: not TCP after all (a test transport): nothing to tune.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return  # the rest of a rejected request: read and dropped
        super().data_received(data)

    def eof_received(self) -> bool | None:  # type: ignore[override]
        if self._draining:
            self.transport.close()
        return None

    def send_400_response(self, msg: str) -> None:
        status = getattr(self.conn, "error_status", 400)
        status = status if status in _REASONS else 400
        body = json.dumps({"detail": _DETAILS[status]}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        response = h11.Response(status_code=status, headers=headers, reason=_REASONS[status])
        for event in (response, h11.Data(data=body), h11.EndOfMessage()):
            output = self.conn.send(event)
            if output:
                self.transport.write(output)
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn keyword arguments of every way the app is served (CLI, tests, benches)."""
    return {
        "http": AppH11Protocol,
        # Forwarded headers only from the configured proxies: a client rotating
        # X-Forwarded-For must not pick its own address (and so its rate-limit budget).
        "proxy_headers": bool(settings.forwarded_allow_ips.strip()),
        "forwarded_allow_ips": settings.forwarded_allow_ips.strip() or None,
        "log_config": None,
    }
