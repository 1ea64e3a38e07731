"""The manual rates API: a user's own exchange rates, winning over stored ones for them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.api.types import CURRENCY_PATTERN, JsonKeys
from portfolio_tracker.engine.money import normalize_currency
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.manual_rates import service
from portfolio_tracker.manual_rates.schemas import ManualRateCreate, ManualRateOut

router = api_router(prefix="/api/rates/manual", tags=["prices"])

ERRORS: Responses = {
    401: {"description": "Not authenticated"},
    404: {"description": "No such manual rate of yours"},
}

CurrencyFilter = Annotated[
    Annotated[str, JsonKeys(pattern=CURRENCY_PATTERN)] | None,
    Query(max_length=16, description="ISO 4217 code."),
]


def _currency(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    try:
        return normalize_currency(value)
    except ValueError as exc:
        raise InvalidInput(str(exc), ["query", name]) from exc


@router.get("", response_model=list[ManualRateOut], responses=ERRORS)
def list_manual_rates(
    principal: CurrentUser, db: DbSession, base: CurrencyFilter = None, quote: CurrencyFilter = None
) -> list[ManualRateOut]:
    """The caller's manual rates (only those of `base` and/or `quote`), by pair then date."""
    rows = service.list_manual_rates(
        db, principal.user.id, _currency(base, "base"), _currency(quote, "quote")
    )
    return [ManualRateOut.model_validate(r) for r in rows]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ManualRateOut,
    responses={**ERRORS, 200: {"description": "Replaced your rate of that pair and date"}},
)
def put_manual_rate(
    body: ManualRateCreate, principal: CurrentUser, db: DbSession, response: Response
) -> ManualRateOut:
    """Record 1 `base` = `rate` `quote` on a date (201); the same pair and date again is
    replaced (200). For you, it wins over any stored rate of that pair and day, in both
    directions, and serves later days until a newer rate exists."""
    row, created = service.put_manual_rate(db, principal.user.id, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return ManualRateOut.model_validate(row)


@router.delete("/{rate_id}", status_code=status.HTTP_204_NO_CONTENT, responses=ERRORS)
def delete_manual_rate(rate_id: uuid.UUID, principal: CurrentUser, db: DbSession) -> None:
    """Delete one manual rate."""
    service.delete_manual_rate(db, principal.user.id, rate_id)
