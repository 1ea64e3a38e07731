"""Returns over a value history: TWR, XIRR, public-market equivalent, real return.

Sign conventions:

* A *flow* (``HistoryPoint.net_flow``, ``external_flows``, the ``flows`` of
  ``public_market_equivalent``) is money going INTO the portfolio: buys positive, sell
  proceeds negative.
* A *cash flow* given to ``xirr`` is from the investor's pocket: money paid in is negative,
  money received (and the final value) positive. ``xirr_cashflows`` turns a value history
  into that form.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, localcontext
from itertools import pairwise
from typing import Protocol

from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.prices import PriceSeries

__all__ = [
    "FlowPoint",
    "PmeResult",
    "external_flows",
    "public_market_equivalent",
    "real_return",
    "twr",
    "twr_series",
    "xirr",
    "xirr_cashflows",
    "xnpv",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_DAYS_PER_YEAR = 365
# Digits of the refined XIRR. A rate near -100 % leaves 1 + r with few significant digits and
# the discount factors amplify them, so the polish works with far more than the 1e-9 needed.
_XIRR_CONTEXT = Context(prec=60, Emax=999_999, Emin=-999_999)
_CONVERGED = Decimal("1e-30")


class FlowPoint(Protocol):
    """What the return functions read from a history point (``HistoryPoint`` fits)."""

    @property
    def on(self) -> date: ...

    @property
    def market_value(self) -> Decimal: ...

    @property
    def net_flow(self) -> Decimal: ...


def twr_series(points: Sequence[FlowPoint]) -> list[Decimal]:
    """Cumulative time-weighted return at each point, daily chain-linked; first is 0.

    Convention for day t (value V_t at the day's end, net flow F_t):
      * a net inflow (F_t >= 0) is counted at the START of the day:
        ``r_t = V_t / (V_{t-1} + F_t) - 1`` — new money takes part in the day's move;
      * a net outflow (F_t < 0) is counted at the END of the day:
        ``r_t = (V_t - F_t) / V_{t-1} - 1`` — money leaves after the day's move.
    Splitting by sign keeps both denominators >= V_{t-1} >= 0 and the numerators >= 0:
    counting a sale at the start of its day could make the denominator zero or negative
    (a full sale above yesterday's close) and the chain meaningless.
    A day with a zero denominator (nothing held and nothing coming in) links with factor 1,
    so a period that starts from zero value begins a new chain on the day money arrives.
    The first point is the base: its own flow is part of the opening value.
    Pass daily points; on sampled (weekly/monthly) points the same formula treats each
    period as one day, which is only an approximation.
    """
    out = [_ZERO]
    growth = _ONE
    with localcontext(ENGINE_CONTEXT):
        for prev, cur in pairwise(points):
            flow = cur.net_flow
            if flow >= 0:
                numerator, denominator = cur.market_value, prev.market_value + flow
            else:
                numerator, denominator = cur.market_value - flow, prev.market_value
            if denominator > 0:
                growth *= numerator / denominator
            out.append(growth - 1)
    return out


def twr(points: Sequence[FlowPoint]) -> Decimal:
    """Cumulative time-weighted return over the points (see ``twr_series``); 0 if < 2."""
    return twr_series(points)[-1] if points else _ZERO


def external_flows(points: Sequence[FlowPoint]) -> list[tuple[date, Decimal]]:
    """Money into the portfolio over the range: the opening value, then each flow (non-zero).

    The opening value counts as invested on the first day, so a range that starts in the
    middle of a history is judged from what the portfolio was worth then.
    """
    if not points:
        return []
    opening = points[0]
    flows = [(opening.on, opening.market_value)] if opening.market_value else []
    flows.extend((p.on, p.net_flow) for p in points[1:] if p.net_flow)
    return flows


def xirr_cashflows(points: Sequence[FlowPoint]) -> list[tuple[date, Decimal]]:
    """Investor cash flows for ``xirr``: the external flows negated, plus the final value."""
    if not points:
        return []
    with localcontext(ENGINE_CONTEXT):
        flows = [(on, -amount) for on, amount in external_flows(points)]
    flows.append((points[-1].on, points[-1].market_value))
    return flows


def xnpv(rate: Decimal, cashflows: Sequence[tuple[date, Decimal]]) -> Decimal:
    """``sum(cf_i / (1 + rate) ** ((d_i - d_0) / 365))`` with d_0 the earliest date."""
    if not cashflows:
        return _ZERO
    first = min(on for on, _ in cashflows)
    with localcontext(ENGINE_CONTEXT):
        base = _ONE + rate
        years = Decimal(_DAYS_PER_YEAR)
        return sum(
            (cf / base ** (Decimal((on - first).days) / years) for on, cf in cashflows), _ZERO
        )


def xirr(cashflows: Sequence[tuple[date, Decimal]]) -> Decimal | None:
    """Money-weighted annual return r solving ``xnpv(r, cashflows) == 0``.

    Flows on the same date are netted. Returns None when the flows do not change sign or
    no root exists in (-100 %, about 1e35 %); when several roots exist the one nearest 0 is
    taken. The root is bracketed in floats on x = ln(1 + r) (scaled so that no power
    overflows) and found there by Brent's method, then polished with Newton steps at 60
    significant digits until a step is below 1e-30 (the next one is then at the precision).
    """
    flows = _netted(cashflows)
    if not any(cf > 0 for _, cf in flows) or not any(cf < 0 for _, cf in flows):
        return None
    first = flows[0][0]
    days = [(on - first).days for on, _ in flows]
    scale = max(abs(cf) for _, cf in flows)
    floats = _FloatFlows.of(days, [float(cf / scale) for _, cf in flows])
    bracket = _bracket(floats)
    if bracket is None:
        return None
    x = _root_in(floats, *bracket)
    return _polish(days, [cf for _, cf in flows], x, bracket)


def _netted(cashflows: Sequence[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    by_date: dict[date, Decimal] = {}
    with localcontext(ENGINE_CONTEXT):
        for on, cf in cashflows:
            by_date[on] = by_date.get(on, _ZERO) + cf
    return sorted((on, cf) for on, cf in by_date.items() if cf)


@dataclass(frozen=True, slots=True)
class _FloatFlows:
    """Netted flows as floats for the root search: ``days`` since the first (ascending, the
    first 0), ``amounts`` scaled by the largest, and what ``_scaled_at`` walks them with."""

    days: list[int]
    amounts: list[float]
    gaps_before: list[int]  # days[i] - days[i - 1]; 0 for the first
    gaps_after: list[int]  # reversed order: days[i + 1] - days[i] for i from the last; 0 first
    amounts_reversed: list[float]
    distinct_gaps: frozenset[int]

    @classmethod
    def of(cls, days: list[int], amounts: list[float]) -> _FloatFlows:
        gaps_before = [0, *(b - a for a, b in pairwise(days))]
        gaps_after = [0, *reversed(gaps_before[1:])]
        return cls(
            days,
            amounts,
            gaps_before,
            gaps_after,
            amounts[::-1],
            frozenset(gaps_before),
        )


def _sign_at(flows: _FloatFlows, x: float) -> int:
    """Sign of sum(c_i * exp(-x * t_i)), computed as a scaled sum so nothing overflows."""
    total = _scaled_at(flows, x)
    return (total > 0) - (total < 0)


def _scaled_at(flows: _FloatFlows, x: float) -> float:
    """sum(c_i * exp(-x * t_i)) times exp(-max_i(-x * t_i)): the same roots, no overflow, and
    a smooth function of x on either side of 0 (the factor is 1 for x >= 0, exp(x * t_max)
    for x <= 0), so a bracket from ``_bracket`` can be searched with its values.

    By Horner's rule over the days (t_i = days_i / 365): for x >= 0 from the last flow back,
    ``acc = acc * v ** gap + c`` with v = exp(-x / 365) <= 1, which leaves sum(c_i v ** days_i);
    for x < 0 from the first flow on with w = exp(x / 365) < 1, which leaves
    sum(c_i w ** (days_max - days_i)), the scaled sum. Every factor is at most 1, so nothing
    overflows, and one power per distinct gap replaces an exp per flow: a daily history of
    ten years is searched in a few milliseconds rather than tens.
    """
    if x >= 0:
        base = math.exp(-x / _DAYS_PER_YEAR)
        amounts, gaps = flows.amounts_reversed, flows.gaps_after
    else:
        base = math.exp(x / _DAYS_PER_YEAR)
        amounts, gaps = flows.amounts, flows.gaps_before
    powers = {gap: base**gap for gap in flows.distinct_gaps}
    acc = 0.0
    for c, gap in zip(amounts, gaps, strict=True):
        acc = acc * powers[gap] + c
    return acc


def _bracket(flows: _FloatFlows) -> tuple[float, float] | None:
    """The sign change nearest x = 0, searching outwards in doubling steps up to |x| = 82."""
    at_zero = _sign_at(flows, 0.0)
    if at_zero == 0:
        return 0.0, 0.0
    last = {1: (0.0, at_zero), -1: (0.0, at_zero)}
    step = 0.01
    while step <= 82:
        for direction in (1, -1):
            x = direction * step
            sign = _sign_at(flows, x)
            prev_x, prev_sign = last[direction]
            if sign == 0:
                return x, x
            if sign != prev_sign:
                return (min(prev_x, x), max(prev_x, x))
            last[direction] = (x, sign)
        step *= 2
    return None


def _root_in(flows: _FloatFlows, lo: float, hi: float) -> float:
    """The root in [lo, hi] (where the sign changes) to about 1e-15, by Brent's method:
    inverse quadratic or secant steps, a bisection whenever they would not shrink the
    bracket fast enough. About 10 sums instead of the 50 of a bisection."""
    a, b = lo, hi
    fa, fb = _scaled_at(flows, a), _scaled_at(flows, b)
    if fa == 0 or a == b:
        return a
    if fb == 0:
        return b
    c, fc = a, fa
    d = e = b - a
    for _ in range(200):
        if (fb > 0) == (fc > 0):  # keep the root between b and c
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):  # b is the best estimate so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 4.5e-16 * abs(b) + 5e-16
        half = (c - b) / 2
        if abs(half) <= tol or fb == 0:
            break
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant
                p, q = 2 * half * s, 1 - s
            else:  # inverse quadratic interpolation through a, b, c
                q, r = fa / fc, fb / fc
                p = s * (2 * half * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            else:
                p = -p
            if 2 * p < min(3 * half * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = half
        else:
            d = e = half
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, half)
        fb = _scaled_at(flows, b)
    return b


def _polish(
    days: list[int], amounts: list[Decimal], x_float: float, bracket: tuple[float, float]
) -> Decimal:
    """Newton steps on f(x) = sum(c_i v^k_i), v = exp(-x/365), kept inside the bracket."""
    # The float bracket may exclude a root that sits exactly on its edge (a float sum of
    # cancelling flows is rarely exactly 0), so Newton may step slightly outside it.
    slack = Decimal("1e-9")
    lo, hi = Decimal(repr(bracket[0])) - slack, Decimal(repr(bracket[1])) + slack
    with localcontext(_XIRR_CONTEXT):
        x = Decimal(repr(x_float))
        # Each x is evaluated once: its f ranks it against the best so far, and with its
        # slope it makes the next step.
        f, slope = _f_and_slope(days, amounts, x)
        best_x, best_f = x, abs(f)
        for step in range(8):
            if not slope:
                break
            delta = f / slope
            nxt = x - delta
            if not lo <= nxt <= hi:
                break
            x = nxt
            # Newton doubles the correct digits: after a step below 1e-30 x is at the
            # precision, and its slope would make no step that counts: f alone.
            last = step == 7 or abs(delta) <= _CONVERGED
            f, slope = _f_and_slope(days, amounts, x, with_slope=not last)
            f_new = abs(f)
            if f_new < best_f:
                best_x, best_f = x, f_new
            if not f_new or last:
                break
        return best_x.exp() - 1


def _f_and_slope(
    days: list[int], amounts: list[Decimal], x: Decimal, with_slope: bool = True
) -> tuple[Decimal, Decimal]:
    """f(x) and f'(x) (f'(x) = 0 when not ``with_slope``); powers of v are built
    incrementally along the sorted days, ``v ** gap`` computed once per distinct gap."""
    v = (-x / _DAYS_PER_YEAR).exp()
    f = slope = _ZERO
    power, at = _ONE, 0
    powers: dict[int, Decimal] = {}
    for k, c in zip(days, amounts, strict=True):
        gap = k - at
        step = powers.get(gap)
        if step is None:
            step = powers[gap] = v**gap
        power *= step
        at = k
        term = c * power
        f += term
        if with_slope:
            slope -= term * k / _DAYS_PER_YEAR
    return f, slope


@dataclass(frozen=True, slots=True)
class PmeResult:
    """The user's own flows replayed into a benchmark.

    ``value``: what the benchmark units bought (and sold) with the flows are worth at the end
    (negative when withdrawals exceeded what the benchmark grew to — reported, not hidden).
    ``net_invested``: sum of the flows. ``gain = value - net_invested``.
    ``simple_return = gain / net_invested`` when net_invested > 0, else None.
    ``irr``: the benchmark's money-weighted annual return on these flows (``xirr``).
    """

    value: Decimal
    net_invested: Decimal
    gain: Decimal
    simple_return: Decimal | None
    irr: Decimal | None


def public_market_equivalent(
    flows: Sequence[tuple[date, Decimal]], benchmark: PriceSeries, end_date: date
) -> PmeResult:
    """Replay ``flows`` (into the portfolio positive) into ``benchmark``, value at end.

    Each flow buys (or, if negative, sells) ``flow / level`` benchmark units at the last
    level on or before its date; the units are valued at the last level on or before
    ``end_date``. The benchmark must be expressed in the flows' (base) currency — USDTRY for
    "as if in dollars", XAU in TRY, an index, or a CPI series for "as if kept up with
    inflation". Raises ``MissingPriceError`` when a flow predates the benchmark.
    """
    with localcontext(ENGINE_CONTEXT):
        units = _ZERO
        invested = _ZERO
        for on, amount in flows:
            if not amount:
                continue  # nothing to buy, so no benchmark level is needed that day
            level = benchmark.require_on(on).price
            if not level:
                raise ValueError(f"benchmark level is zero on {on}; units would be infinite")
            units += amount / level
            invested += amount
        value = units * benchmark.require_on(end_date).price
        gain = value - invested
        simple = gain / invested if invested > 0 else None
        cashflows = [(on, -amount) for on, amount in flows]
    cashflows.append((end_date, value))
    return PmeResult(value, invested, gain, simple, xirr(cashflows))


def real_return(nominal_return: Decimal, cpi_start: Decimal, cpi_end: Decimal) -> Decimal:
    """Inflation-adjusted return: ``(1 + nominal) * cpi_start / cpi_end - 1``."""
    if cpi_start <= 0 or cpi_end <= 0:
        raise ValueError("CPI levels must be positive")
    with localcontext(ENGINE_CONTEXT):
        return (_ONE + nominal_return) * cpi_start / cpi_end - 1
