"""Holdings and the portfolio summary in one base currency.

Conventions (the service authors code against these):

* Market value = quantity x last price on or before the valuation date x the price
  currency's rate into the base currency on the valuation date.
* Cost basis is historical: each open lot's remaining cost (fees included, per the lots
  module) is converted at the rate of that lot's buy date. Realised P&L is likewise
  proceeds at the sell date's rate minus each consumed piece's cost at its buy date's rate
  (summed as: the sells' proceeds at their rates, in the order of trades, minus each lot's
  consumed cost at its rate, in the order the lots were first consumed).
  So P&L in the base currency includes the currency's move since purchase.
* Unrealised P&L = market value - cost basis (both in base). For a holding whose asset
  currency differs from the base it is split exactly into
  ``price_effect = market value - sum(lot cost_local x FX_now)`` (= (P_now - P_avg) x q x
  FX_now when price and asset currency agree) and
  ``currency_effect = sum(lot cost_local x (FX_now - FX_buy))``; the two add up to the total.
* The quote is the asset's last observed price on or before the valuation date (feed,
  manual or the user's own trade: engine.observations); the row names its source and date.
* A holding with quantity > 0 but no price, or no rate for its price or cost, is listed with
  ``market_value=None`` and an ``unpriced_reason``; it is left out of totals and weights and
  counted in ``unpriced_count``. Its cost is in ``unpriced_cost_basis`` (base) when every
  such cost converts, else that total is None (a partial sum would understate what is left
  out); ``unpriced_cost_by_currency`` always lists them in their own currencies. A closed
  holding (quantity 0) is worth exactly 0 and needs no price; it is listed so that its
  realised P&L is visible.
* Day change counts market moves, not money moved, with the flows of engine.history:
  ``value today - value at the end of yesterday - today's net external flow`` (buys at
  what they cost, fees included, minus sale proceeds; at today's rate). Yesterday's value
  is the quantity held then at yesterday's quote (``HoldingInput.previous_quote``) and
  rate; a holding that could not be valued yesterday (no price or rate yet) enters at
  today's price, as the history's entry flow does. The percentage is over yesterday's value
  plus today's buys. Summed over days it is the change in value minus the net flows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, localcontext
from operator import add, attrgetter, mul
from typing import Literal

from portfolio_tracker.engine.fx import MissingRateError, RateTable
from portfolio_tracker.engine.lots import (
    FifoResult,
    Realization,
    SellTable,
    Trade,
    sell_table,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT, normalize_currency
from portfolio_tracker.engine.prices import PriceQuote, QuoteSource
from portfolio_tracker.engine.vocabulary import AssetType

__all__ = [
    "AllocationSlice",
    "AssetType",
    "CurrencyAmount",
    "CurrencyAttribution",
    "HoldingInput",
    "HoldingRow",
    "PortfolioSummary",
    "RealizedInBase",
    "UnpricedReason",
    "realized_in_base",
    "summarize_portfolio",
]

UnpricedReason = Literal["no_price", "no_rate"]
_ZERO = Decimal(0)
_DAY, _QUANTITY, _PRICE, _FEE = map(attrgetter, ("day", "quantity", "price_per_unit", "fee"))


@dataclass(frozen=True, slots=True)
class RealizedInBase:
    """A holding's realised P&L in the base currency (None: a rate was missing)."""

    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class HoldingInput:
    """One asset as the service hands it over.

    ``currency`` is the currency of the asset's trades (and so of its lot costs); ``quote``
    is the per-unit price in the unit the quantity is counted in (for metals the caller has
    already turned spot into a price per gram/coin), in ``quote.currency``, in force on the
    valuation date; ``previous_quote`` the one in force the day before (same series).
    ``trades`` are the asset's trades in trade order (the ones FIFO ran on); the day
    change reads those of the valuation date.
    """

    asset_id: str
    name: str
    asset_type: AssetType
    currency: str
    fifo: FifoResult
    quote: PriceQuote | None
    previous_quote: PriceQuote | None = None
    trades: Sequence[Trade] = ()
    # The realised P&L in the base currency when the caller has it already
    # (``realized_in_base`` over the stored state's flows: it keeps flows, not every
    # realisation); None: converted from ``fifo.realizations`` here.
    realized_base: RealizedInBase | None = None


