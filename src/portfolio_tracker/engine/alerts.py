"""When an alert fires: pure rules over a price or a day's move, and the once-until-re-armed
state of an alert. Decimal in, plain values out; no I/O.

Rules (the product's "price above/below a level, portfolio move of X % in a day"):
- a price alert ``above`` a level fires when the price is at or above it; ``below`` when at
  or below it (reaching the level counts: a user asking "tell me at 100" means at 100);
- a portfolio alert of X % fires when the day's move, as a ratio (0.05 = +5 %), is at or
  beyond +X % or -X % (``|move| * 100 >= X``);
- an alert fires once: ``armed`` and hit → ``triggered`` (notify); ``triggered`` stays so
  whatever the price does, until the user re-arms it. An unknown price or move never fires.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum

from portfolio_tracker.engine.money import ENGINE_CONTEXT


class Direction(StrEnum):
    above = "above"
    below = "below"


class AlertState(StrEnum):
    armed = "armed"
    triggered = "triggered"


def price_hit(direction: Direction, level: Decimal, price: Decimal | None) -> bool:
    """Whether ``price`` (same currency and unit as ``level``) reaches ``level`` from the
    side ``direction`` names; False when the price is unknown."""
    if price is None:
        return False
    if direction is Direction.above:
        return price >= level
    return price <= level


def move_hit(move_pct: Decimal, move: Decimal | None) -> bool:
    """Whether a day's ``move`` (a ratio: 0.05 is +5 %) is at or beyond ±``move_pct``
    percent (``move_pct`` > 0, 5 = 5 %); False when the move is unknown."""
    if move is None:
        return False
    with localcontext(ENGINE_CONTEXT):
        return abs(move) * 100 >= move_pct


@dataclass(frozen=True, slots=True)
class Step:
    """The alert's next state and whether this evaluation notifies."""

    state: AlertState
    notify: bool


def step(state: AlertState, hit: bool) -> Step:
    """One evaluation of an alert in ``state`` whose condition is ``hit`` now: an armed alert
    that is hit triggers and notifies; nothing else notifies or changes state (a triggered
    alert waits for the user to re-arm it)."""
    if state is AlertState.armed and hit:
        return Step(AlertState.triggered, True)
    return Step(state, False)
