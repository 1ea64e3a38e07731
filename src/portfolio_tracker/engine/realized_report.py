"""The yearly realised-gains report: one row per (sell, lot consumed), pure.

Where the figures come from (issue 13):
- a sell's realisation (``engine.lots``) names the lots it consumed with each piece's
  quantity and cost (the lot's cost share, its buy fee included as the lot engine
  capitalises it);
- the sell's proceeds (``quantity × price − sell fee``) are split over its pieces by
  quantity: piece proceeds = proceeds × piece quantity ÷ sell quantity, which is the gross
  amount of the piece less the fee share of the piece. The last piece takes what is left, so
  the pieces add up to the sell's proceeds to the last digit;
- a sell belongs to the calendar year of its trade day;
- amounts in the chosen currency: cost at the rate of the buy day, proceeds at the rate of
  the sell day (``engine.fx.RateTable.rate_on``: the last rate on or before the day, direct,
  inverse or crossed through a pivot); a piece with no such rate keeps ``None`` converted
  figures and the totals that would need it are ``None`` too: a missing rate is reported,
  never replaced by a guess.

The one place that turns a trade history into realisations is ``realizations_of``: every
cost-basis method goes through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from portfolio_tracker.engine.actions import CorporateAction
from portfolio_tracker.engine.fx import MissingRateError, RateQuote, RateTable
from portfolio_tracker.engine.lots import Realization, Trade
from portfolio_tracker.engine.methods import Allocations, run_lots
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.vocabulary import CostBasisMethod

__all__ = [
    "METHODS",
    "AssetTotals",
    "Piece",
    "PieceSums",
    "ReportRow",
    "ReportTotals",
    "UnknownMethodError",
    "asset_totals",
    "pieces_of",
    "realizations_of",
    "report_rows",
    "sum_pieces",
    "year_totals",
]

_ZERO = Decimal(0)
_QUANTUM = Decimal("1E-40")  # as engine.lots: far below any currency's unit, keeps sums exact

# The cost-basis methods the report can compute (engine.methods).
METHODS: tuple[str, ...] = tuple(m.value for m in CostBasisMethod)


class UnknownMethodError(ValueError):
    """A cost-basis method the engine does not know."""

    def __init__(self, method: str) -> None:
        super().__init__(f"unknown cost-basis method {method!r}; known: {', '.join(METHODS)}")
        self.method = method


def realizations_of(
    trades: Iterable[Trade],
    method: str = "fifo",
    *,
    actions: Iterable[CorporateAction] = (),
    allocations: Allocations | None = None,
) -> tuple[Realization, ...]:
    """Every sell of one asset's history as a ``Realization`` under ``method`` with the
    asset's corporate ``actions`` applied (``engine.methods.run_lots``); ``allocations``:
    the lots each sell names, for ``specific`` (a sell naming none is matched FIFO).

    ``trades``: one asset's trades (any order). Raises ``UnknownMethodError`` for a method
    not in ``METHODS``, ``OversellError`` for a history that sells more than it holds and
    ``engine.methods.AllocationError`` for allocations that cannot be honoured.
    """
    if method not in METHODS:
        raise UnknownMethodError(method)
    return run_lots(trades, method, actions=actions, allocations=allocations).realizations


@dataclass(frozen=True, slots=True)
class Piece:
    """One (sell, lot consumed) pair in the asset's own currency."""

    sell_id: str
    buy_id: str
    buy_day: date
    sell_day: date
    quantity: Decimal
    cost: Decimal  # the lot's cost share, buy fee included
    proceeds: Decimal  # the sell's proceeds (after its fee) shared by quantity
    gain: Decimal  # proceeds - cost


