"""Response bodies of the realised-gains report, and their CSV rows.

Amounts are money text (8 places, rounded once at the edge); rates, quantities and index
values exact. Totals are computed from exact figures, so a total may differ from the sum of
its rounded rows in the last place.
"""

from __future__ import annotations

import uuid
from datetime import date as Day
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from portfolio_tracker.api.types import DecimalText, MoneyText
from portfolio_tracker.engine.fx import RateQuote
from portfolio_tracker.engine.tax_tr import TcmbRate, TrRow
from portfolio_tracker.reports.service import (
    AssetRef,
    Mode,
    StandardReport,
    TrReport,
    standard_report,
    tr_report,
)

NOTE = (
    "Not tax advice: the figures show their working; you decide what to declare. Türkiye "
    "mode follows GVK mükerrer 80/81 and the revenue administration's guide for değer artışı "
    "kazançları; see README for what remains uncertain."
)


class RateOut(BaseModel):
    rate: DecimalText = Field(description="Units of the report currency per unit of the asset's.")
    date: Day = Field(description="The date of the rate used (the last on or before the day).")
    via: str | None = Field(description="The pivot currency of a cross rate, else null.")

    @classmethod
    def of(cls, quote: RateQuote | None) -> RateOut | None:
        return None if quote is None else cls(rate=quote.rate, date=quote.as_of, via=quote.via)


class RowBase(BaseModel):
    asset_id: uuid.UUID
    asset_name: str
    asset_currency: str
    sell_transaction_id: uuid.UUID
    buy_transaction_id: uuid.UUID
    buy_date: Day = Field(description="The consumed lot's buy date.")
    sell_date: Day
    quantity: DecimalText
    cost: MoneyText = Field(description="The lot's cost share (buy fee included), asset currency.")
    proceeds: MoneyText = Field(
        description="The sell's proceeds after its fee, split by quantity; asset currency."
    )
    gain: MoneyText


def _base(ref: AssetRef, piece: Any) -> dict[str, Any]:
    return {
        "asset_id": ref.id,
        "asset_name": ref.name,
        "asset_currency": ref.currency,
        "sell_transaction_id": uuid.UUID(piece.sell_id),
        "buy_transaction_id": uuid.UUID(piece.buy_id),
        "buy_date": piece.buy_day,
        "sell_date": piece.sell_day,
        "quantity": piece.quantity,
        "cost": piece.cost,
        "proceeds": piece.proceeds,
        "gain": piece.gain,
    }


class RowOut(RowBase):
    cost_rate: RateOut | None = Field(description="At the buy date; null when no rate exists.")
    proceeds_rate: RateOut | None = Field(description="At the sell date; null when none.")
    cost_converted: MoneyText | None
    proceeds_converted: MoneyText | None
    gain_converted: MoneyText | None


class TotalsOut(BaseModel):
    proceeds: MoneyText | None
    cost: MoneyText | None
    gain: MoneyText | None


class AssetTotalsOut(BaseModel):
    asset_id: uuid.UUID
    asset_name: str
    asset_currency: str
    method: str
    quantity: DecimalText
    proceeds: MoneyText = Field(description="In the asset's currency.")
    cost: MoneyText
    gain: MoneyText
    converted: TotalsOut = Field(description="In the report's currency (null when a rate lacks).")


class TcmbRateOut(BaseModel):
    rate: DecimalText = Field(description="TRY per unit (TCMB döviz alış, ForexBuying).")
    date: Day = Field(description="The bulletin's date.")
    fallback: bool = Field(description="True when the day had no bulletin (the last one used).")
    source: str = Field(description="tcmb (stored from the TCMB feed) or manual (yours).")


class TrRowOut(RowBase):
    cost_rate: TcmbRateOut | None
    proceeds_rate: TcmbRateOut | None
    cost_try: MoneyText | None
    proceeds_try: MoneyText | None
    index_buy_month: str = Field(description="The month before the purchase (YYYY-MM).")
    index_buy: DecimalText | None
    index_sell_month: str = Field(description="The month before the sale (YYYY-MM).")
    index_sell: DecimalText | None
    ratio: DecimalText | None = Field(description="index_sell / index_buy.")
    indexed: bool | None = Field(description="ratio - 1 >= 10 %; null when a month is missing.")
    indexed_cost_try: MoneyText | None
    gain_try: MoneyText | None = Field(
        description="Declared gain of the row: indexation lowers a gain to zero at most and "
        "never touches a loss."
    )
    missing: list[str]


class WithholdingRowOut(RowBase):
    pass


class TrSectionOut(BaseModel):
    declaration_deadline: Day
    index_name: str
    indexation_threshold: DecimalText
    indexed_cost: MoneyText | None
    net_gain: MoneyText | None = Field(description="Gains less losses of the year.")
    declared_gain: MoneyText | None = Field(
        description="max(net_gain, 0): a net loss is not carried to another year."
    )
    missing: list[str] = Field(description="Rates and index months the figures need.")
    withholding: list[WithholdingRowOut] = Field(
        description="Borsa Istanbul shares and TEFAS funds: taxed at source, not declared."
    )
    not_covered: list[str] = Field(
        description="Assets with sells this year neither flagged foreign_security nor taxed "
        "at source: not part of this mode's figures."
    )


