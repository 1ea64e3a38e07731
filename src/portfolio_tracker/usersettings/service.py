"""Reading and writing one user's settings (defaults when none are stored)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from portfolio_tracker.api.bodies import validate_whole
from portfolio_tracker.db.models import (
    DEFAULT_BASE_CURRENCY,
    DEFAULT_LOCALE,
    DEFAULT_TIME_ZONE,
    UserSettings,
)
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.engine.dates import user_today
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.usersettings.schemas import Settings, SettingsOut, SettingsUpdate


def get_settings(db: Session, user_id: uuid.UUID) -> SettingsOut:
    row = db.execute(
        select(UserSettings.base_currency, UserSettings.locale, UserSettings.time_zone).where(
            UserSettings.user_id == user_id
        )
    ).one_or_none()
    if row is None:
        return SettingsOut(
            base_currency=DEFAULT_BASE_CURRENCY, locale=DEFAULT_LOCALE, time_zone=DEFAULT_TIME_ZONE
        )
    return SettingsOut(base_currency=row.base_currency, locale=row.locale, time_zone=row.time_zone)


def user_time_zone(db: Session, user_id: uuid.UUID) -> ZoneInfo:
    """The user's time zone: the zone their calendar days (trades, today) are taken in."""
    name = db.scalar(select(UserSettings.time_zone).where(UserSettings.user_id == user_id))
    return ZoneInfo(name or DEFAULT_TIME_ZONE)


def not_after_today(day: date, tz: tzinfo, loc: Sequence[str | int]) -> None:
    """Refuse (422 at ``loc``) a day after the user's today in their zone ``tz``: no trade,
    price or history range reaches past it, whatever UTC's or the server's day is."""
    today = user_today(tz)
    if day > today:
        raise InvalidInput(
            f"must not be in the future: your today is {today.isoformat()} ({tz})", loc
        )


def update_settings(db: Session, user_id: uuid.UUID, body: SettingsUpdate) -> SettingsOut:
    row = db.get(UserSettings, user_id)
    if row is None:
        row = UserSettings(
            user_id=user_id,
            base_currency=DEFAULT_BASE_CURRENCY,
            locale=DEFAULT_LOCALE,
            time_zone=DEFAULT_TIME_ZONE,
        )
        db.add(row)
    stored = {"base_currency": row.base_currency, "locale": row.locale, "time_zone": row.time_zone}
    whole = validate_whole(Settings, {**stored, **body.model_dump(exclude_unset=True)})
    row.base_currency, row.locale, row.time_zone = (
        whole.base_currency,
        whole.locale,
        whole.time_zone,
    )
    bump_user(db, user_id)  # the base currency and time zone change every figure
    db.commit()
    return SettingsOut(base_currency=row.base_currency, locale=row.locale, time_zone=row.time_zone)
