"""Routers whose JSON bodies keep every digit.

Starlette parses JSON numbers into floats, so `123456789012.123456789` sent as a number would
reach validation already rounded to 17 digits. Our routes parse fractional numbers straight
into Decimal instead; strings were always exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal)
        return self._json


class ExactJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def exact_json_handler(request: Request) -> Response:
            return await handler(ExactJsonRequest(request.scope, request.receive))

        return exact_json_handler


def api_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for the JSON API (exact decimals in request bodies)."""
    return APIRouter(route_class=ExactJsonRoute, **kwargs)