@dataclass(frozen=True, slots=True)
class CurrencyAttribution:
    """Unrealised P&L in base split into the asset's own price move and the FX move."""

    price_effect: Decimal
    currency_effect: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class HoldingRow:
    asset_id: str
    name: str
    asset_type: AssetType
    currency: str
    quantity: Decimal
    average_cost: Decimal | None  # per unit, in the asset currency (lots module)
    price: Decimal | None  # per unit, in price_currency
    price_currency: str | None
    price_date: date | None
    price_source: QuoteSource | None
    staleness_days: int | None
    fx_rate: Decimal | None  # price currency -> base on the valuation date
    fx_as_of: date | None
    market_value: Decimal | None  # base
    cost_basis: Decimal | None  # base, historical rates
    cost_basis_local: Decimal  # in `currency`
    unrealized_pnl: Decimal | None  # base
    unrealized_pnl_pct: Decimal | None  # unrealized / cost_basis
    realized_pnl: Decimal | None  # base, historical rates; None if a rate is missing
    weight: Decimal | None  # share of total_market_value
    day_change: Decimal | None  # base
    day_change_pct: Decimal | None  # over yesterday's value + today's buys
    attribution: CurrencyAttribution | None
    unpriced_reason: UnpricedReason | None


@dataclass(frozen=True, slots=True)
class AllocationSlice:
    key: str  # an asset type or a currency code
    market_value: Decimal
    weight: Decimal


@dataclass(frozen=True, slots=True)
class CurrencyAmount:
    currency: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    base_currency: str
    on: date
    total_market_value: Decimal  # priced holdings only
    total_cost_basis: Decimal  # of the same priced holdings
    unrealized_pnl: Decimal  # total_market_value - total_cost_basis
    realized_pnl: Decimal  # every asset whose realisations could be converted
    day_change: Decimal
    day_change_pct: Decimal | None
    allocation_by_type: tuple[AllocationSlice, ...]  # largest first
    allocation_by_currency: tuple[AllocationSlice, ...]
    holdings: tuple[HoldingRow, ...]  # input order
    unpriced_count: int  # open holdings without a value
    unpriced_cost_basis: Decimal | None  # their cost in base; None if one does not convert
    unpriced_cost_by_currency: tuple[CurrencyAmount, ...]  # their cost in own currencies
    realized_unconverted_count: int  # assets whose realised P&L lacked a rate


@dataclass(frozen=True, slots=True)
class _Valued:
    market_value: Decimal
    fx_rate: Decimal | None  # None for a closed position, which needs no rate
    fx_as_of: date | None


class _ToBase:
    """Historical rates from one currency into the base, memoised by calendar date.

    A million realisations touch a few thousand distinct dates. One instance serves every
    holding in the same currency within a summary, so the dates that several assets share are
    looked up once. A trade's rates are those of its calendar day (``Trade.day``).
    """

    __slots__ = ("_base", "_currency", "_rates", "by_date", "identity")

    def __init__(self, rates: RateTable, currency: str, base: str) -> None:
        self._rates, self._currency, self._base = rates, currency, base
        self.identity = currency == base
        self.by_date: dict[date, Decimal] = {}  # read directly in hot loops

    def on_date(self, on: date) -> Decimal:
        """Rate on a calendar date; raises MissingRateError."""
        rate = self.by_date.get(on)
        if rate is None:
            rate = self.by_date[on] = self._rates.rate_on(self._currency, self._base, on).rate
        return rate


def summarize_portfolio(
    holdings: Sequence[HoldingInput],
    rates: RateTable,
    base_currency: str,
    on: date,
) -> PortfolioSummary:
    """Value every holding on ``on`` in ``base_currency`` and total them (see module doc)."""
    base = normalize_currency(base_currency)
    converters: dict[str, _ToBase] = {}
    with localcontext(ENGINE_CONTEXT):
        rows = [_holding_row(h, rates, base, on, converters) for h in holdings]
        return _summary(rows, base, on)


