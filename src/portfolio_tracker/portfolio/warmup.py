"""Warm a new app process's portfolio code path before it serves (no user's data is read).

A fresh process pays, on its first portfolio request, for what every later request reuses:
importing the modules of the summary and the history, compiling their SQL statements, opening
the pool's first connection, building the JSON serialisers. Running both computations once
at start-up for an account that does not exist (every query returns no row) moves that cost
out of the first user's request; the figures themselves still come from the stored state
(``portfolio_tracker.state``) at that request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from portfolio_tracker.engine.dates import user_today
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.service import (
    HistoryQuery,
    Viewer,
    compute_history,
    compute_summary,
    summary_out,
)

log = logging.getLogger(__name__)


def warm_up(sessions: Callable[[], Session], cache: PortfolioCache) -> bool:
    """Compute an empty summary and history (see module doc); whether it worked. Never
    raises."""
    try:
        zone = ZoneInfo("UTC")
        nobody = Viewer(uuid.uuid4(), (0, 0), "TRY", zone, user_today(zone))
        with sessions() as db:
            summary_out(compute_summary(db, cache, nobody)).model_dump_json()
            query = HistoryQuery(None, None, None, "day", None)
            compute_history(db, cache, nobody, query).json()
            db.rollback()
    except Exception:  # a warm-up: the first request does the same work if it fails
        log.warning("portfolio warm-up failed", exc_info=True)
        return False
    return True
