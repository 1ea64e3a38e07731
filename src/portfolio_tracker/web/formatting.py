"""The pages' formats: `portfolio_tracker.formatting` (shared with the emails)."""

from __future__ import annotations

from portfolio_tracker.formatting import Formatter, currency_symbol

__all__ = ["Formatter", "currency_symbol"]