class ReportOut(BaseModel):
    year: int
    currency: str
    method: str | None = Field(description="The method asked for; null: each asset's own.")
    mode: str
    rows: list[RowOut] | list[TrRowOut]
    per_asset: list[AssetTotalsOut]
    totals: TotalsOut
    tr: TrSectionOut | None = None
    note: str = NOTE


def _month(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def standard_out(report: StandardReport) -> ReportOut:
    rows = [
        RowOut(
            **_base(report.assets[r.asset_key], r.piece),
            cost_rate=RateOut.of(r.cost_rate),
            proceeds_rate=RateOut.of(r.proceeds_rate),
            cost_converted=r.cost_converted,
            proceeds_converted=r.proceeds_converted,
            gain_converted=r.gain_converted,
        )
        for r in report.rows
    ]
    per_asset = [
        AssetTotalsOut(
            asset_id=report.assets[a.asset_key].id,
            asset_name=report.assets[a.asset_key].name,
            asset_currency=a.currency,
            method=report.assets[a.asset_key].method,
            quantity=a.quantity,
            proceeds=a.proceeds,
            cost=a.cost,
            gain=a.gain,
            converted=TotalsOut(
                proceeds=a.converted.proceeds, cost=a.converted.cost, gain=a.converted.gain
            ),
        )
        for a in report.per_asset
    ]
    t = report.totals
    return ReportOut(
        year=report.year,
        currency=report.currency,
        method=report.method,
        mode="standard",
        rows=rows,
        per_asset=per_asset,
        totals=TotalsOut(proceeds=t.proceeds, cost=t.cost, gain=t.gain),
    )


def _tcmb(rate: TcmbRate | None, currency: str, sources: dict[Any, str]) -> TcmbRateOut | None:
    if rate is None:
        return None
    source = "exact" if currency == "TRY" else sources.get((currency, rate.as_of), "tcmb")
    return TcmbRateOut(rate=rate.rate, date=rate.as_of, fallback=rate.fallback, source=source)


def _tr_row(report: TrReport, r: TrRow) -> TrRowOut:
    return TrRowOut(
        **_base(report.assets[r.asset_key], r.piece),
        cost_rate=_tcmb(r.cost_rate, r.currency, report.rate_sources),
        proceeds_rate=_tcmb(r.proceeds_rate, r.currency, report.rate_sources),
        cost_try=r.cost_try,
        proceeds_try=r.proceeds_try,
        index_buy_month=_month(r.index_buy_month),
        index_buy=r.index_buy,
        index_sell_month=_month(r.index_sell_month),
        index_sell=r.index_sell,
        ratio=r.ratio,
        indexed=r.indexed,
        indexed_cost_try=r.indexed_cost_try,
        gain_try=r.gain_try,
        missing=list(r.missing),
    )


def tr_out(report: TrReport) -> ReportOut:
    rows = [_tr_row(report, r) for r in report.rows]
    per_asset = [
        AssetTotalsOut(
            asset_id=report.assets[key].id,
            asset_name=report.assets[key].name,
            asset_currency=report.assets[key].currency,
            method="fifo",
            quantity=sums.quantity,
            proceeds=sums.proceeds,
            cost=sums.cost,
            gain=sums.gain,
            converted=TotalsOut(proceeds=tr.proceeds, cost=tr.cost, gain=tr.net_gain),
        )
        for key, sums, tr in report.per_asset
    ]
    t = report.totals
    return ReportOut(
        year=report.year,
        currency="TRY",
        method="fifo",
        mode="tr",
        rows=rows,
        per_asset=per_asset,
        totals=TotalsOut(proceeds=t.proceeds, cost=t.cost, gain=t.net_gain),
        tr=TrSectionOut(
            declaration_deadline=report.deadline,
            index_name=report.index_name,
            indexation_threshold=report.threshold,
            indexed_cost=t.indexed_cost,
            net_gain=t.net_gain,
            declared_gain=t.declared_gain,
            missing=list(t.missing),
            withholding=[
                WithholdingRowOut(**_base(report.assets[key], p)) for key, p in report.withholding
            ],
            not_covered=[ref.name for ref in report.not_covered],
        ),
    )


def report_out(
    db: Session,
    user_id: uuid.UUID,
    year: int,
    currency: str | None,
    method: str | None,
    mode: Mode,
) -> ReportOut:
    """The report as the API answers it (the page and the CLI show the same). Raises
    InvalidInput for a bad currency or method (see ``reports.service``)."""
    if mode is Mode.tr:
        return tr_out(tr_report(db, user_id, year, method))
    return standard_out(standard_report(db, user_id, year, currency, method))
