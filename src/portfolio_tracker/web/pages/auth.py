"""Sign-in, sign-up and sign-out pages: the accounts service behind HTML forms."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.accounts import service, sessions
from portfolio_tracker.accounts.auth import Throttle, clear_session_cookie, set_session_cookie
from portfolio_tracker.accounts.routes import client_ip
from portfolio_tracker.accounts.schemas import SignInRequest, SignUpRequest
from portfolio_tracker.accounts.security import AuthThrottle
from portfolio_tracker.db.models import User, UserSession
from portfolio_tracker.errors import Conflict, Forbidden, RateLimited, Unauthorized
from portfolio_tracker.usersettings import service as user_settings
from portfolio_tracker.usersettings.schemas import SettingsUpdate
from portfolio_tracker.web import csrf
from portfolio_tracker.web.forms import FORM, Errors, errors_from_validation, form_values
from portfolio_tracker.web.i18n import LOCALE_OF_LANGUAGE, browser_language
from portfolio_tracker.web.page import AnyPage, FormPage, Page, SignedInForm
from portfolio_tracker.web.routing import page_router

router = page_router()


def _next_path(value: object) -> str:
    """Where to go after signing in: a path of this site, never another site."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


def sign_in_form(page: Page, errors: Errors | None = None, email: str = "") -> Response:
    next_path = _next_path(page.request.query_params.get("next") or page.form.get("next"))
    deleted = page.request.query_params.get("deleted")
    return page.render(
        "signin.html",
        422 if errors else 200,
        errors=errors or {},
        email=email,
        next_path=next_path,
        notice=page.gettext("Your account and all its data were deleted.") if deleted else None,
    )


@router.get("/signin")
def sign_in_page(page: AnyPage) -> Response:
    if page.principal is not None:
        return page.redirect("/")
    return sign_in_form(page)


@router.post("/signin")
def sign_in(page: FormPage, throttle: Throttle) -> Response:
    values = form_values(page.form, ("email", "password"))
    try:
        body = SignInRequest.model_validate(values)
        _user, token = _open_session(service.sign_in, page, body, throttle)
    except ValidationError as exc:
        return sign_in_form(page, errors_from_validation(exc, page.gettext), values["email"])
    except Unauthorized:
        message = page.gettext("Invalid email or password.")
        return sign_in_form(page, {FORM: [message]}, values["email"])
    except Forbidden:  # the account is disabled (said only after the right password)
        message = page.gettext(
            "This account is disabled. Ask the administrator of this site to enable it."
        )
        return sign_in_form(page, {FORM: [message]}, values["email"])
    except RateLimited as exc:
        return sign_in_form(page, {FORM: [too_many(page, exc)]}, values["email"])
    return _signed_in(page, token, _next_path(page.form.get("next")))


@router.get("/signup")
def sign_up_page(page: AnyPage) -> Response:
    if page.principal is not None:
        return page.redirect("/")
    return page.render("signup.html", errors={}, email="", name="")


@router.post("/signup")
def sign_up(page: FormPage, throttle: Throttle) -> Response:
    values = form_values(page.form, ("email", "password", "name"), optional=("name",))

    def again(errors: Errors) -> Response:
        email, name = values.get("email", ""), values.get("name", "")
        return page.render("signup.html", 422, errors=errors, email=email, name=name)

    try:
        body = SignUpRequest.model_validate(values)
        user, token = _open_session(service.sign_up, page, body, throttle)
    except ValidationError as exc:
        return again(errors_from_validation(exc, page.gettext))
    except Conflict:
        return again({"email": [page.gettext("An account with this email already exists.")]})
    except RateLimited as exc:
        return again({FORM: [too_many(page, exc)]})
    # An account made here starts in the browser's language (an API sign-up keeps the default).
    locale = LOCALE_OF_LANGUAGE[browser_language(page.request.headers.get("accept-language"))]
    user_settings.update_settings(page.db, user.id, SettingsUpdate(locale=locale))
    return _signed_in(page, token, "/")


@router.post("/signout")
def sign_out(page: SignedInForm) -> Response:
    assert page.principal is not None
    sessions.revoke(page.db, page.principal.session.id)
    page.db.commit()
    response = page.redirect("/")
    clear_session_cookie(page.request, response, page.settings)
    return response


def _signed_in(page: Page, token: str, next_path: str) -> Response:
    response = page.redirect(next_path)
    set_session_cookie(page.request, response, token, page.settings)
    response.delete_cookie(csrf.ANONYMOUS_COOKIE, path="/")  # the session keys the forms now
    return response


def _open_session(
    open_session: Callable[..., tuple[User, str, UserSession]],
    page: Page,
    body: SignInRequest | SignUpRequest,
    throttle: AuthThrottle,
) -> tuple[User, str]:
    """The accounts service's sign-in or sign-up: the user and the new session's token."""
    user, token, _ = open_session(
        page.db,
        body,
        page.settings,
        throttle,
        ip=client_ip(page.request),
        user_agent=page.request.headers.get("user-agent"),
    )
    return user, token


def too_many(page: Page, exc: RateLimited) -> str:
    """The throttle's refusal in the page's language, with how long to wait."""
    return page.gettext(
        "Too many attempts. Try again in %(seconds)s seconds.", seconds=exc.retry_after
    )
