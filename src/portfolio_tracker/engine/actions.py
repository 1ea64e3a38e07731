"""Corporate actions: splits, reverse splits and bonus issues that rescale every open lot.

Convention (issue 13): an action takes effect at the START of its ex-date, before any trade of
that day (timed or date-only). Every open lot's quantity is multiplied by
``numerator / denominator`` and its unit cost by ``denominator / numerator``: its total cost,
acquisition date and rates stay, so bonus shares inherit the lot's date. Transactions are never
rewritten: quantities recorded on or after the ex-date are post-action.

A bonus issue of p % (bedelsiz sermaye artırımı) is ``(100 + p) / 100`` (``bonus_ratio``).

Exactness: a rescaled quantity is exact when the quotient terminates within the 80-digit
``ENGINE_CONTEXT`` (every integer split, every ratio whose reduced denominator has only the
prime factors 2 and 5, such as 1/10 or 112.5/100); otherwise it is rounded once at the 40th
decimal place, like a partial lot's cost in ``engine.lots``. The quantity held is rescaled as
one figure (``scale_quantity``), so the oversell check never depends on the cost-basis method;
when lots are rescaled one by one, the largest open lot takes the rounding residue so that the
lots always add up to that one figure (``scale_lots``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from portfolio_tracker.engine.money import MAX_PLACES, decimal_places
from portfolio_tracker.engine.vocabulary import CorporateActionKind

__all__ = [
    "MAX_RATIO_TERM",
    "CorporateAction",
    "bonus_ratio",
    "current_units",
    "factor_on",
    "order_actions",
    "scale_lots",
    "scale_quantity",
]

# Numerators and denominators are bounded so that a rescaled quantity stays far inside the
# 80 digits of ENGINE_CONTEXT (real actions are small ratios: 2/1, 1/10, 112.5/100).
MAX_RATIO_TERM = Decimal(10**6)
_QUANTUM = Decimal("1E-40")


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """One action on one asset. ``id`` names it in errors; ``numerator``/``denominator`` are
    positive Decimals below 10^6 with at most 18 decimal places; a split's ratio is above 1,
    a reverse split's below 1, a bonus issue's above 1. Raises ValueError otherwise."""

    id: str
    kind: CorporateActionKind
    ex_date: date
    numerator: Decimal
    denominator: Decimal

    def __post_init__(self) -> None:
        if self.kind not in tuple(CorporateActionKind):
            raise ValueError(f"action {self.id}: unknown kind {self.kind!r}")
        if not isinstance(self.ex_date, date) or isinstance(self.ex_date, datetime):
            raise ValueError(f"action {self.id}: ex_date must be a date, got {self.ex_date!r}")
        for name in ("numerator", "denominator"):
            value = getattr(self, name)
            if (
                not isinstance(value, Decimal)
                or not value.is_finite()
                or value <= 0
                or value >= MAX_RATIO_TERM
                or decimal_places(value) > MAX_PLACES
            ):
                raise ValueError(
                    f"action {self.id}: {name} must be a Decimal > 0 and below 10^6 with at most"
                    f" {MAX_PLACES} decimal places, got {value}"
                )
        grows = self.numerator > self.denominator
        if self.kind == CorporateActionKind.REVERSE_SPLIT:
            if self.numerator >= self.denominator:
                raise ValueError(f"action {self.id}: a reverse split needs numerator < denominator")
        elif not grows:
            raise ValueError(f"action {self.id}: a {self.kind} needs numerator > denominator")


def bonus_ratio(percent: Decimal) -> tuple[Decimal, Decimal]:
    """(numerator, denominator) of a bonus issue of ``percent`` %: ``(100 + p, 100)``.

    E.g. a 25 % bonus issue (one new share for four held) is 125/100: 100 shares become 125.
    """
    return Decimal(100) + percent, Decimal(100)


def order_actions(actions: Iterable[CorporateAction]) -> list[CorporateAction]:
    """Actions by ex-date; actions of one day keep their given order."""
    return sorted(actions, key=lambda a: a.ex_date)


def scale_quantity(quantity: Decimal, action: CorporateAction) -> Decimal:
    """``quantity * numerator / denominator``, exact when the quotient terminates, else
    rounded once at 1e-40. Call under ``ENGINE_CONTEXT``."""
    scaled = quantity * action.numerator / action.denominator
    rounded = scaled.quantize(_QUANTUM)
    return scaled if rounded == scaled else rounded


def scale_lots(quantities: Sequence[Decimal], action: CorporateAction) -> list[Decimal]:
    """Each lot quantity rescaled; they add up to ``scale_quantity(sum(quantities))`` exactly
    (the largest lot, the first of equals, takes the rounding residue). Call under
    ``ENGINE_CONTEXT``."""
    if not quantities:
        return []
    total = scale_quantity(sum(quantities, Decimal(0)), action)
    scaled = [scale_quantity(q, action) for q in quantities]
    largest = max(range(len(quantities)), key=quantities.__getitem__)
    scaled[largest] = total - (sum(scaled, Decimal(0)) - scaled[largest])
    return scaled


def current_units(actions: Iterable[CorporateAction]) -> list[tuple[date, Decimal]]:
    """How many of today's units one unit of each period is: ``[(until, factor), ...]``
    ascending, meaning a quantity of a day before ``until`` (and on or after the previous
    ``until``) times ``factor`` is that quantity in today's units (after every action). The
    factor of days on or after the last ex-date is 1 and is not listed. Call under
    ``ENGINE_CONTEXT``.

    This is the "adjusted basis" of a chart: a split-adjusted close (Yahoo's) times a
    quantity in today's units is the day's true value, since quantity x n/d times price x d/n
    is quantity x price.
    """
    ordered = order_actions(actions)
    out: list[tuple[date, Decimal]] = []
    factor = Decimal(1)
    for action in reversed(ordered):
        factor = factor * action.numerator / action.denominator
        if out and out[-1][0] == action.ex_date:
            out[-1] = (action.ex_date, factor)
        else:
            out.append((action.ex_date, factor))
    out.reverse()
    return out


def factor_on(day: date, periods: Sequence[tuple[date, Decimal]]) -> Decimal:
    """The factor of ``day`` in ``current_units``'s list (1 after the last ex-date)."""
    for until, factor in periods:
        if day < until:
            return factor
    return Decimal(1)
