"""The realised-gains report API: one row per (sell, lot consumed) of a calendar year."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import Response

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.api.types import CURRENCY_PATTERN, JsonKeys
from portfolio_tracker.engine.vocabulary import CostBasisMethod
from portfolio_tracker.reports import service
from portfolio_tracker.reports.csv_io import filename, report_csv
from portfolio_tracker.reports.schemas import ReportOut, report_out

router = api_router(prefix="/api/reports", tags=["reports"])


class Format(StrEnum):
    json = "json"
    csv = "csv"


@router.get(
    "/realized",
    response_model=ReportOut,
    responses={
        200: {
            "description": "JSON, or CSV with format=csv or Accept: text/csv.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **NOT_AUTHENTICATED,
    },
)
def realized_report(
    principal: CurrentUser,
    db: DbSession,
    request: Request,
    year: Annotated[int, Query(ge=1900, le=9998, description="Sells of this calendar year.")],
    currency: Annotated[
        Annotated[str, JsonKeys(pattern=CURRENCY_PATTERN)] | None,
        Query(max_length=16, description="ISO 4217 code; default: your base currency."),
    ] = None,
    method: Annotated[
        CostBasisMethod | None,
        Query(
            description="Cost-basis method to compute with (compare without changing the "
            "asset); default: each asset's own. Türkiye mode always uses fifo.",
        ),
    ] = None,
    mode: Annotated[
        service.Mode,
        Query(description="standard, or tr: Türkiye mode (TRY, TCMB buying rates, Yİ-ÜFE)."),
    ] = service.Mode.standard,
    format: Annotated[Format | None, Query(description="json (default) or csv.")] = None,
) -> Response | ReportOut:
    """Realised gains of your sells in `year`: one row per (sell, lot consumed) with the
    lot's buy date, the sell date, quantity, cost (buy fee included), proceeds (sell fee
    split by quantity) and gain, in the asset's currency and in `currency` (cost at the buy
    date's rate, proceeds at the sell date's; each rate and its date shown); totals per asset
    and for the year. `mode=tr`: see README "Realised-gains report"."""
    report = report_out(
        db, principal.user.id, year, currency, method.value if method else None, mode
    )
    wants_csv = format is Format.csv or (
        format is None and "text/csv" in request.headers.get("accept", "")
    )
    if wants_csv:
        return Response(
            report_csv(report).encode(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename(report)}"'},
        )
    return report
