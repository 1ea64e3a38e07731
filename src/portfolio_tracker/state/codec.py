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
from portfolio_tracker.engine.segments import DayMove, DaySeries, SegmentSummary
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


def encode_head(summary: SegmentSummary) -> str:
    """The summary's figures (not its trade count, a column of its own): small, so that the
    oversell check of a write reads every segment's quickly."""
    last = summary.last
    return json.dumps(
        {
            "net": _text(summary.net),
            "low": _text(summary.low),
            "last": [last[0].toordinal(), last[1], last[2]] if last else None,
        },
        separators=(",", ":"),
    )


def encode_summary(days: list[DayMove]) -> str:
    """The day moves: parallel fields, ordinals as a JSON list and Decimals as comma-joined
    text (a price that is None as an empty item), so that a reader splits and converts them
    with C-level maps."""
    return json.dumps(
        {
            "d": [m.day.toordinal() for m in days],
            "q": ",".join(_text(m.quantity) for m in days),
            "f": ",".join(_text(m.flow) for m in days),
            # Always a list, even when it repeats "d": a process of the previous release
            # (a rolling deploy, a rollback) reads these rows too. Readers also accept null.
            "pd": [m.day.toordinal() for m in days if m.price is not None],
            "pv": ",".join(_text(m.price) for m in days if m.price is not None),
        },
        separators=(",", ":"),
    )


def decode_summary(trades: int, head: str) -> SegmentSummary:
    """The summary from its trade count and ``encode_head``'s JSON."""
    text = head
    data = json.loads(text)
    last = data["last"]
    return SegmentSummary(
        trades,
        Decimal(data["net"]),
        Decimal(data["low"]),
        (date.fromordinal(last[0]), last[1], last[2]) if last else None,
    )


def decode_days_into(text: str, into: DaySeries) -> None:
    """Append a summary JSON's day moves to ``into`` (segments come in day order)."""
    if not text:
        return
    data = json.loads(text)
    ordinals: list[int] = data["d"]
    if not ordinals:
        return
    into.ordinals.extend(ordinals)
    into.quantities.extend(map(Decimal, data["q"].split(",")))
    into.flows.extend(map(Decimal, data["f"].split(",")))
    priced = data["pd"]
    if priced is None:  # every day is priced (a summary written with null)
        priced = ordinals
    if priced:
        into.priced_ordinals.extend(priced)
        into.price_texts.extend(data["pv"].split(","))


def decode_days(text: str) -> list[DayMove]:
    series = DaySeries.empty()
    decode_days_into(text, series)
    from_ordinal = date.fromordinal
    priced = dict(zip(*series.priced(), strict=True))
    return [
        DayMove(from_ordinal(d), q, f, priced.get(d))
        for d, q, f in zip(series.ordinals, series.quantities, series.flows, strict=True)
    ]


def first_day(text: str) -> date | None:
    """The first day of a segment's summary JSON (None when it has no day)."""
    ordinals = json.loads(text)["d"]
    return date.fromordinal(ordinals[0]) if ordinals else None


def state_marker(method: CostBasisMethod) -> str:
    """Text found in a lots JSON exactly when it keeps a checkpoint of ``method``
    (``encode_lots`` writes the state first, its method first), so that a reader finds the
    checkpoint to resume from without parsing every segment."""
    return f'{{"state":{{"method":"{method.value}"'


def encode_lots(flows: dict[date, Decimal], state: LotState | None) -> str:
    body: dict[str, Any] = {}
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
    # Parallel columns (day ordinals, comma-joined amounts): C-level to write and to read.
    ordered = sorted(flows.items())
    body["flows"] = {
        "d": [day.toordinal() for day, _ in ordered],
        "a": ",".join(_text(amount) for _, amount in ordered),
    }
    return json.dumps(body, separators=(",", ":"))


def parse_lots(text: str) -> dict[str, Any]:
    """A segment's lots JSON, parsed but not yet turned into values (``flows_of``,
    ``state_of``): a cold read needs the flows of every segment but one checkpoint."""
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def merge_raw_flows(parts: list[dict[str, Any]], into: dict[int, Decimal]) -> None:
    """Add parsed flows (``{"d": [ordinal, ...], "a": "amount,..."}``) into ``into`` (by day
    ordinal)."""
    get = into.get
    zero = Decimal(0)
    for part in parts:
        days = part["d"]
        if not days:
            continue
        if not into:
            into.update(zip(days, map(Decimal, part["a"].split(",")), strict=True))
            continue
        for day, amount in zip(days, map(Decimal, part["a"].split(",")), strict=True):
            into[day] = get(day, zero) + amount


def state_of(parsed: dict[str, Any]) -> LotState | None:
    """The checkpoint in a parsed lots JSON, None when the segment keeps none."""
    raw = parsed.get("state")
    if raw is None:
        return None
    from_ordinal = date.fromordinal
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
    return LotState(
        CostBasisMethod(raw["method"]),
        tuple(lots),
        Decimal(raw["held"]),
        Decimal(raw["pool"]),
        Decimal(raw["realized"]),
        tuple(raw["applied"]),
    )


def decode_lots(text: str) -> SegmentLots:
    parsed = parse_lots(text)
    flows: dict[int, Decimal] = {}
    merge_raw_flows([parsed["flows"]], flows)
    return SegmentLots({date.fromordinal(d): a for d, a in flows.items()}, state_of(parsed))


def recent_priced(text: str, count: int) -> list[DayMove]:
    """The last ``count`` days with a price in a segment's summary JSON, oldest first."""
    data = json.loads(text)
    ordinals = data["d"]
    all_priced = data["pd"]
    if all_priced is None:  # every day is priced (a summary written with null)
        all_priced = ordinals
    priced = all_priced[-count:] if count > 0 else []
    if not priced:
        return []
    quantities, flows = data["q"].split(","), data["f"].split(",")
    prices = data["pv"].split(",")[-len(priced) :]
    out: list[DayMove] = []
    for ordinal, price in zip(priced, prices, strict=True):
        i = ordinals.index(ordinal)
        day = date.fromordinal(ordinal)
        out.append(DayMove(day, Decimal(quantities[i]), Decimal(flows[i]), Decimal(price)))
    return out
