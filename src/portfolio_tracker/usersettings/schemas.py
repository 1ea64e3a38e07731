"""Request and response bodies of the settings API."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, BaseModel, Field, WithJsonSchema

from portfolio_tracker.api.bodies import StrictBody, optional_not_null
from portfolio_tracker.api.types import CurrencyCode, JsonKeys

SUPPORTED_LOCALES = ("tr-TR", "en-US", "en-GB", "de-DE")


def _locale(value: str) -> str:
    for known in SUPPORTED_LOCALES:
        if value.strip().replace("_", "-").lower() == known.lower():
            return known
    raise ValueError(f"unsupported locale; choose one of {', '.join(SUPPORTED_LOCALES)}")


def _time_zone(value: str) -> str:
    name = value.strip()
    # ZoneInfo reads files named by the key: refuse anything that is not a plain IANA name.
    if not name or name.startswith("/") or ".." in name or "\\" in name or "\x00" in name:
        raise ValueError("not an IANA time zone name (e.g. Europe/Istanbul)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError("unknown IANA time zone (e.g. Europe/Istanbul, UTC)") from exc
    return name


def _any_case(letter: str) -> str:
    return f"[{letter.upper()}{letter.lower()}]" if letter.isalpha() else "[-_]"


# What _locale accepts (bar surrounding spaces): a known locale in any case, - or _ between.
LOCALE_PATTERN = (
    "^(?:" + "|".join("".join(map(_any_case, known)) for known in SUPPORTED_LOCALES) + ")$"
)


def _time_zone_names() -> list[str]:
    return sorted(name for name in available_timezones() if _loads(name))


def _loads(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


Locale = Annotated[
    str,
    Field(
        max_length=16,
        description=f"One of {', '.join(SUPPORTED_LOCALES)}.",
    ),
    JsonKeys(pattern=LOCALE_PATTERN),
    AfterValidator(_locale),
]
TimeZone = Annotated[
    str,
    Field(max_length=64, description="IANA time zone name."),
    AfterValidator(_time_zone),
    WithJsonSchema(
        {"type": "string", "enum": _time_zone_names(), "description": "IANA time zone name."},
        mode="validation",
    ),
]


class SettingsOut(BaseModel):
    base_currency: str = Field(description="Currency the portfolio is shown in by default.")
    locale: str = Field(description="Number and date format of the pages.")
    time_zone: str = Field(description="The calendar day of a trade is taken in this zone.")


class Settings(StrictBody):
    """The whole settings object: what an update must produce (validated by `validate_whole`)."""

    base_currency: CurrencyCode
    locale: Locale
    time_zone: TimeZone


class SettingsUpdate(StrictBody):
    """Fields left out keep their value; an explicit null is refused."""

    base_currency: CurrencyCode | None = optional_not_null()
    locale: Locale | None = optional_not_null()
    time_zone: TimeZone | None = optional_not_null()
