"""The import and export API: transactions as CSV in, CSV or JSON out."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.api.deps import DbSession
from portfolio_tracker.api.errors import NOT_AUTHENTICATED, Responses
from portfolio_tracker.api.routing import api_router
from portfolio_tracker.errors import InvalidInput, TooLarge, UnsupportedFormat
from portfolio_tracker.prices.deps import Backfill
from portfolio_tracker.transfer import service
from portfolio_tracker.transfer.schemas import (
    ExportRecord,
    ImportRefusedOut,
    ImportReportOut,
    RowProblem,
)

router = api_router(tags=["import and export"])

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
CSV_TYPES = frozenset({"text/csv", "text/plain", "application/csv"})


IMPORT_BODY: dict[str, Any] = {
    "required": True,
    "description": 'The CSV file (README: "Import and export"): a multipart upload in the '
    "field `file`, or the CSV itself as a `text/csv` body. At most 20 MiB.",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        "text/csv": {"schema": {"type": "string"}},
    },
}
IMPORT_RESPONSES: Responses = {
    200: {"model": ImportReportOut, "description": "Dry run: the report; nothing written."},
    201: {"model": ImportReportOut, "description": "Imported: every row written."},
    **NOT_AUTHENTICATED,
    409: {"description": "A matched asset was deleted while the import ran; nothing written."},
    413: {"description": "The body is over 20 MiB; nothing read."},
    415: {"description": "Neither multipart/form-data nor text/csv."},
    422: {"model": ImportRefusedOut, "description": "Refused with the report; nothing written."},
}


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise TooLarge("The upload is larger than 20 MiB.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise TooLarge("The upload is larger than 20 MiB.")
        chunks.append(chunk)
    return b"".join(chunks)


async def uploaded_csv(request: Request) -> bytes:
    """The CSV bytes of the request: the `file` part of a multipart body or a text/csv body."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "multipart/form-data" and media_type not in CSV_TYPES:
        raise UnsupportedFormat(
            "Send the CSV as multipart/form-data (field 'file') or as text/csv."
        )
    body = await _body(request)
    if media_type in CSV_TYPES:
        return body

    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=10)
    except (MultiPartException, StarletteHTTPException) as exc:
        reason = getattr(exc, "detail", None) or getattr(exc, "message", "")
        raise InvalidInput(f"unreadable multipart body: {reason}", ["body"]) from exc
    try:
        part = form.get("file")
        if isinstance(part, UploadFile):
            return await part.read()
        if isinstance(part, str):
            return part.encode()
        raise InvalidInput(
            "Field required: the CSV goes in the part named 'file'", ["body", "file"]
        )
    finally:
        await form.close()


@router.post(
    "/api/import",
    status_code=201,
    response_model=ImportReportOut,
    responses=IMPORT_RESPONSES,
    openapi_extra={"requestBody": IMPORT_BODY},
)
def import_transactions(
    principal: CurrentUser,
    db: DbSession,
    backfill: Backfill,
    data: Annotated[bytes, Depends(uploaded_csv)],
    dry_run: Annotated[bool, Query(description="Validate and report only.")] = False,
) -> Any:
    """Import a transactions CSV, all or nothing: every row is validated as POST
    /api/transactions would, assets are matched by (name, type, ticker) or created, and each
    asset's history must never sell more than it holds. Any problem: 422 with the report and
    nothing written. `dry_run=true`: 200 with the same report, nothing written."""
    report = service.import_transactions(db, principal.user.id, data, dry_run=dry_run)
    out = ImportReportOut(
        rows=report.rows,
        assets_created=report.assets_created,
        transactions=report.transactions,
        errors=[RowProblem(row=p.row, column=p.column, msg=p.msg) for p in report.errors],
        error_count=report.error_count,
        ok=report.ok,
    )
    if not report.ok and not dry_run:
        detail = [
            {
                "loc": ["body", p.row, *([p.column] if p.column else [])],
                "msg": p.msg,
                "type": "import_row",
            }
            for p in report.errors
        ]
        return JSONResponse({"detail": detail, **out.model_dump()}, status_code=422)
    if dry_run:
        return JSONResponse(out.model_dump(), status_code=200)
    backfill.imported(report.created_assets, report.first_day)
    return out


class ExportFormat(StrEnum):
    csv = "csv"
    json = "json"


@router.get(
    "/api/export",
    response_model=list[ExportRecord],
    responses={
        200: {
            "description": "CSV (the import format) or a JSON array of the same records.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **NOT_AUTHENTICATED,
    },
)
def export_transactions(
    principal: CurrentUser,
    db: DbSession,
    format: Annotated[ExportFormat, Query(description="csv (default) or json.")] = (
        ExportFormat.csv
    ),
) -> Response:
    """Your transactions with their assets, as a file to download: CSV in the import format
    (export then import into an empty account gives the same portfolio), or JSON records with
    the same fields."""
    media_type = "application/json" if format is ExportFormat.json else "text/csv; charset=utf-8"
    return Response(
        service.export_text(db, principal.user.id, format.value).encode(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="transactions.{format.value}"'},
    )
