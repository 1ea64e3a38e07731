"""The JSON text of a stored segment (`db.models.AssetSegment`): summaries, day moves, realised
flows and checkpoints, with every Decimal as its exact text and every day as its ordinal.

Compact lists rather than objects: a cold read parses every segment of a portfolio, and
`json.loads` of lists of strings runs in C.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from portfolio_tracker.engine.methods import LotRecord, LotState
from portfolio_tracker.engine.segments import DayMove, SegmentSummary
from portfolio_tracker.engine.vocabulary import CostBasisMethod

_ONE = Decimal(1)


def _text(value: Decimal) -> str:
    return str(value)


@dataclass(frozen=True, slots=True)
class SegmentLots:
    """A segment's lot-dependent part: its realised flows by day and, when kept there, the
    checkpoint after its last trade."""

    flows: dict[date, Decimal]
    state: LotState | None


def encode_summary(summary: SegmentSummary, days: list[DayMove]) -> str:
    last = summary.last
    return json.dumps(
        {
            "net": _text(summary.net),
            "low": _text(summary.low),
            "last": [last[0].toordinal(), last[1], last[2]] if last else None,
            "days": [
                [
                    m.day.toordinal(),
                    _text(m.quantity),
                    _text(m.flow),
                    None if m.price is None else _text(m.price),
                ]
                for m in days
            ],
        },
        separators=(",", ":"),
    )


def decode_summary(trades: int, text: str) -> SegmentSummary:
    data = json.loads(text)
    last = data["last"]
    return SegmentSummary(
        trades,
        Decimal(data["net"]),
        Decimal(data["low"]),
        (date.fromordinal(last[0]), last[1], last[2]) if last else None,
    )


def decode_days(text: str) -> list[DayMove]:
    from_ordinal = date.fromordinal
    return [
        DayMove(from_ordinal(d), Decimal(q), Decimal(f), None if p is None else Decimal(p))
        for d, q, f, p in json.loads(text)["days"]
    ]


def encode_lots(flows: dict[date, Decimal], state: LotState | None) -> str:
    body: dict[str, Any] = {
        "flows": [[day.toordinal(), _text(amount)] for day, amount in sorted(flows.items())]
    }
    if state is not None:
        body["state"] = {
            "method": state.method.value,
            "held": _text(state.held),
            "pool": _text(state.pool_cost),
            "realized": _text(state.realized),
            "applied": list(state.applied),
            "lots": [
                [
                    lot.buy_id,
                    lot.day.toordinal(),
                    _text(lot.quantity),
                    _text(lot.price_per_unit),
                    _text(lot.fee),
                    _text(lot.remaining),
                    _text(lot.cost),
                    *(
                        []
                        if lot.num == _ONE and lot.den == _ONE
                        else [_text(lot.num), _text(lot.den)]
                    ),
                ]
                for lot in state.lots
            ],
        }
    return json.dumps(body, separators=(",", ":"))


def decode_lots(text: str) -> SegmentLots:
    data = json.loads(text)
    from_ordinal = date.fromordinal
    flows = {from_ordinal(d): Decimal(a) for d, a in data["flows"]}
    raw = data.get("state")
    state = None
    if raw is not None:
        lots = []
        for entry in raw["lots"]:
            buy_id, day, q, p, fee, remaining, cost = entry[:7]
            num, den = (Decimal(entry[7]), Decimal(entry[8])) if len(entry) > 7 else (_ONE, _ONE)
            lots.append(
                LotRecord(
                    buy_id,
                    from_ordinal(day),
                    Decimal(q),
                    Decimal(p),
                    Decimal(fee),
                    Decimal(remaining),
                    Decimal(cost),
                    num,
                    den,
                )
            )
        state = LotState(
            CostBasisMethod(raw["method"]),
            tuple(lots),
            Decimal(raw["held"]),
            Decimal(raw["pool"]),
            Decimal(raw["realized"]),
            tuple(raw["applied"]),
        )
    return SegmentLots(flows, state)
