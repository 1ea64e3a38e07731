"""Per-request observability: the request id (X-Request-ID in and out, on every log line),
request latency by route template (Prometheus), and ``/metrics``.

A pure ASGI middleware (no response buffering); the route template (``/api/assets/{asset_id}``,
never the raw path, so the label set stays small) is read from the scope after routing.
"""

from __future__ import annotations

import hmac
import re
import time
import uuid

from fastapi import APIRouter, Request, Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portfolio_tracker import metrics
from portfolio_tracker.api.deps import AppSettings
from portfolio_tracker.errors import Unauthorized
from portfolio_tracker.logging_setup import bind_request, unbind_request

REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is kept only when it cannot smuggle anything into a log line or a header.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request, settings: AppSettings) -> Response:
    """Prometheus text exposition. With METRICS_TOKEN set, only for `Authorization: Bearer
    <METRICS_TOKEN>` (compared in constant time); Unauthorized (401) otherwise."""
    if settings.metrics_token is not None:
        expected = settings.metrics_token.get_secret_value().encode()
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        matches = hmac.compare_digest(given.strip().encode(), expected)
        if scheme.lower() != "bearer" or not matches:
            raise Unauthorized("The metrics need Authorization: Bearer <METRICS_TOKEN>.")
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if _SANE_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


class RequestObservability:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        token = bind_request(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or "unmatched"
            metrics.REQUEST_LATENCY.labels(scope["method"], template, str(status)).observe(
                time.perf_counter() - started
            )
            unbind_request(token)
