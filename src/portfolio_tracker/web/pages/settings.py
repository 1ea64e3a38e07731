"""The settings page: base currency, language and time zone (the settings service behind the
API's PUT /api/settings), and the account's sections, whose forms pages/account.py handles."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from fastapi import Response
from pydantic import ValidationError

from portfolio_tracker.accounts import tokens
from portfolio_tracker.usersettings import service as user_settings
from portfolio_tracker.usersettings.schemas import SUPPORTED_LOCALES, SettingsUpdate
from portfolio_tracker.web.forms import Errors, errors_from_validation, form_values
from portfolio_tracker.web.i18n import babel_locale
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.routing import page_router

router = page_router()

BASE_CURRENCIES = ("TRY", "USD", "EUR", "GBP", "CHF")
FIELDS = ("base_currency", "locale", "time_zone")


@cache
def time_zone_choices() -> tuple[tuple[str, str], ...]:
    names = sorted(name for name in available_timezones() if "/" in name or name == "UTC")
    return tuple((name, name.replace("_", " ")) for name in names)


@cache
def locale_choices() -> tuple[tuple[str, str], ...]:
    """Each supported locale named in its own language: ("tr-TR", "Türkçe (Türkiye)")."""
    choices = []
    for code in SUPPORTED_LOCALES:
        where = babel_locale(code)
        name = where.get_display_name(where) or code
        choices.append((code, name[:1].upper() + name[1:]))
    return tuple(choices)


def _notice(page: Page) -> str | None:
    """The message after a redirect: /settings?saved=<what>."""
    saved = page.request.query_params.get("saved")
    if saved == "password":
        return page.gettext("Password changed. Your other sessions and API tokens were revoked.")
    if saved == "token-revoked":
        return page.gettext("The API token was revoked.")
    return page.gettext("Settings saved.") if saved else None


def settings_form(
    page: Page,
    values: dict[str, str] | None = None,
    errors: Errors | None = None,
    *,
    failed: str = "display",
    new_token: str | None = None,
) -> Response:
    """The settings page; `failed` names the form whose `errors` are shown (display,
    password, token, delete), `new_token` is a token's secret to show once."""
    current = user_settings.get_settings(page.db, page.user.id)
    shown = {**current.model_dump(), **(values or {})}
    currencies = list(BASE_CURRENCIES)
    if shown["base_currency"] not in currencies:
        currencies.append(shown["base_currency"])
    return page.render(
        "settings.html",
        422 if errors else 200,
        values=shown,
        errors=errors or {},
        failed=failed if errors else None,
        currencies=[(code, code) for code in currencies],
        locales=locale_choices(),
        time_zones=time_zone_choices(),
        tokens=tokens.list_tokens(page.db, page.user.id),
        new_token=new_token,
        notice=_notice(page),
    )


@router.get("/settings")
def settings_page(page: SignedInPage) -> Response:
    return settings_form(page)


@router.post("/settings")
def save_settings(page: SignedInForm) -> Response:
    values = form_values(page.form, FIELDS)
    try:
        body = SettingsUpdate.model_validate(values)
    except ValidationError as exc:
        return settings_form(page, values, errors_from_validation(exc, page.gettext))
    user_settings.update_settings(page.db, page.user.id, body)
    return page.redirect("/settings?saved=1")
