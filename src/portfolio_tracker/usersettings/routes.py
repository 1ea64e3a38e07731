"""The settings API: base currency, locale and time zone of the caller."""

from __future__ import annotations

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.usersettings import service
from portfolio_tracker.usersettings.schemas import SettingsOut, SettingsUpdate

router = api_router(prefix="/api/settings", tags=["settings"])

ERRORS: Responses = NOT_AUTHENTICATED


@router.get("", response_model=SettingsOut, responses=ERRORS)
def get_settings(principal: CurrentUser, db: DbSession) -> SettingsOut:
    """The caller's settings; TRY / tr-TR / Europe/Istanbul until they are changed."""
    return service.get_settings(db, principal.user.id)


@router.put(
    "", response_model=SettingsOut, responses={**ERRORS, 422: {"description": "Invalid value"}}
)
def put_settings(body: SettingsUpdate, principal: CurrentUser, db: DbSession) -> SettingsOut:
    """Change the base currency (any ISO 4217 code), locale (tr-TR, en-US, en-GB, de-DE) or
    IANA time zone. Fields left out keep their value. Cached portfolio figures are recomputed."""
    return service.update_settings(db, principal.user.id, body)
