"""Page routes: a route class that marks them (kept out of the OpenAPI document, HTML errors)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.requests import HTTPConnection


class PageRoute(APIRoute):
    """A route answering an HTML page. Not part of the API document."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        kwargs["include_in_schema"] = False  # the router passes True by default
        super().__init__(path, endpoint, **kwargs)


def page_router(**kwargs: Any) -> APIRouter:
    """An APIRouter for pages (one per module of web/pages/)."""
    return APIRouter(
        route_class=PageRoute,
        include_in_schema=False,
        default_response_class=HTMLResponse,
        **kwargs,
    )


_NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json", "/static/", "/healthz", "/readyz")


def is_page_request(connection: HTTPConnection) -> bool:
    """A request a page route answered, or one for no route at all made by a browser."""
    route = connection.scope.get("route")
    if route is not None:
        return isinstance(route, PageRoute)
    path = connection.url.path
    accepts_html = "text/html" in connection.headers.get("accept", "")
    return accepts_html and not path.startswith(_NOT_PAGES)
