"""The account sections of the settings page: change the password, API tokens, sign out
everywhere, delete the account — each form calls the accounts service the API routes call
(lifecycle, tokens). The export is the API's own download (GET /api/account/export)."""

from __future__ import annotations

import uuid

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.accounts import lifecycle, tokens
from portfolio_tracker.accounts.auth import Throttle, clear_session_cookie
from portfolio_tracker.accounts.routes import client_ip
from portfolio_tracker.accounts.schemas import AccountDeletion, PasswordChange, TokenCreate
from portfolio_tracker.errors import Conflict, InvalidInput, RateLimited
from portfolio_tracker.web.forms import (
    FORM,
    Errors,
    errors_from_detail,
    errors_from_validation,
    form_values,
)
from portfolio_tracker.web.page import Page, SignedInForm
from portfolio_tracker.web.pages.auth import too_many
from portfolio_tracker.web.pages.settings import settings_form
from portfolio_tracker.web.routing import page_router

router = page_router()


def _refused(page: Page, failed: str, exc: Exception) -> Response:
    """A service refusal shown at its field (or above the form), in the page's language."""
    errors: Errors
    if isinstance(exc, ValidationError):
        errors = errors_from_validation(exc, page.gettext)
    elif isinstance(exc, InvalidInput):
        errors = errors_from_detail([{"loc": exc.loc, "msg": exc.detail}], page.gettext)
    elif isinstance(exc, RateLimited):
        errors = {FORM: [too_many(page, exc)]}
    else:
        errors = {FORM: [page.gettext(str(exc))]}
    return settings_form(page, errors=errors, failed=failed)


@router.post("/settings/password")
def change_password(page: SignedInForm, throttle: Throttle) -> Response:
    assert page.principal is not None
    values = form_values(page.form, ("current_password", "new_password"))
    try:
        body = PasswordChange.model_validate(values)
        lifecycle.change_password(
            page.db,
            page.user,
            page.principal.session.id,
            body.current_password,
            body.new_password,
            throttle,
            ip=client_ip(page.request),
        )
    except (ValidationError, InvalidInput, RateLimited) as exc:
        return _refused(page, "password", exc)
    return page.redirect("/settings?saved=password")


@router.post("/settings/tokens")
def create_token(page: SignedInForm) -> Response:
    values = form_values(page.form, ("name", "expires_in_days"), optional=("expires_in_days",))
    try:
        body = TokenCreate.model_validate(values)
        secret, _row = tokens.create_token(page.db, page.user.id, body.name, body.expires_in_days)
    except (ValidationError, Conflict) as exc:
        return _refused(page, "token", exc)
    # Shown once, on this answer only: never in a URL, never stored in the clear.
    return settings_form(page, new_token=secret)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(token_id: uuid.UUID, page: SignedInForm) -> Response:
    tokens.revoke_token(page.db, page.user.id, token_id)  # NotFound: not the user's token
    return page.redirect("/settings?saved=token-revoked")


@router.post("/settings/signout-everywhere")
def sign_out_everywhere(page: SignedInForm) -> Response:
    """Ends every session and API token of the user, this one included."""
    lifecycle.sign_out_everywhere(page.db, page.user.id)
    response = page.redirect("/")
    clear_session_cookie(page.request, response, page.settings)
    return response


@router.post("/settings/delete")
def delete_account(page: SignedInForm, throttle: Throttle) -> Response:
    if page.form.get("confirm") != "yes":
        message = page.gettext("Tick the box to confirm that everything is to be deleted.")
        return settings_form(page, errors={"confirm": [message]}, failed="delete")
    try:
        body = AccountDeletion.model_validate(form_values(page.form, ("password",)))
        lifecycle.delete_account(
            page.db, page.user, body.password, throttle, ip=client_ip(page.request)
        )
    except (ValidationError, InvalidInput, RateLimited) as exc:
        return _refused(page, "delete", exc)
    response = page.redirect("/?deleted=1")
    clear_session_cookie(page.request, response, page.settings)
    return response
