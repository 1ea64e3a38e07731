"""Benchmarks for the history: the user's own flows replayed into a benchmark (PME), and
the inflation-adjusted return. Pure functions over engine values; the end figures come
from ``engine.returns.public_market_equivalent``.

Benchmark levels are expressed in the base currency day by day:
* ``USDTRY``: the value of one US dollar in the base (the USD/TRY rate when the base is
  TRY) — "as if the money had been kept in dollars";
* ``XAU`` / ``XAG``: spot (USD per troy ounce) x the USD rate into the base on that day;
* ``CPI``: the CPI level itself (CPI-TR for a TRY base, CPI-US otherwise), unconverted —
  "as if it had just kept up with inflation";
* any other symbol: its stored closes x the rate of their currency into the base.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, localcontext

from portfolio_tracker.engine.fx import RateTable
from portfolio_tracker.engine.history import HistoryPoint
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.prices import MissingPriceError, PriceSeries
from portfolio_tracker.engine.returns import external_flows, public_market_equivalent, real_return
from portfolio_tracker.portfolio.schemas import BenchmarkOut, BenchmarkReason, RealReturnOut

PriceRow = tuple[date, Decimal, str]


def benchmark_levels(
    name: str, rows: Sequence[PriceRow], days: Sequence[date], rates: RateTable, base: str
) -> PriceSeries:
    """Daily levels of the benchmark in the base currency over ``days`` (ascending);
    days before its first close (or without a rate) have no level."""
    if name == "USDTRY":
        quotes = rates.rate_series("USD", base, days)
        return PriceSeries.from_points(
            ((d, q.rate) for d, q in zip(days, quotes, strict=True) if q is not None), base, name
        )
    source = PriceSeries.from_points(((d, c) for d, c, _ in rows), rows[-1][2] if rows else base)
    closes = source.closes_on(days)
    if name == "CPI":
        return PriceSeries.from_points(
            ((d, c) for d, c in zip(days, closes, strict=True) if c is not None), base, name
        )
    factors = rates.rate_series(source.currency, base, days)
    with localcontext(ENGINE_CONTEXT):
        points = [
            (d, c * f.rate)
            for d, c, f in zip(days, closes, factors, strict=True)
            if c is not None and f is not None
        ]
    return PriceSeries.from_points(points, base, name)


def pme_values(
    flows: Sequence[tuple[date, Decimal]], levels: PriceSeries, days: Sequence[date]
) -> list[Decimal | None]:
    """The PME value on each of ``days``: units bought with every flow up to that day (at
    that day's level, as the engine buys them), times the day's level."""
    by_day = dict(flows)
    values: list[Decimal | None] = []
    units = Decimal(0)
    with localcontext(ENGINE_CONTEXT):
        for d, level in zip(days, levels.closes_on(days), strict=True):
            amount = by_day.get(d)
            if amount:
                if not level:
                    return [None] * len(days)
                units += amount / level
            values.append(units * level if level is not None else None)
    return values


def _empty(symbol: str, series: str | None, reason: BenchmarkReason, detail: str) -> BenchmarkOut:
    return BenchmarkOut(
        symbol=symbol, series=series, value=None, net_invested=None, gain=None,
        simple_return=None, irr=None, price_return=None, reason=reason,
        detail=detail,
    )  # fmt: skip


def compare_benchmark(
    name: str,
    label: str | None,
    rows: Sequence[PriceRow],
    daily: Sequence[HistoryPoint],
    rates: RateTable,
    base: str,
) -> tuple[BenchmarkOut, list[Decimal | None]]:
    """The benchmark's PME figures over the range, and its value on each day."""
    nothing: list[Decimal | None] = [None] * len(daily)
    if name != "USDTRY" and not rows:
        return _empty(name, None, "no_data", f"no stored series for {name}"), nothing
    days = [p.on for p in daily]
    levels = benchmark_levels(name, rows, days, rates, base)
    if not len(levels):
        return _empty(name, label, "no_rate", f"no level of {name} in {base} in range"), nothing
    flows = external_flows(daily)
    try:
        pme = public_market_equivalent(flows, levels, days[-1])
    except MissingPriceError:
        detail = f"{name} has no level in {base} on or before {days[0].isoformat()}"
        return _empty(name, label, "no_data_at_start", detail), nothing
    except ValueError as exc:
        return _empty(name, label, "zero_level", str(exc)), nothing
    first, last = levels.price_on(days[0]), levels.price_on(days[-1])
    price_return = None
    if first is not None and last is not None and first.price:
        with localcontext(ENGINE_CONTEXT):
            price_return = last.price / first.price - 1
    out = BenchmarkOut(
        symbol=name,
        series=label,
        value=pme.value,
        net_invested=pme.net_invested,
        gain=pme.gain,
        simple_return=pme.simple_return,
        irr=pme.irr,
        price_return=price_return,
        reason=None,
        detail=None,
    )
    return out, pme_values(flows, levels, days)


def real_return_of(
    nominal: Decimal, cpi: PriceSeries, symbol: str, start: date, end: date
) -> RealReturnOut:
    """``(1 + nominal) x CPI(start) / CPI(end) - 1`` with the last CPI on or before each date."""
    first, last = cpi.price_on(start), cpi.price_on(end)
    if first is None or last is None or first.price <= 0 or last.price <= 0:
        return RealReturnOut(series=symbol, inflation=None, real_twr=None, reason="no_cpi")
    with localcontext(ENGINE_CONTEXT):
        inflation = last.price / first.price - 1
    return RealReturnOut(
        series=symbol,
        inflation=inflation,
        real_twr=real_return(nominal, first.price, last.price),
        reason=None,
    )
