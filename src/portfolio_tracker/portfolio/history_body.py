"""The JSON body of GET /api/portfolio/history, its points written directly.

A ten-year daily history has 3,650 points of five decimals each. Building a
``HistoryPointOut`` per point and letting pydantic serialise them costs more than the rest of
the body together, so the points are written here as text, field by field in the schema's
order and with the schema's own number format (``api.types.money_text``), and spliced into
pydantic's serialisation of the rest of the answer. ``HistoryBody.model()`` builds the
pydantic answer the slow way; tests/portfolio/test_history_body.py checks that both give the
same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from portfolio_tracker.api.types import money_text
from portfolio_tracker.portfolio.schemas import HistoryOut, HistoryPointOut

# The one place where an empty ``points`` list appears in ``HistoryOut``'s serialisation:
# it is a key (every quote inside a string value is escaped), and ``points`` comes before
# every field that holds user text (the excluded assets' names).
_EMPTY_POINTS = b'"points":[]'


class PointRow(NamedTuple):
    """One point of the answer (``HistoryPointOut``'s fields, in its order)."""

    date: date
    market_value: Decimal
    net_invested: Decimal
    net_flow: Decimal
    twr: Decimal
    unpriced_count: int
    benchmark_value: Decimal | None


@dataclass(frozen=True, slots=True)
class HistoryBody:
    """The answer: ``head`` is the ``HistoryOut`` with no points, ``points`` its points."""

    head: HistoryOut
    points: list[PointRow]

    def json(self) -> bytes:
        """The answer's JSON, byte for byte ``self.model().model_dump_json(by_alias=True)``."""
        head = self.head.model_dump_json(by_alias=True).encode()
        at = head.index(_EMPTY_POINTS)  # ValueError: the schema changed; see _EMPTY_POINTS
        points = points_json(self.points).encode()
        return b"".join((head[:at], b'"points":', points, head[at + len(_EMPTY_POINTS) :]))

    def model(self) -> HistoryOut:
        """The pydantic answer (slower; for tests and callers that want the model)."""
        points = [HistoryPointOut(**p._asdict()) for p in self.points]
        return self.head.model_copy(update={"points": points})


def points_json(points: list[PointRow]) -> str:
    """``points`` as the JSON array ``list[HistoryPointOut]`` serialises to (no spaces, dates
    as ISO text, decimals as ``money_text`` strings, a missing benchmark value as null)."""
    money = money_text
    parts = [
        f'{{"date":"{p.date.isoformat()}","market_value":"{money(p.market_value)}",'
        f'"net_invested":"{money(p.net_invested)}","net_flow":"{money(p.net_flow)}",'
        f'"twr":"{money(p.twr)}","unpriced_count":{int(p.unpriced_count)},"benchmark_value":'
        + ("null" if p.benchmark_value is None else f'"{money(p.benchmark_value)}"')
        + "}"
        for p in points
    ]
    return "[" + ",".join(parts) + "]"