def _holding_row(
    h: HoldingInput,
    rates: RateTable,
    base: str,
    on: date,
    converters: dict[str, _ToBase],
) -> tuple[HoldingRow, Decimal | None]:
    """The row and the base of its day change percentage (None without a day change)."""
    currency = normalize_currency(h.currency)
    to_base = converters.get(currency)
    if to_base is None:
        to_base = converters[currency] = _ToBase(rates, currency, base)
    if h.realized_base is not None:
        realized = h.realized_base.amount
    else:
        realized = _realized_in_base(h, to_base)
    cost = _cost_in_base(h, to_base)
    valued, reason = _market_value(h, rates, base, on)
    fx_rate = valued.fx_rate if valued else None
    fx_as_of = valued.fx_as_of if valued else None
    if valued is not None and cost is None:
        # Without the cost in base the holding's P&L and weight would be guesses.
        valued, reason = None, "no_rate"
    unrealized = valued.market_value - cost if valued is not None and cost is not None else None
    quote = h.quote
    day = _day_change(h, valued, rates, base, on)
    change, day_base = day if day is not None else (None, None)
    return HoldingRow(
        asset_id=h.asset_id,
        name=h.name,
        asset_type=h.asset_type,
        currency=normalize_currency(h.currency),
        quantity=h.fifo.quantity,
        average_cost=h.fifo.average_cost,
        price=quote.price if quote else None,
        price_currency=quote.currency if quote else None,
        price_date=quote.as_of if quote else None,
        price_source=quote.source if quote else None,
        staleness_days=quote.staleness_days(on) if quote else None,
        fx_rate=fx_rate,
        fx_as_of=fx_as_of,
        market_value=valued.market_value if valued else None,
        cost_basis=cost,
        cost_basis_local=h.fifo.cost_basis,
        unrealized_pnl=unrealized,
        unrealized_pnl_pct=unrealized / cost if unrealized is not None and cost else None,
        realized_pnl=realized,
        weight=None,
        day_change=change,
        day_change_pct=change / day_base if change is not None and day_base else None,
        attribution=_attribution(h, valued, rates, base, on, to_base),
        unpriced_reason=reason,
    ), day_base


def _market_value(
    h: HoldingInput, rates: RateTable, base: str, on: date
) -> tuple[_Valued | None, UnpricedReason | None]:
    if h.fifo.quantity == 0:
        # A closed position is worth exactly nothing, whatever the price feed says.
        return _Valued(_ZERO, None, None), None
    if h.quote is None:
        return None, "no_price"
    try:
        fx = rates.rate_on(h.quote.currency, base, on)
    except MissingRateError:
        return None, "no_rate"
    return _Valued(h.fifo.quantity * h.quote.price * fx.rate, fx.rate, fx.as_of), None


def _cost_in_base(h: HoldingInput, to_base: _ToBase) -> Decimal | None:
    if to_base.identity:
        return h.fifo.cost_basis
    try:
        return sum(
            (lot.remaining_cost * to_base.on_date(lot.day) for lot in h.fifo.open_lots), _ZERO
        )
    except MissingRateError:
        return None


def _realized_in_base(h: HoldingInput, to_base: _ToBase) -> Decimal | None:
    """Realised P&L in base (module doc): the sells' proceeds, each at its sell day's rate,
    summed in the order of trades, minus what each lot gave to sells, each at its buy day's
    rate, summed in the order of the lots' first consumption; None when a rate is missing.

    A lot's consumed cost is the exact sum of its pieces, so its product with the rate is
    the same whether it is summed from the pieces (records) or taken as the lot's cost less
    what it still holds (a ``run_fifo`` sell table, where every lot before the last one
    taken is consumed whole: engine.lots). The two ways give the same value to the last
    digit; only trailing zeros of the exponent may differ.
    """
    if to_base.identity:
        return h.fifo.realized_pnl
    try:
        table = sell_table(h.fifo)
        if table is not None:
            return _realized_of_table(table, to_base)
        return _realized_of_records(h.fifo.realizations, to_base)
    except MissingRateError:
        return None


def _day_rates(days: list[date], to_base: _ToBase) -> list[Decimal]:
    """The rate of each day (raises MissingRateError), looked up once per distinct day."""
    by_date = to_base.by_date
    for day in set(days).difference(by_date):
        to_base.on_date(day)
    return list(map(by_date.__getitem__, days))


