"""Request and response bodies of the accounts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from portfolio_tracker.accounts.security import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    is_common_password,
)
from portfolio_tracker.api.bodies import StrictBody
from portfolio_tracker.api.types import NO_NUL_PATTERN, JsonKeys


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
    expires_at: datetime


class SessionResponse(BaseModel):
    user: UserOut
    session: SessionOut
    expires_at: datetime = Field(
        description="When this session expires (same as session.expires_at)."
    )
