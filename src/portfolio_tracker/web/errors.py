"""Errors on pages answer HTML in the visitor's language; the API keeps its JSON.

Every exception handler the app has (domain errors, HTTP errors, the last-resort 500) is
wrapped: on a page request it renders `error.html` with the same status and message;
elsewhere the original handler answers exactly as before. Page-only exceptions (sign-in
required, refused form) get their own handlers.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse

from portfolio_tracker.web.formatting import Formatter
from portfolio_tracker.web.i18n import LOCALE_OF_LANGUAGE, browser_language
from portfolio_tracker.web.page import (
    FormRefused,
    Page,
    SignInRequired,
    sign_in_path,
    template_globals,
)
from portfolio_tracker.web.routing import is_page_request
from portfolio_tracker.web.templating import templates

log = logging.getLogger(__name__)
_KEPT_HEADERS = ("allow", "retry-after", "www-authenticate")
Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def install_page_errors(app: FastAPI) -> None:
    """Call after the API's error handlers are installed."""
    for exc_class, original in list(app.exception_handlers.items()):
        if isinstance(exc_class, type):
            app.add_exception_handler(exc_class, _for_pages(original))
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(FormRefused, _form_refused)


def _for_pages(original: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        answer = original(request, exc)
        response = await answer if inspect.isawaitable(answer) else answer
        if not is_page_request(request):
            return response
        try:
            page = error_page(request, response.status_code, _detail_of(response))
        except Exception:  # the error page itself failed: the plain answer is still right
            log.exception("error page failed on %s", request.url.path)
            return response
        for name in _KEPT_HEADERS:  # what the status promises (405 Allow, 429 Retry-After)
            if name in response.headers:
                page.headers[name] = response.headers[name]
        return page

    return handler


def _detail_of(response: Response) -> str | None:
    try:
        detail = json.loads(bytes(response.body)).get("detail")
    except (ValueError, AttributeError):
        return None
    return detail if isinstance(detail, str) else None


def error_page(request: Request, status_code: int, detail: str | None = None) -> Response:
    page: Page | None = getattr(request.state, "page", None)
    values: dict[str, Any] = {"status": status_code, "detail": detail}
    if page is not None:
        return page.render("error.html", status_code, **values)
    # No Page was built (no route matched): the browser's language, nothing of a user.
    language = browser_language(request.headers.get("accept-language"))
    formatter = Formatter(LOCALE_OF_LANGUAGE[language])
    body = templates.get_template("error.html").render(
        {**template_globals(language, formatter), "request": request, **values}
    )
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = exc.next_path if request.method == "GET" else "/"
    return Response(status_code=303, headers={"Location": sign_in_path(target)})


async def _form_refused(request: Request, exc: Exception) -> Response:
    return error_page(request, 403, str(exc))
