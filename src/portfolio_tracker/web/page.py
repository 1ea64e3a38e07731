"""What every page handler gets: who is visiting, in which language and formats, and how to
answer (render a template, redirect), with the session cookie and form tokens looked after.

Page routes declare `AnyPage` (anyone), `SignedInPage` (redirects to the sign-in page when
there is no valid session), `FormPage` (a POST: Origin/Referer and the form token are checked
before the handler runs; the parsed form is `page.form`) or `SignedInForm` (both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from portfolio_tracker.accounts import sessions
from portfolio_tracker.accounts.auth import (
    SESSION_COOKIE,
    Principal,
    check_origin,
    set_session_cookie,
)
from portfolio_tracker.api.deps import AppSettings, DbSession
from portfolio_tracker.db.models import DEFAULT_BASE_CURRENCY, DEFAULT_TIME_ZONE, User
from portfolio_tracker.errors import Forbidden
from portfolio_tracker.notifications.service import unread_count
from portfolio_tracker.settings import Settings
from portfolio_tracker.usersettings.service import get_settings
from portfolio_tracker.web import csrf
from portfolio_tracker.web.formatting import Formatter
from portfolio_tracker.web.i18n import (
    LOCALE_OF_LANGUAGE,
    Language,
    browser_language,
    language_of,
    translations,
)
from portfolio_tracker.web.templating import templates

R = TypeVar("R", bound=Response)


class SignInRequired(Exception):
    """A signed-in page was asked for without a valid session: go to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class FormRefused(Exception):
    """A page POST without a valid form token, or from another origin (403)."""


@dataclass(slots=True)
class Page:
    request: Request
    db: Session
    settings: Settings
    principal: Principal | None
    locale: str
    time_zone: str
    base_currency: str
    language: Language
    format: Formatter
    form: FormData = field(default_factory=FormData)
    _csrf_secret: str | None = None
    _set_anonymous_secret: bool = False
    _refresh_session: str | None = None
    _unread: int = 0

    @property
    def user(self) -> User:
        """The signed-in user (only on SignedInPage/FormPage routes that require one)."""
        if self.principal is None:
            raise SignInRequired(self.request.url.path)
        return self.principal.user

    def gettext(self, message: str, **values: Any) -> str:
        """`message` in the page's language, with %(name)s placeholders filled from `values`."""
        text = translations(self.language).gettext(message)
        return text % values if values else text

    def unread_notifications(self) -> int:
        """The signed-in user's unread notifications (the navigation's badge); 0 signed out.
        Counted when the page was set up: an error page renders after the request's
        database session is closed, and must not open another."""
        return self._unread

    def csrf_token(self) -> str:
        """The hidden form field of this visitor's forms (sets the pt_csrf cookie if needed)."""
        if self._csrf_secret is None:
            self._csrf_secret = csrf.new_anonymous_secret()
            self._set_anonymous_secret = True
        return csrf.form_token(self._csrf_secret)

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        body = templates.get_template(template).render(self._template_values(values))
        return self.finish(HTMLResponse(body, status_code=status_code))

    def redirect(self, path: str) -> RedirectResponse:
        """303 See Other to a path of this site (after a POST, or to the sign-in page)."""
        return self.finish(RedirectResponse(path, status_code=303))

    def finish(self, response: R) -> R:
        """Sets the cookies this request owes: an extended session, a new pt_csrf secret."""
        if self._refresh_session is not None:
            set_session_cookie(self.request, response, self._refresh_session, self.settings)
        if self._set_anonymous_secret and self._csrf_secret is not None:
            response.set_cookie(
                csrf.ANONYMOUS_COOKIE,
                self._csrf_secret,
                httponly=True,
                samesite="lax",
                secure=self.settings.cookie_secure or self.request.url.scheme == "https",
                path="/",
            )
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def _template_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **template_globals(self.language, self.format),
            "page": self,
            "request": self.request,
            "user": self.principal.user if self.principal else None,
            **values,
        }


def template_globals(language: Language, formatter: Formatter) -> dict[str, Any]:
    """What every template gets, signed in or not: gettext in `language`, the formats."""
    catalogue = translations(language)

    def gettext(message: str, **values: Any) -> Markup:
        # Catalogue strings are ours (trusted); the values are escaped by Markup's %.
        text = Markup(catalogue.gettext(message))
        return text % values if values else text

    def ngettext(singular: str, plural: str, n: int, **values: Any) -> Markup:
        return Markup(catalogue.ngettext(singular, plural, n)) % {"num": n, **values}

    return {
        "language": language,
        "fmt": formatter,
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "page": None,
        "user": None,
        "notice": None,
    }


def _page(request: Request, db: DbSession, settings: AppSettings) -> Page:
    token = request.cookies.get(SESSION_COOKIE)
    principal, refresh = None, None
    if token:
        found = sessions.find_active(db, token, settings)
        if found is not None:
            user_session, user, extended = found
            principal = Principal(user=user, session=user_session, via="cookie")
            refresh = token if extended else None
    if principal is not None:
        prefs = get_settings(db, principal.user.id)
        unread = unread_count(db, principal.user.id)
        locale, time_zone, currency = prefs.locale, prefs.time_zone, prefs.base_currency
        secret: str | None = token
    else:
        locale = LOCALE_OF_LANGUAGE[browser_language(request.headers.get("accept-language"))]
        time_zone, currency = DEFAULT_TIME_ZONE, DEFAULT_BASE_CURRENCY
        secret = request.cookies.get(csrf.ANONYMOUS_COOKIE)
        unread = 0
    page = Page(
        request=request,
        db=db,
        settings=settings,
        principal=principal,
        locale=locale,
        time_zone=time_zone,
        base_currency=currency,
        language=language_of(locale),
        format=Formatter(locale),
        _csrf_secret=secret,
        _refresh_session=refresh,
        _unread=unread,
    )
    request.state.page = page  # the error pages answer in the same language
    return page


def _signed_in_page(page: Annotated[Page, Depends(_page)]) -> Page:
    if page.principal is None:
        raise SignInRequired(page.request.url.path)
    return page


async def _form(request: Request) -> FormData:
    return await request.form()


def _form_page(
    page: Annotated[Page, Depends(_page)], form: Annotated[FormData, Depends(_form)]
) -> Page:
    """A POST from one of our forms: same origin, and the token of this visitor's forms."""
    try:
        check_origin(page.request, page.settings, required=True)
    except Forbidden as exc:
        raise FormRefused(str(exc)) from exc
    submitted = form.get(csrf.FIELD)
    if not isinstance(submitted, str):  # htmx requests send it as a header (see base.html)
        submitted = page.request.headers.get(csrf.HEADER)
    if not csrf.token_matches(page._csrf_secret, submitted):
        raise FormRefused("The form has expired or did not come from this site.")
    page.form = form
    return page


def sign_in_path(next_path: str) -> str:
    """/signin, with where to go back to after signing in (a path of this site only)."""
    if not next_path.startswith("/") or next_path.startswith("//") or next_path == "/":
        return "/signin"
    return f"/signin?next={quote(next_path, safe='/')}"


def _signed_in_form(page: Annotated[Page, Depends(_form_page)]) -> Page:
    return _signed_in_page(page)


AnyPage = Annotated[Page, Depends(_page)]
SignedInPage = Annotated[Page, Depends(_signed_in_page)]
FormPage = Annotated[Page, Depends(_form_page)]
SignedInForm = Annotated[Page, Depends(_signed_in_form)]
