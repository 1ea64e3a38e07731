"""Bodies of the import and export API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RowProblem(BaseModel):
    row: int = Field(
        description="Row of the file as a spreadsheet numbers it: the header is "
        "1, the first transaction 2."
    )
    column: str | None = Field(description="The column at fault; null for the whole row or file.")
    msg: str


class ImportReportOut(BaseModel):
    rows: int = Field(description="Data rows read.")
    assets_created: int = Field(description="Assets created (or that would be, in a dry run).")
    transactions: int = Field(description="Transactions imported (or that would be).")
    errors: list[RowProblem] = Field(description="Problems by row (at most 1000).")
    error_count: int = Field(description="Every problem found, including those not listed.")
    ok: bool = Field(description="True when the file has no problem.")


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ImportRefusedOut(BaseModel):
    """422: the file (or the request) was refused and nothing was written. A refused file
    carries the whole report beside `detail`; a malformed request carries `detail` only."""

    detail: list[ErrorItem]
    rows: int | None = None
    assets_created: int | None = None
    transactions: int | None = None
    errors: list[RowProblem] | None = None
    error_count: int | None = None
    ok: bool | None = None


class ExportRecord(BaseModel):
    """One transaction with its asset: the CSV's columns (empty cells are null)."""

    asset_name: str
    asset_type: str
    ticker_symbol: str | None
    currency: str
    unit: str | None
    fineness: str | None
    price_source: str
    type: str
    quantity: str
    price_per_unit: str
    fee: str
    transaction_date: str
    note: str | None
