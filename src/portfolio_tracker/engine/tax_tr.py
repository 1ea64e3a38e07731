"""Türkiye mode of the realised-gains report: gains on securities held abroad, in TRY,
with Yİ-ÜFE indexation. Pure; not tax advice: it computes and shows its working.

The rules and where they come from (see README "Realised-gains report" for what remains
uncertain):
- Gains on the disposal of securities are "değer artışı kazancı" (GVK mükerrer 80); the
  cost is the acquisition cost (GVK mükerrer 81). Lots are matched first in, first out
  (the revenue administration's guide for değer artışı kazançları treats the shares sold as
  the earliest bought), whatever method the asset displays.
- Amounts in a foreign currency are turned into TRY at the Central Bank's buying rate
  (TCMB döviz alış, ForexBuying) of the buy date for the cost and of the sell date for the
  proceeds (the guide's worked examples). A day without a bulletin (weekend, holiday) uses
  the last bulletin before it, at most ``MAX_FALLBACK_DAYS`` back, and says so; no rate in
  that window is reported as missing.
- Indexation (GVK mükerrer 81, last paragraph): when the Yİ-ÜFE of the month before the sale
  is at least 10 % above that of the month before the purchase, the cost is multiplied by
  their ratio. A bought in November 2021 and sold in September 2024 lot uses the October
  2021 and August 2024 values (the guide's example structure).
- Indexation lowers a gain, down to zero at most; it never turns a gain into a loss nor
  enlarges a loss (a loss keeps its unindexed figure). Gains and losses of the year offset
  each other; a net loss is not carried to another year.
- The declaration is due by 31 March of the following year (GVK 92: the annual return is
  filed 1–31 March).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from portfolio_tracker.engine.fx import MissingRateError, RateTable
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.realized_report import Piece

__all__ = [
    "INDEXATION_THRESHOLD",
    "MAX_FALLBACK_DAYS",
    "Month",
    "TcmbRate",
    "TrRow",
    "TrTotals",
    "declaration_deadline",
    "month_before",
    "tcmb_rate",
    "tr_row",
    "tr_totals",
]

INDEXATION_THRESHOLD = Decimal("0.10")
# Weekends plus the longest run of public holidays (a nine-day bayram) stay within this.
MAX_FALLBACK_DAYS = 10
_ZERO = Decimal(0)
_ONE = Decimal(1)

Month = tuple[int, int]  # (year, month)


def month_before(day: date) -> Month:
    """The calendar month before ``day``'s month: 2024-09-15 -> (2024, 8)."""
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def declaration_deadline(year: int) -> date:
    """The last day to declare the gains of ``year``: 31 March of the next year (GVK 92)."""
    return date(year + 1, 3, 31)


@dataclass(frozen=True, slots=True)
class TcmbRate:
    """TRY per one unit on ``on``, from the bulletin of ``as_of`` (``fallback``: an earlier
    day's bulletin, the day had none)."""

    on: date
    rate: Decimal
    as_of: date

    @property
    def fallback(self) -> bool:
        return self.as_of != self.on


def tcmb_rate(rates: RateTable, currency: str, on: date) -> TcmbRate | None:
    """The TCMB buying rate of ``currency`` on ``on`` from ``rates`` (a table of TCMB
    ForexBuying rows only), the last bulletin at most ``MAX_FALLBACK_DAYS`` before; None when
    there is none. TRY is exactly 1."""
    ccy = normalize_currency(currency)
    if ccy == "TRY":
        return TcmbRate(on, _ONE, on)
    try:
        quote = rates.rate_on(ccy, "TRY", on)
    except MissingRateError:
        return None
    if quote.via is not None or quote.staleness_days(on) > MAX_FALLBACK_DAYS:
        return None
    return TcmbRate(on, quote.rate, quote.as_of)


@dataclass(frozen=True, slots=True)
class TrRow:
    """One piece in Türkiye mode. TRY figures are None when a rate is missing; the indexed
    figures are None when an index month is missing (``missing`` says which)."""

    asset_key: str
    currency: str
    piece: Piece
    cost_rate: TcmbRate | None
    proceeds_rate: TcmbRate | None
    cost_try: Decimal | None
    proceeds_try: Decimal | None
    index_buy_month: Month
    index_sell_month: Month
    index_buy: Decimal | None
    index_sell: Decimal | None
    ratio: Decimal | None
    indexed: bool | None  # None: the ratio is unknown
    indexed_cost_try: Decimal | None
    gain_try: Decimal | None  # the declared figure of the row (see the module notes)
    missing: tuple[str, ...]


