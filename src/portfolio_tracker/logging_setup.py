"""Structured JSON logs on stderr: one object per line, never a token or a password.

Every line logged while a request is served carries its ``request_id`` (the client's
``X-Request-ID`` when it is a sane one, else a new one; echoed in the response) and, once
the caller is authenticated, its ``user_id``. The context is one mutable object per request
in a context variable: sync routes and dependencies run on other threads with a copy of the
context, and the copy still points at the same object, so a user bound in a dependency is
on every later line of the request.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(slots=True)
class RequestContext:
    request_id: str
    user_id: str | None = None


_context: ContextVar[RequestContext | None] = ContextVar("request_context", default=None)


def bind_request(request_id: str) -> Token[RequestContext | None]:
    """Start a request's log context; give the token back to ``unbind_request``."""
    return _context.set(RequestContext(request_id))


def unbind_request(token: Token[RequestContext | None]) -> None:
    _context.reset(token)


def bind_user(user_id: uuid.UUID | str) -> None:
    """Name the authenticated user on the rest of the request's lines (no-op outside one)."""
    context = _context.get()
    if context is not None:
        context.user_id = str(user_id)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = _context.get()
        if context is not None:
            entry["request_id"] = context.request_id
            if context.user_id is not None:
                entry["user_id"] = context.user_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
