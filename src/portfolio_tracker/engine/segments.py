"""Stored summaries of stretches of an asset's history ("segments"), pure.

An asset's trades, in the order of trades, are cut into segments of whole calendar days
(``plan_segments``). For each segment the state layer keeps what stays true whatever happens
in other segments, because it is relative to the segment's start:

* ``SegmentSummary``: the number of trades, the net quantity (buys minus sells, as recorded)
  and the lowest running net after any of its trades (``low``). The quantity held before a
  segment is the sum of the nets before it, so the history never oversells exactly when
  ``held before + low >= 0`` for every segment (``first_short_segment``): the only decreases
  are sells, so the first point below zero is a sell exceeding what is held. This is the
  validity check of an edit without replaying the history. It holds when no corporate action
  rescales the quantity (the caller replays fully otherwise).
* ``DayMove`` per calendar day: the net quantity, the day's net external flow in the asset
  currency (a buy's quantity x price + fee, minus a sell's quantity x price - fee, as
  ``engine.history`` counts them) and the price of the day's last trade at a price above 0
  (``engine.observations.trade_observations``). The daily value history and the summary's
  trade prices read these instead of every trade.

and, lot-dependent (the state layer drops them from a changed day on): the checkpoint
(``methods.LotState``) after the segment's last trade and the segment's realised flows
(``realized_flows``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext

from portfolio_tracker.engine.lots import Realization, Trade, trade_order_key
from portfolio_tracker.engine.money import ENGINE_CONTEXT

__all__ = [
    "DayMove",
    "DaySeries",
    "SegmentSummary",
    "day_moves",
    "first_short_segment",
    "plan_segments",
    "realized_flows",
    "summarize_segment",
]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class SegmentSummary:
    """``trades`` in the segment; ``net`` = sum of buys' minus sells' quantities; ``low`` = the
    lowest running net after any of its trades (0 for an empty segment); ``last`` = the order
    key (``lots.trade_order_key``) of its last trade, None when empty."""

    trades: int
    net: Decimal
    low: Decimal
    last: tuple[date, int, int] | None


@dataclass(frozen=True, slots=True)
class DayMove:
    """One calendar day of an asset's trades (see module doc): ``quantity`` net of sells,
    ``flow`` the net external flow in the asset currency, ``price`` the day's last trade price
    above 0 (None when every trade of the day was at 0)."""

    day: date
    quantity: Decimal
    flow: Decimal
    price: Decimal | None


def summarize_segment(ordered: Sequence[Trade]) -> SegmentSummary:
    """The summary of a segment's trades (in the order of trades)."""
    net = low = _ZERO
    first = True
    with localcontext(ENGINE_CONTEXT):
        for t in ordered:
            net = net + t.quantity if t.kind == "buy" else net - t.quantity
            if first or net < low:
                low, first = net, False
    last = trade_order_key(ordered[-1]) if ordered else None
    return SegmentSummary(len(ordered), net, low, last)


def extend_summary(summary: SegmentSummary, trade: Trade) -> SegmentSummary:
    """The summary with one trade appended after its last (O(1))."""
    with localcontext(ENGINE_CONTEXT):
        net = summary.net + trade.quantity if trade.kind == "buy" else summary.net - trade.quantity
        low = net if summary.trades == 0 or net < summary.low else summary.low
    return SegmentSummary(summary.trades + 1, net, low, trade_order_key(trade))


def first_short_segment(summaries: Iterable[SegmentSummary]) -> tuple[int, Decimal] | None:
    """(index, quantity held before it) of the first segment in which a sell would exceed what
    is held, None when none does (module doc)."""
    held = _ZERO
    with localcontext(ENGINE_CONTEXT):
        for i, s in enumerate(summaries):
            if s.trades and held + s.low < 0:
                return i, held
            held += s.net
    return None


def plan_segments(ordered: Sequence[Trade], size: int) -> list[int]:
    """Where to cut an ordered history into segments of whole days of about ``size`` trades:
    the indices of each segment's first trade (always 0 first; [] for no trades). A day is
    never split, so a day with more trades makes a longer segment."""
    starts: list[int] = []
    count = 0
    previous: date | None = None
    for i, t in enumerate(ordered):
        if t.day != previous:
            if not starts or count >= size:
                starts.append(i)
                count = 0
            previous = t.day
        count += 1
    return starts