def _month_text(month: Month) -> str:
    return f"{month[0]:04d}-{month[1]:02d}"


def tr_row(
    asset_key: str,
    currency: str,
    piece: Piece,
    rates: RateTable,
    index: Mapping[Month, Decimal],
    index_name: str = "yi-ufe",
) -> TrRow:
    """One piece's TRY cost and proceeds, indexation and declared gain.

    ``rates``: TCMB ForexBuying rows only; ``index``: the index values by month.
    """
    cost_rate = tcmb_rate(rates, currency, piece.buy_day)
    proceeds_rate = tcmb_rate(rates, currency, piece.sell_day)
    buy_month, sell_month = month_before(piece.buy_day), month_before(piece.sell_day)
    index_buy, index_sell = index.get(buy_month), index.get(sell_month)
    missing: list[str] = []
    if cost_rate is None:
        missing.append(f"rate {currency}/TRY {piece.buy_day.isoformat()}")
    if proceeds_rate is None:
        missing.append(f"rate {currency}/TRY {piece.sell_day.isoformat()}")
    if index_buy is None:
        missing.append(f"index {index_name} {_month_text(buy_month)}")
    if index_sell is None and sell_month != buy_month:
        missing.append(f"index {index_name} {_month_text(sell_month)}")
    with localcontext(ENGINE_CONTEXT):
        cost_try = None if cost_rate is None else piece.cost * cost_rate.rate
        proceeds_try = None if proceeds_rate is None else piece.proceeds * proceeds_rate.rate
        ratio = None if index_buy is None or index_sell is None else index_sell / index_buy
        indexed = None if ratio is None else ratio - _ONE >= INDEXATION_THRESHOLD
        indexed_cost: Decimal | None = None
        gain: Decimal | None = None
        if cost_try is not None and ratio is not None:
            indexed_cost = cost_try * ratio if indexed else cost_try
        if cost_try is not None and proceeds_try is not None:
            plain = proceeds_try - cost_try
            if plain <= 0:
                gain = plain  # indexation never creates nor enlarges a loss
            elif indexed_cost is not None:
                gain = max(proceeds_try - indexed_cost, _ZERO)
    return TrRow(
        asset_key=asset_key,
        currency=normalize_currency(currency),
        piece=piece,
        cost_rate=cost_rate,
        proceeds_rate=proceeds_rate,
        cost_try=cost_try,
        proceeds_try=proceeds_try,
        index_buy_month=buy_month,
        index_sell_month=sell_month,
        index_buy=index_buy,
        index_sell=index_sell,
        ratio=ratio,
        indexed=indexed,
        indexed_cost_try=indexed_cost,
        gain_try=gain,
        missing=tuple(missing),
    )


@dataclass(frozen=True, slots=True)
class TrTotals:
    """The year's declared figures in TRY; None when a row lacks a rate or an index month.

    ``net_gain`` = sum of the rows' gains (losses offset gains); ``declared_gain`` =
    max(net_gain, 0) (a net loss is not carried forward).
    """

    proceeds: Decimal | None
    cost: Decimal | None
    indexed_cost: Decimal | None
    net_gain: Decimal | None
    declared_gain: Decimal | None
    missing: tuple[str, ...]


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = _ZERO
    for v in values:
        if v is None:
            return None
        total += v
    return total


def tr_totals(rows: Sequence[TrRow]) -> TrTotals:
    """The year's totals over the declared rows (zeros for none)."""
    missing = tuple(dict.fromkeys(m for r in rows for m in r.missing))
    with localcontext(ENGINE_CONTEXT):
        net = _sum(r.gain_try for r in rows)
        return TrTotals(
            proceeds=_sum(r.proceeds_try for r in rows),
            cost=_sum(r.cost_try for r in rows),
            indexed_cost=_sum(r.indexed_cost_try for r in rows),
            net_gain=net,
            declared_gain=None if net is None else max(net, _ZERO),
            missing=missing,
        )
