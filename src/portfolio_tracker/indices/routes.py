"""The index series API: a user's monthly series (Yİ-ÜFE for the Türkiye report mode)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request, status

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.api.types import POSITIVE_DECIMAL_PATTERN
from portfolio_tracker.errors import TooLarge, UnsupportedFormat
from portfolio_tracker.indices import service
from portfolio_tracker.indices.schemas import (
    MONTH_PATTERN,
    NAME_PATTERN,
    IndexPointOut,
    IndexSeriesOut,
    IndexStoredOut,
)
from portfolio_tracker.indices.service import MAX_POINTS

router = api_router(prefix="/api/indices", tags=["indices"])

MAX_BODY_BYTES = 512 * 1024
CSV_TYPES = frozenset({"text/csv", "text/plain", "application/csv"})

Name = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=NAME_PATTERN,
        description="The series, lower case: e.g. `yi-ufe` (the Türkiye report mode reads it).",
    ),
]

BODY: dict[str, Any] = {
    "required": True,
    "description": "JSON: an array of {month: 'YYYY-MM', value: '123.45'}. Also accepted: CSV "
    "with the header `month,value` sent as `text/csv` (rows checked as the JSON elements). "
    "At most 512 KiB and 5000 months.",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_POINTS,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "month": {"type": "string", "pattern": MONTH_PATTERN},
                        "value": {"type": "string", "pattern": POSITIVE_DECIMAL_PATTERN},
                    },
                    "required": ["month", "value"],
                },
            }
        },
    },
}


async def _points(request: Request) -> dict[Any, Any]:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" and media_type not in CSV_TYPES:
        raise UnsupportedFormat("Send the values as application/json or text/csv.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise TooLarge("The body is larger than 512 KiB.")
        chunks.append(chunk)
    data = b"".join(chunks)
    return service.parse_json(data) if media_type == "application/json" else service.parse_csv(data)


def _out(name: str, values: list[Any]) -> list[IndexPointOut]:
    return [IndexPointOut(month=service.month_text(m), value=v) for m, v in values]


@router.post(
    "/{name}",
    status_code=status.HTTP_200_OK,
    response_model=IndexStoredOut,
    responses={
        **NOT_AUTHENTICATED,
        413: {"description": "Over 512 KiB"},
        415: {"description": "Neither JSON nor CSV"},
    },
    openapi_extra={"requestBody": BODY},
)
def put_index_values(
    name: Name,
    principal: CurrentUser,
    db: DbSession,
    points: Annotated[dict[Any, Any], Depends(_points)],
) -> IndexStoredOut:
    """Add or replace months of your series `name` (all or nothing: any bad row is a 422
    naming it, and nothing is written). Answers the whole series."""
    changed = service.put_values(db, principal.user.id, name, points)
    values = service.series(db, principal.user.id, name)
    return IndexStoredOut(name=name, values=_out(name, values), stored=changed)


@router.get("/{name}", response_model=IndexSeriesOut, responses=NOT_AUTHENTICATED)
def get_index_values(name: Name, principal: CurrentUser, db: DbSession) -> IndexSeriesOut:
    """Your series `name`, oldest month first (empty when you stored none)."""
    return IndexSeriesOut(name=name, values=_out(name, service.series(db, principal.user.id, name)))
