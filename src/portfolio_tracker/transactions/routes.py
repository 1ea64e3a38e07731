"""The transactions API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response, status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.db.models import Transaction
from portfolio_tracker.portfolio.deps import Cache
from portfolio_tracker.portfolio.service import refresh_figures
from portfolio_tracker.prices.deps import Backfill
from portfolio_tracker.transactions import service
from portfolio_tracker.transactions.schemas import (
    TransactionCreate,
    TransactionOut,
    TransactionUpdate,
)

router = api_router(prefix="/api/transactions", tags=["transactions"])

ERRORS: Responses = {
    **NOT_AUTHENTICATED,
    404: {"description": "No such transaction or asset of yours"},
}
OVERSELL: Responses = {
    422: {"description": "Invalid input, or the history would sell more than is held"}
}


@router.get("", response_model=list[TransactionOut], responses=ERRORS)
def list_transactions(
    principal: CurrentUser,
    db: DbSession,
    response: Response,
    asset_id_camel: Annotated[uuid.UUID | None, Query(alias="assetId")] = None,
    asset_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[TransactionOut]:
    """The caller's transactions in the order of trades (calendar day, time of day where given
    with date-only trades last in their day, then entry order), optionally of one asset.

    `X-Total-Count` carries the number of rows before `limit`/`offset`.
    """
    wanted = asset_id_camel or asset_id
    rows, total = service.list_transactions(db, principal.user.id, wanted, limit, offset)
    response.headers["X-Total-Count"] = str(total)
    sells = [r.id for r in rows if r.type == "sell"]
    allocations = service.allocations_of(db, principal.user.id, sells)
    return [TransactionOut.of(r, allocations.get(r.id)) for r in rows]


def _out(db: DbSession, user_id: uuid.UUID, row: Transaction) -> TransactionOut:
    return TransactionOut.of(row, service.allocations_of(db, user_id, [row.id]).get(row.id))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TransactionOut,
    responses={**ERRORS, **OVERSELL},
)
def create_transaction(
    body: TransactionCreate,
    principal: CurrentUser,
    db: DbSession,
    backfill: Backfill,
    cache: Cache,
) -> TransactionOut:
    """Record a buy or a sell. A sell that exceeds the quantity held at its date is refused;
    so are `allocations` that do not add up to the sell's quantity or name a lot that is not
    an earlier buy of the same asset with that quantity left (assets under `specific`).
    When stored exchange rates start after its date, the missing ones are fetched in the
    background after the answer."""
    row = service.create_transaction(db, principal.user.id, body)
    out = _out(db, principal.user.id, row)
    refresh_figures(db, cache, principal.user.id, [out.asset_id])
    backfill.trade_day(out.asset_id, out.trade_date)
    return out


@router.get("/{transaction_id}", response_model=TransactionOut, responses=ERRORS)
def get_transaction(
    transaction_id: uuid.UUID, principal: CurrentUser, db: DbSession
) -> TransactionOut:
    """One transaction of the caller's."""
    return _out(db, principal.user.id, service.get_owned(db, principal.user.id, transaction_id))


@router.put("/{transaction_id}", response_model=TransactionOut, responses={**ERRORS, **OVERSELL})
def update_transaction(
    transaction_id: uuid.UUID,
    body: TransactionUpdate,
    principal: CurrentUser,
    db: DbSession,
    backfill: Backfill,
    cache: Cache,
) -> TransactionOut:
    """Edit a transaction; refused (and nothing written) if any later sell would oversell."""
    before = service.get_owned(db, principal.user.id, transaction_id).asset_id
    row = service.update_transaction(db, principal.user.id, transaction_id, body)
    out = _out(db, principal.user.id, row)
    refresh_figures(db, cache, principal.user.id, {before, out.asset_id})
    backfill.trade_day(out.asset_id, out.trade_date)
    return out


@router.delete(
    "/{transaction_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**ERRORS, **OVERSELL}
)
def delete_transaction(
    transaction_id: uuid.UUID, principal: CurrentUser, db: DbSession, cache: Cache
) -> None:
    """Delete a transaction; refused if a later sell would then exceed the holding."""
    asset_id = service.get_owned(db, principal.user.id, transaction_id).asset_id
    service.delete_transaction(db, principal.user.id, transaction_id)
    refresh_figures(db, cache, principal.user.id, [asset_id])