def _realized_of_table(table: SellTable, to_base: _ToBase) -> Decimal:
    # About a million values: every pass is a C-level map over plain lists, no Python loop
    # per sell or per lot. The lots taken are buys[0:taken]; all are consumed whole but
    # maybe the last, which keeps ``table.left_cost``.
    sell_rates = _day_rates(list(map(_DAY, table.sells)), to_base)
    proceeds = sum(map(mul, table.proceeds, sell_rates), _ZERO)
    lots = table.buys[: table.taken]
    costs = list(map(add, map(mul, map(_QUANTITY, lots), map(_PRICE, lots)), map(_FEE, lots)))
    if table.left_cost is not None:
        costs[-1] -= table.left_cost
    lot_rates = _day_rates(list(map(_DAY, lots)), to_base)
    return proceeds - sum(map(mul, costs, lot_rates), _ZERO)


def _realized_of_records(realizations: Iterable[Realization], to_base: _ToBase) -> Decimal:
    proceeds = _ZERO
    consumed: dict[str, tuple[date, Decimal]] = {}  # buy id -> (buy day, cost so far)
    for r in realizations:
        proceeds += r.proceeds * to_base.on_date(r.day)
        for piece in r.consumed:
            found = consumed.get(piece.buy_id)
            total = piece.cost if found is None else found[1] + piece.cost
            consumed[piece.buy_id] = (piece.buy_day, total)
    cost = _ZERO
    for day, amount in consumed.values():
        cost += amount * to_base.on_date(day)
    return proceeds - cost


def realized_in_base(
    flows: Mapping[date, Decimal],
    rates: RateTable,
    currency: str,
    base_currency: str,
    by_date: dict[date, Decimal] | None = None,
) -> RealizedInBase:
    """Realised P&L in ``base_currency`` from its flows by day in ``currency``
    (``engine.segments.realized_flows``), each at its day's rate: the figure of converting
    every sell's proceeds and every consumed piece's cost at their own days (module doc).
    Its amount is None when a rate is missing. ``by_date``: the rates from ``currency`` into
    ``base_currency`` already looked up in ``rates``, by day, shared by the caller across
    assets of one currency (filled here)."""
    to_base = _ToBase(rates, normalize_currency(currency), normalize_currency(base_currency))
    if by_date is not None:
        to_base.by_date = by_date
    total = _ZERO
    on_date = to_base.on_date
    with localcontext(ENGINE_CONTEXT):
        try:
            if to_base.identity:
                return RealizedInBase(sum(flows.values(), _ZERO))
            for day, amount in flows.items():
                total += amount * on_date(day)
        except MissingRateError:
            return RealizedInBase(None)
    return RealizedInBase(total)


def _day_change(
    h: HoldingInput, valued: _Valued | None, rates: RateTable, base: str, on: date
) -> tuple[Decimal, Decimal] | None:
    """(day change, yesterday's value + today's buys) in base; None when the holding is not
    valued or a rate is missing (see module doc)."""
    if valued is None:
        return None
    today = _trades_on(h.trades, on)
    held_before = h.fifo.quantity
    flow = buys = _ZERO
    try:
        if today or held_before:
            # Like the history, a holding that moved or was held must be valued today: a
            # closed one is worth 0 without a price, but its flows need one to count.
            if h.quote is None:
                return None
            rates.rate_on(h.quote.currency, base, on)
        if today:
            fx = rates.rate_on(h.currency, base, on).rate
            for t in today:
                gross = t.quantity * t.price_per_unit
                if t.kind == "buy":
                    held_before -= t.quantity
                    buys += (gross + t.fee) * fx
                else:
                    held_before += t.quantity
                    flow += (t.fee - gross) * fx
            flow += buys
        opening = _value_before(h, held_before, rates, base, on) if held_before else _ZERO
    except MissingRateError:
        return None
    if opening is None:
        return None
    return valued.market_value - opening - flow, opening + buys


def _trades_on(trades: Sequence[Trade], on: date) -> list[Trade]:
    """The trades of the calendar day ``on``, read from the end of the ordered history."""
    found: list[Trade] = []
    for t in reversed(trades):
        day = t.day
        if day < on:
            break
        if day == on:
            found.append(t)
    return found