def day_moves(ordered: Iterable[Trade]) -> list[DayMove]:
    """One ``DayMove`` per calendar day of the trades (in the order of trades)."""
    out: list[DayMove] = []
    day: date | None = None
    quantity = flow = _ZERO
    price: Decimal | None = None
    with localcontext(ENGINE_CONTEXT):
        for t in ordered:
            if t.day != day:
                if day is not None:
                    out.append(DayMove(day, quantity, flow, price))
                day, quantity, flow, price = t.day, _ZERO, _ZERO, None
            gross = t.quantity * t.price_per_unit
            if t.kind == "buy":
                quantity += t.quantity
                flow += gross + t.fee
            else:
                quantity -= t.quantity
                flow += t.fee - gross
            if t.price_per_unit:
                price = t.price_per_unit
        if day is not None:
            out.append(DayMove(day, quantity, flow, price))
    return out


@dataclass(frozen=True, slots=True, eq=False)
class DaySeries:
    """An asset's day moves as parallel lists, ascending by day (``engine.history`` reads
    them instead of trades): day ordinals, net quantities and net flows; and, for the days
    with a trade at a price above 0, their ordinals and the last such price (``prices``), or
    the exact text of that price (``price_texts``) when the series was read from storage:
    those are converted only for the days that ``priced`` returns, since a history needs
    the trades' prices only where no feed close exists. One of the two is empty."""

    ordinals: list[int]
    quantities: list[Decimal]
    flows: list[Decimal]
    priced_ordinals: list[int]
    prices: list[Decimal]
    price_texts: list[str]

    @classmethod
    def empty(cls) -> DaySeries:
        return cls([], [], [], [], [], [])

    @classmethod
    def of_moves(cls, moves: Iterable[DayMove]) -> DaySeries:
        out = cls.empty()
        for m in moves:
            ordinal = m.day.toordinal()
            out.ordinals.append(ordinal)
            out.quantities.append(m.quantity)
            out.flows.append(m.flow)
            if m.price is not None:
                out.priced_ordinals.append(ordinal)
                out.prices.append(m.price)
        return out

    def __eq__(self, other: object) -> bool:
        # The same moves whichever form the prices are in (Decimals or their texts).
        if not isinstance(other, DaySeries):
            return NotImplemented
        mine = (self.ordinals, self.quantities, self.flows)
        return mine == (other.ordinals, other.quantities, other.flows) and (
            self.priced() == other.priced()
        )

    __hash__ = None  # type: ignore[assignment]  # lists inside: not hashable

    def priced(self, skip: Container[int] | None = None) -> tuple[list[int], list[Decimal]]:
        """The priced days (ordinals, ascending) and their prices, without the days in
        ``skip`` (a ``range`` of days is cut out by bisection, not day by day)."""
        ordinals = self.priced_ordinals
        kept: Iterable[int] | None
        if skip is None:
            kept = None
        elif isinstance(skip, range) and skip.step == 1:
            lo, hi = bisect_left(ordinals, skip.start), bisect_left(ordinals, skip.stop)
            kept = None if hi <= lo else [*range(lo), *range(hi, len(ordinals))]
        else:
            kept = [i for i, o in enumerate(ordinals) if o not in skip]
            if len(kept) == len(ordinals):
                kept = None
        if kept is None:
            if self.price_texts:
                return list(ordinals), list(map(Decimal, self.price_texts))
            return list(ordinals), list(self.prices)
        if self.price_texts:
            texts = self.price_texts
            return [ordinals[i] for i in kept], [Decimal(texts[i]) for i in kept]
        return [ordinals[i] for i in kept], [self.prices[i] for i in kept]


def realized_flows(realizations: Iterable[Realization]) -> dict[date, Decimal]:
    """Realised P&L as amounts by calendar day, in the asset currency: each sell's proceeds on
    its day, minus the cost of each piece it consumed on that piece's buy day. Their sum is the
    realised P&L; converted at each day's rate and summed, it is the realised P&L in another
    currency at historical rates (``engine.valuation``)."""
    out: dict[date, Decimal] = {}
    get = out.get
    with localcontext(ENGINE_CONTEXT):
        for r in realizations:
            out[r.day] = get(r.day, _ZERO) + r.proceeds
            for piece in r.consumed:
                out[piece.buy_day] = get(piece.buy_day, _ZERO) - piece.cost
    return out


def merge_flows(parts: Iterable[dict[date, Decimal]]) -> dict[date, Decimal]:
    """The sum of several ``realized_flows`` by day."""
    out: dict[date, Decimal] = {}
    get = out.get
    with localcontext(ENGINE_CONTEXT):
        for part in parts:
            for day, amount in part.items():
                out[day] = get(day, _ZERO) + amount
    return out
