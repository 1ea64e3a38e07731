"""Request and response bodies of the accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from portfolio_tracker.accounts.security import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    is_common_password,
)
from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import NO_NUL_PATTERN, NOT_BLANK_PATTERN, JsonKeys


def normalize_email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from exc
    return value


def _not_common(value: str) -> str:
    if is_common_password(value):
        raise ValueError("this password is too common; choose another")
    return value


# What the document promises is a subset of what email-validator accepts: a plain address
# (no quoting, no IP literal, no internationalised domain) that a generator can produce.
EMAIL_PATTERN = (
    "^[A-Za-z0-9_%+-]{1,32}(?:[.][A-Za-z0-9_%+-]{1,31})?"
    "@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?[.]){1,3}[A-Za-z]{2,20}$"
)
Email = Annotated[
    str,
    Field(max_length=320),
    JsonKeys(format="email", pattern=EMAIL_PATTERN),
    AfterValidator(normalize_email),
]
NewPassword = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description="Not one of the commonly used passwords.",
    ),
    JsonKeys(pattern=NO_NUL_PATTERN),
    AfterValidator(_not_common),
]


class SignUpRequest(StrictBody):
    email: Email
    password: NewPassword
    name: Annotated[
        Annotated[str, JsonKeys(pattern=NO_NUL_PATTERN)] | None, Field(max_length=200)
    ] = None


class SignInRequest(StrictBody):
    email: Annotated[str, Field(max_length=320), JsonKeys(pattern=NO_NUL_PATTERN)]
    password: Annotated[
        str, Field(max_length=MAX_PASSWORD_LENGTH), JsonKeys(pattern=NO_NUL_PATTERN)
    ]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str | None
    created_at: datetime


class AuthResponse(BaseModel):
    user: UserOut
    token: str = Field(description="Session token; send it as `Authorization: Bearer <token>`.")


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    expires_at: datetime | None = Field(description="null: an API token without expiry.")


class SessionResponse(BaseModel):
    user: UserOut
    session: SessionOut
    expires_at: datetime | None = Field(
        description="When this session expires (same as session.expires_at; null: an API "
        "token without expiry)."
    )


class PasswordChange(StrictBody):
    current_password: Annotated[
        str, Field(max_length=MAX_PASSWORD_LENGTH), JsonKeys(pattern=NO_NUL_PATTERN)
    ]
    new_password: NewPassword


class AccountDeletion(StrictBody):
    password: Annotated[
        str,
        Field(max_length=MAX_PASSWORD_LENGTH, description="Your current password."),
        JsonKeys(pattern=NO_NUL_PATTERN),
    ]


TokenName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    JsonKeys(pattern=NOT_BLANK_PATTERN),
]


class TokenCreate(StrictBody):
    name: TokenName = Field(description="What the token is for, e.g. 'nightly backup script'.")
    expires_in_days: int | None = Field(
        default=None, ge=1, le=3650, description="Days until it stops working; none: never."
    )


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime
    expires_at: datetime | None = Field(description="null: never expires.")
    last_used_at: datetime | None = Field(
        description="When it was last used (to within SESSION_REFRESH_AFTER_SECONDS); null: never."
    )


class TokenCreated(TokenOut):
    token: str = Field(
        description="The secret, shown this once: send it as `Authorization: Bearer <token>`."
    )


class AccountExport(BaseModel):
    """Everything stored about you. Besides the fields below, one list per table of your rows
    (`assets`, `transactions`, `manual_prices`, ...): each row's columns, decimals as strings,
    instants in ISO 8601."""

    model_config = ConfigDict(extra="allow")

    exported_at: datetime
    profile: dict[str, Any] = Field(description="Your account (never the password hash).")
    settings: dict[str, Any] | None
    sessions: list[dict[str, Any]] = Field(description="Sign-ins: when, browser, address.")
    api_tokens: list[dict[str, Any]] = Field(description="Names and dates, never the secrets.")
    assets: list[dict[str, Any]]
    transactions: list[dict[str, Any]]
    manual_prices: list[dict[str, Any]]