def _value_before(
    h: HoldingInput, held: Decimal, rates: RateTable, base: str, on: date
) -> Decimal | None:
    """Yesterday's value of ``held``; at today's price and rate when the holding could not
    be valued yesterday (the history's entry flow). Raises MissingRateError."""
    yesterday = on - timedelta(days=1)
    prev = h.previous_quote
    if prev is not None:
        try:
            fx_prev = rates.rate_on(prev.currency, base, yesterday).rate
            rates.rate_on(h.currency, base, yesterday)  # its flows must have converted too
        except MissingRateError:
            pass
        else:
            return held * prev.price * fx_prev
    if h.quote is None:
        return None
    return held * h.quote.price * rates.rate_on(h.quote.currency, base, on).rate


def _attribution(
    h: HoldingInput, valued: _Valued | None, rates: RateTable, base: str, on: date, to_base: _ToBase
) -> CurrencyAttribution | None:
    """Split unrealised P&L into price and currency effects, lot by lot (see module doc)."""
    if valued is None or to_base.identity or h.fifo.quantity == 0:
        return None
    try:
        fx_now = rates.rate_on(h.currency, base, on).rate
        at_now = _ZERO
        at_buy = _ZERO
        for lot in h.fifo.open_lots:
            at_now += lot.remaining_cost * fx_now
            at_buy += lot.remaining_cost * to_base.on_date(lot.day)
    except MissingRateError:
        return None
    price_effect = valued.market_value - at_now
    currency_effect = at_now - at_buy
    return CurrencyAttribution(price_effect, currency_effect, valued.market_value - at_buy)


def _summary(
    rows: list[tuple[HoldingRow, Decimal | None]], base: str, on: date
) -> PortfolioSummary:
    priced = [r for r, _ in rows if r.market_value is not None]
    total_value = sum((r.market_value for r in priced if r.market_value is not None), _ZERO)
    total_cost = sum((r.cost_basis for r in priced if r.cost_basis is not None), _ZERO)
    weighted = tuple(_with_weight(r, total_value) for r, _ in rows)
    changes = [
        (r.day_change, day_base)
        for r, day_base in rows
        if r.market_value is not None and r.day_change is not None and day_base is not None
    ]
    day_change = sum((change for change, _ in changes), _ZERO)
    day_base = sum((b for _, b in changes), _ZERO)
    unpriced = [r for r, _ in rows if r.market_value is None]
    unpriced_costs = [r.cost_basis for r in unpriced]
    by_currency: dict[str, Decimal] = {}
    for r in unpriced:
        by_currency[r.currency] = by_currency.get(r.currency, _ZERO) + r.cost_basis_local
    return PortfolioSummary(
        base_currency=base,
        on=on,
        total_market_value=total_value,
        total_cost_basis=total_cost,
        unrealized_pnl=total_value - total_cost,
        realized_pnl=sum((r.realized_pnl for r, _ in rows if r.realized_pnl is not None), _ZERO),
        day_change=day_change,
        day_change_pct=day_change / day_base if day_base else None,
        allocation_by_type=_allocation(((r.asset_type, r) for r in priced), total_value),
        allocation_by_currency=_allocation(((r.currency, r) for r in priced), total_value),
        holdings=weighted,
        unpriced_count=len(unpriced),
        unpriced_cost_basis=None
        if None in unpriced_costs
        else sum((c for c in unpriced_costs if c is not None), _ZERO),
        unpriced_cost_by_currency=tuple(
            CurrencyAmount(ccy, amount) for ccy, amount in sorted(by_currency.items())
        ),
        realized_unconverted_count=sum(1 for r, _ in rows if r.realized_pnl is None),
    )


def _with_weight(row: HoldingRow, total_value: Decimal) -> HoldingRow:
    if row.market_value is None or not total_value:
        return row
    return replace(row, weight=row.market_value / total_value)


def _allocation(
    keyed: Iterable[tuple[str, HoldingRow]], total_value: Decimal
) -> tuple[AllocationSlice, ...]:
    by_key: dict[str, Decimal] = {}
    for key, row in keyed:
        # Closed positions are listed as rows but hold no share of the portfolio.
        if row.market_value is not None and row.quantity != 0:
            by_key[key] = by_key.get(key, _ZERO) + row.market_value
    slices = [
        AllocationSlice(key, value, value / total_value if total_value else _ZERO)
        for key, value in by_key.items()
    ]
    return tuple(sorted(slices, key=lambda s: (-s.market_value, s.key)))
