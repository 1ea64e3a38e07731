"""Real local servers for delivery tests: an SMTP server (aiosmtpd) and an HTTP server that
records webhook POSTs. Both listen on loopback ports and answer as told."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from support import free_port


@dataclass
class MailBox:
    """What the SMTP server received; `answer` is its reply to DATA (a 4xx refuses)."""

    answer: str = "250 Message accepted for delivery"
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    refused: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if not self.answer.startswith("250"):
            self.refused += 1
            return self.answer
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return self.answer


@contextmanager
def smtp_server(box: MailBox, port: int | None = None) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 (a free port unless given); yields the port."""
    port = port or free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


@dataclass
class Hook:
    """What the webhook server received; it answers `status` to every POST."""

    status: int = 200
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def webhook_server(hook: Hook) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 recording POSTs; yields its URL (…/hook)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            hook.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