def _share(amount: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    piece = amount * part / whole
    rounded = piece.quantize(_QUANTUM)
    return piece if rounded == piece else rounded


def pieces_of(realizations: Iterable[Realization], year: int | None = None) -> list[Piece]:
    """The pieces of the realisations whose sell day falls in ``year`` (all when None), in
    the order of the sells, each sell's pieces in the order its lots were consumed.

    For every sell, the pieces' quantities, costs and proceeds add up exactly to the
    realisation's quantity, cost and proceeds.
    """
    out: list[Piece] = []
    with localcontext(ENGINE_CONTEXT):
        for r in realizations:
            if year is not None and r.day.year != year:
                continue
            left = r.proceeds
            last = len(r.consumed) - 1
            for i, c in enumerate(r.consumed):
                proceeds = left if i == last else _share(r.proceeds, c.quantity, r.quantity)
                left -= proceeds
                out.append(
                    Piece(
                        sell_id=r.sell_id,
                        buy_id=c.buy_id,
                        buy_day=c.buy_day,
                        sell_day=r.day,
                        quantity=c.quantity,
                        cost=c.cost,
                        proceeds=proceeds,
                        gain=proceeds - c.cost,
                    )
                )
    return out


@dataclass(frozen=True, slots=True)
class ReportRow:
    """A piece of one asset with its figures in the report's currency.

    ``cost_rate`` converts the asset's currency into the report's on the buy day, and
    ``proceeds_rate`` on the sell day (``RateQuote.as_of`` is the date of the rate used);
    None where no rate exists on or before that day, and then the converted figures that
    need it are None.
    """

    asset_key: str
    currency: str  # the asset's
    piece: Piece
    cost_rate: RateQuote | None
    proceeds_rate: RateQuote | None
    cost_converted: Decimal | None
    proceeds_converted: Decimal | None
    gain_converted: Decimal | None


def _quote(rates: RateTable, src: str, dst: str, on: date) -> RateQuote | None:
    try:
        return rates.rate_on(src, dst, on)
    except MissingRateError:
        return None


def report_rows(
    asset_key: str,
    asset_currency: str,
    pieces: Iterable[Piece],
    currency: str,
    rates: RateTable,
) -> list[ReportRow]:
    """The pieces of one asset with their amounts in ``currency`` (see the module notes)."""
    src, dst = normalize_currency(asset_currency), normalize_currency(currency)
    rows: list[ReportRow] = []
    with localcontext(ENGINE_CONTEXT):
        for p in pieces:
            cost_rate = _quote(rates, src, dst, p.buy_day)
            proceeds_rate = _quote(rates, src, dst, p.sell_day)
            cost = None if cost_rate is None else p.cost * cost_rate.rate
            proceeds = None if proceeds_rate is None else p.proceeds * proceeds_rate.rate
            gain = None if cost is None or proceeds is None else proceeds - cost
            rows.append(
                ReportRow(asset_key, src, p, cost_rate, proceeds_rate, cost, proceeds, gain)
            )
    return rows


@dataclass(frozen=True, slots=True)
class ReportTotals:
    """Sums in the report's currency; each None when a row lacks the rate it needs."""

    proceeds: Decimal | None
    cost: Decimal | None
    gain: Decimal | None


@dataclass(frozen=True, slots=True)
class AssetTotals:
    """One asset's sums: in its own currency (always known) and in the report's."""

    asset_key: str
    currency: str
    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    gain: Decimal
    converted: ReportTotals


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = _ZERO
    for v in values:
        if v is None:
            return None
        total += v
    return total


@dataclass(frozen=True, slots=True)
class PieceSums:
    """Sums of pieces in their asset's own currency."""

    quantity: Decimal
    proceeds: Decimal
    cost: Decimal
    gain: Decimal


def sum_pieces(pieces: Iterable[Piece]) -> PieceSums:
    """Exact sums of the pieces' quantity, proceeds, cost and gain (zeros for none)."""
    quantity = proceeds = cost = gain = _ZERO
    with localcontext(ENGINE_CONTEXT):
        for p in pieces:
            quantity += p.quantity
            proceeds += p.proceeds
            cost += p.cost
            gain += p.gain
    return PieceSums(quantity, proceeds, cost, gain)


def year_totals(rows: Sequence[ReportRow]) -> ReportTotals:
    """Sums of the rows' converted figures (zeros for no rows)."""
    with localcontext(ENGINE_CONTEXT):
        return ReportTotals(
            proceeds=_sum(r.proceeds_converted for r in rows),
            cost=_sum(r.cost_converted for r in rows),
            gain=_sum(r.gain_converted for r in rows),
        )


def asset_totals(rows: Sequence[ReportRow]) -> list[AssetTotals]:
    """Per asset, in the order assets first appear in ``rows``."""
    by_asset: dict[str, list[ReportRow]] = {}
    for r in rows:
        by_asset.setdefault(r.asset_key, []).append(r)
    out: list[AssetTotals] = []
    for key, own in by_asset.items():
        sums = sum_pieces(r.piece for r in own)
        out.append(
            AssetTotals(
                asset_key=key,
                currency=own[0].currency,
                quantity=sums.quantity,
                proceeds=sums.proceeds,
                cost=sums.cost,
                gain=sums.gain,
                converted=year_totals(own),
            )
        )
    return out
