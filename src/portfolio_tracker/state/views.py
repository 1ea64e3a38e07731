"""An asset's figures from its stored segments: the engine's checkpoint, the trades after it
and the segments' summaries, instead of a replay of the whole history.

``asset_figures`` is what the portfolio summary and history read. Per asset:

1. In this process's cache, by the asset's ``next_sequence`` (a write anywhere bumps it, so
   an answer is never older than the data it was read with).
2. Otherwise from the segments: the last fresh checkpoint, the realised flows of the segments
   up to it, and a replay of the trades after it only (after an append: the last segment's).
   What the replay learns (flows and checkpoints of the stale segments) is written back by a
   background thread, guarded by the sequence, so no reader ever waits on a write and a
   write-back never overwrites a newer change.
3. Segments not trusted (``store.trusted``): a replay of the whole history, and the
   segments are rebuilt in the background the same way.

The figures equal a full replay of the transactions: tests/state/test_incremental.py.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import Basis
from portfolio_tracker.db.models import Asset, AssetSegment
from portfolio_tracker.engine.lots import Realization, Trade
from portfolio_tracker.engine.methods import (
    LotsResult,
    LotState,
    TradeRow,
    replay_fifo_rows,
    replay_lots,
)
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.segments import (
    DayMove,
    DaySeries,
    day_moves,
    plan_segments,
    realized_flows,
    summarize_segment,
)
from portfolio_tracker.engine.vocabulary import CostBasisMethod
from portfolio_tracker.state.codec import (
    decode_days_into,
    encode_head,
    encode_lots,
    encode_summary,
    first_day,
    merge_raw_flows,
    parse_lots,
    recent_priced,
    state_marker,
    state_of,
)
from portfolio_tracker.state.store import (
    SEGMENT_SIZE,
    load_rows_between,
    load_trades_between,
)

log = logging.getLogger(__name__)
_ZERO = Decimal(0)

# The last few days with a priced trade, for the summary's price (today's and yesterday's
# observation are among the last two days at or before today; one more covers a trade dated
# after today in the user's time zone).
RECENT_PRICED_DAYS = 3


@dataclass(frozen=True, slots=True)
class AssetFigures:
    """One asset after every trade: its lots (``LotsResult`` with corporate actions applied;
    ``realizations`` left empty, see ``flows``), its realised P&L by day (``flows()``, from
    ``flow_parts``: parsed JSON lists and the replay's dicts, merged at first use), the JSON
    of its segments' day moves (``moves()`` decodes them) and its last few priced trade days.
    ``memo`` keeps what readers derive from these (e.g. the realised P&L in a currency)."""

    sequence: int
    lots: LotsResult
    flow_parts: tuple[str | dict[date, Decimal], ...]  # lots JSON texts or replayed flows
    days_texts: tuple[str, ...]
    recent_prices: tuple[DayMove, ...]
    first_day: date | None
    memo: dict[Hashable, Any] = field(default_factory=dict)

    def flows(self) -> dict[date, Decimal]:
        """Realised P&L by calendar day (``engine.segments.realized_flows``)."""
        found: dict[date, Decimal] | None = self.memo.get("flows")
        if found is None:
            by_ordinal: dict[int, Decimal] = {}
            with localcontext(ENGINE_CONTEXT):
                texts = [p for p in self.flow_parts if isinstance(p, str)]
                merge_raw_flows([parse_lots(t)["flows"] for t in texts], by_ordinal)
                for part in self.flow_parts:
                    if isinstance(part, dict):
                        for day, amount in part.items():
                            key = day.toordinal()
                            by_ordinal[key] = by_ordinal.get(key, _ZERO) + amount
            found = {date.fromordinal(d): a for d, a in by_ordinal.items()}
            self.memo["flows"] = found
        return found

    def days(self) -> DaySeries:
        """Every day move, as parallel lists (``engine.segments.DaySeries``)."""
        return days_series(self.days_texts)


@dataclass(frozen=True, slots=True)
class AssetRef:
    """What the reader knows of an asset: its id, id text (the ledger's key), sequences."""

    id: uuid.UUID
    key: str
    next_sequence: int
    state_sequence: int | None


class FiguresCache:
    """This process's figures, by asset id; a thread-safe LRU (sync routes run on a pool)."""

    def __init__(self, max_entries: int = 4096, part_entries: int = 65536) -> None:
        self._max = max_entries
        self._items: OrderedDict[uuid.UUID, AssetFigures] = OrderedDict()
        self._lock = threading.Lock()
        # What readers derive from one stored segment's lots JSON (e.g. its realised P&L in
        # a currency at given rates), by a digest of that text: it survives writes to other
        # segments of the asset, which make new figures but leave the text as it was.
        self._part_max = part_entries
        self._parts: OrderedDict[Hashable, Any] = OrderedDict()

    def part_get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._parts.get(key)
            if found is not None:
                self._parts.move_to_end(key)
            return found

    def part_set(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._parts[key] = value
            while len(self._parts) > self._part_max:
                self._parts.popitem(last=False)

    def get(self, asset_id: uuid.UUID, sequence: int) -> AssetFigures | None:
        with self._lock:
            found = self._items.get(asset_id)
            if found is None or found.sequence != sequence:
                return None
            self._items.move_to_end(asset_id)
            return found

    def set(self, asset_id: uuid.UUID, figures: AssetFigures) -> None:
        with self._lock:
            held = self._items.get(asset_id)
            if held is not None and held.sequence > figures.sequence:
                return  # a slower reader of an older state
            self._items[asset_id] = figures
            self._items.move_to_end(asset_id)
            while len(self._items) > self._max:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._parts.clear()


def text_digest(text: str) -> bytes:
    """A collision-resistant key for a stored JSON text (``FiguresCache.part_get``)."""
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def flows_of_text(text: str) -> dict[date, Decimal]:
    """The realised flows in one segment's lots JSON, by day."""
    by_ordinal: dict[int, Decimal] = {}
    with localcontext(ENGINE_CONTEXT):
        merge_raw_flows([parse_lots(text)["flows"]], by_ordinal)
    return {date.fromordinal(d): a for d, a in by_ordinal.items()}


def asset_refs(db: Session, user_id: uuid.UUID) -> dict[str, AssetRef]:
    """The user's assets' sequences, by the ledger's asset key (``str(id)``)."""
    rows = db.execute(
        select(Asset.id, Asset.next_sequence, Asset.state_sequence).where(Asset.user_id == user_id)
    )
    return {str(i): AssetRef(i, str(i), n, s) for i, n, s in rows}


def asset_figures(
    db: Session,
    refs: Iterable[AssetRef],
    bases: Mapping[str, Basis],
    cache: FiguresCache,
    writer: WriteBack | None = None,
) -> dict[str, AssetFigures]:
    """Each asset's figures (module doc). ``bases``: the assets' methods, actions and
    allocations with ids as the ledger reads them (``portfolio.loading.load_bases``; absent:
    FIFO). Raises what the engine raises for a history that does not replay."""
    out: dict[str, AssetFigures] = {}
    missing: list[AssetRef] = []
    for ref in refs:
        found = cache.get(ref.id, ref.next_sequence)
        if found is None:
            missing.append(ref)
        else:
            out[ref.key] = found
    if not missing:
        return out
    segments = _segments_of(db, [r.id for r in missing if r.state_sequence == r.next_sequence])
    with collector_paused():
        _compute(db, missing, bases, cache, writer, segments, out)
    return out


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reading and replaying a long history (or its day moves and prices) makes many objects
    and no reference cycle: the collector's full passes over them would free nothing (as in
    engine.lots.run_fifo), and one costs 100-200 ms over a large portfolio. Nesting is
    safe: only the outermost re-enables it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compute(
    db: Session,
    missing: list[AssetRef],
    bases: Mapping[str, Basis],
    cache: FiguresCache,
    writer: WriteBack | None,
    segments: dict[uuid.UUID, list[_Row]],
    out: dict[str, AssetFigures],
) -> None:
    for ref in missing:
        basis = bases.get(ref.key) or _FIFO
        figures = None
        if ref.state_sequence == ref.next_sequence:
            try:
                figures, lots_out = _from_segments(db, ref, basis, segments.get(ref.id, []))
            except ValueError:  # a checkpoint that does not fit: replay from the start
                log.warning("stale checkpoint of asset %s; replaying its history", ref.id)
            else:
                if lots_out and writer is not None:
                    writer.submit_lots(ref.id, ref.next_sequence, lots_out)
        if figures is None:
            figures, rows = _from_scratch(db, ref, basis)
            if writer is not None:
                writer.submit_rebuild(ref.id, ref.next_sequence, rows)
        cache.set(ref.id, figures)
        out[ref.key] = figures


_FIFO = Basis()


# A segment to store: (start day, trade count, head JSON, days JSON, lots JSON).
SegmentRow = tuple[date, int, str, str, str]


@dataclass(slots=True)
class _Row:
    start_day: date
    trades: int
    summary: str
    lots: str | None


def stored_days(
    db: Session,
    refs: Iterable[AssetRef],
    bases: Mapping[str, Basis],
    cache: FiguresCache,
    writer: WriteBack | None = None,
) -> dict[str, tuple[str, ...]]:
    """Each asset's day moves (its segments' days JSON, in day order; ``days_series``
    decodes them) without its lots: what the daily value history reads. From this process's
    figures when they are current, else one query over the trusted assets' segments; an
    asset whose segments are not trusted gets its figures (``asset_figures``) first."""
    out: dict[str, tuple[str, ...]] = {}
    query: list[AssetRef] = []
    rebuild: list[AssetRef] = []
    for ref in refs:
        found = cache.get(ref.id, ref.next_sequence)
        if found is not None:
            out[ref.key] = found.days_texts
        elif ref.state_sequence == ref.next_sequence:
            query.append(ref)
        else:
            rebuild.append(ref)
    if query:
        keys = {r.id: r.key for r in query}
        texts: dict[str, list[str]] = {r.key: [] for r in query}
        rows = db.execute(
            select(AssetSegment.asset_id, AssetSegment.summary)
            .where(AssetSegment.asset_id.in_(list(keys)))
            .order_by(AssetSegment.asset_id, AssetSegment.start_day)
        )
        for asset_id, summary in rows:
            texts[keys[asset_id]].append(summary)
        out.update({key: tuple(found) for key, found in texts.items()})
    if rebuild:
        figures = asset_figures(db, rebuild, bases, cache, writer)
        out.update({key: f.days_texts for key, f in figures.items()})
    return out


def days_series(texts: Iterable[str]) -> DaySeries:
    """Day moves from segments' days JSON (``AssetFigures.days``)."""
    out = DaySeries.empty()
    for text in texts:
        decode_days_into(text, out)
    return out


def _segments_of(db: Session, asset_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[_Row]]:
    found: dict[uuid.UUID, list[_Row]] = {}
    if not asset_ids:
        return found
    rows = db.execute(
        select(
            AssetSegment.asset_id,
            AssetSegment.start_day,
            AssetSegment.trades,
            AssetSegment.summary,
            AssetSegment.lots,
        )
        .where(AssetSegment.asset_id.in_(asset_ids))
        .order_by(AssetSegment.asset_id, AssetSegment.start_day)
    )
    for asset_id, start, trades, summary, lots in rows:
        found.setdefault(asset_id, []).append(_Row(start, trades, summary, lots))
    return found


def _recent(moves: Iterable[DayMove]) -> tuple[DayMove, ...]:
    priced = [m for m in moves if m.price is not None]
    return tuple(priced[-RECENT_PRICED_DAYS:])


def _recent_of_rows(rows: Sequence[_Row]) -> tuple[DayMove, ...]:
    out: list[DayMove] = []
    for row in reversed(rows):
        out = recent_priced(row.summary, RECENT_PRICED_DAYS - len(out)) + out
        if len(out) >= RECENT_PRICED_DAYS:
            break
    return tuple(out)


def _keep_state(since: int, state: LotState, last: bool) -> bool:
    """Whether a segment keeps its checkpoint: the last one always; others once at least
    max(SEGMENT_SIZE, open lots) trades have passed since the previous kept one, so that the
    checkpoints of an asset never hold more lots in all than it has trades."""
    return last or since >= max(SEGMENT_SIZE, len(state.lots))


def _fifo_like(basis: Basis) -> bool:
    """Whether the asset matches as plain FIFO (the fast row replay applies)."""
    method = CostBasisMethod(basis.method)
    return not basis.actions and (
        method == CostBasisMethod.fifo
        or (method == CostBasisMethod.specific and not basis.allocations)
    )


Segmented = tuple[LotsResult, list[tuple[dict[date, Decimal], LotState | None]]]


def _replay_segments(
    tail: list[Trade] | list[TradeRow],
    days: list[date],
    bounds: list[int],
    basis: Basis,
    start: LotState | None,
) -> Segmented:
    """Replay ``tail`` (trades, or rows when ``_fifo_like``; their ``days``) cut into segments
    at ``bounds`` (each segment's first index, ascending) from ``start``: the figures, and
    each segment's realised flows and kept checkpoint."""
    ends = [b - 1 for b in bounds[1:]] + [len(tail) - 1]
    if _fifo_like(basis):
        fast = replay_fifo_rows(tail, basis.method, start=start, marks=ends)  # type: ignore[arg-type]
        flows = list(fast.flows[: len(ends)])
        states = fast.snapshots
        result = fast.result
    else:
        trades: list[Trade] = tail  # type: ignore[assignment]
        replay = replay_lots(
            trades,
            basis.method,
            actions=basis.actions,
            allocations=basis.allocations,
            start=start,
            marks=ends,
        )
        states = dict(replay.snapshots)
        segment_of_sell = {}
        k = 0
        for i, t in enumerate(trades):
            while i > ends[k]:
                k += 1
            if t.kind == "sell":
                segment_of_sell[t.id] = k
        mine: list[list[Realization]] = [[] for _ in ends]
        for r in replay.result.realizations:
            mine[segment_of_sell[r.sell_id]].append(r)
        flows = [realized_flows(m) for m in mine]
        result = replace(replay.result, realizations=())
    per_segment: list[tuple[dict[date, Decimal], LotState | None]] = []
    since = 0
    for k, end in enumerate(ends):
        since += end - (ends[k - 1] if k else -1)
        state = states[end]
        kept = _keep_state(since, state, k == len(ends) - 1)
        if kept:
            since = 0
        per_segment.append((flows[k], state if kept else None))
    del days
    return result, per_segment


def _load_tail(
    db: Session, ref: AssetRef, basis: Basis, lo: date | None
) -> tuple[list[Trade] | list[TradeRow], list[date]]:
    """The asset's trades from ``lo`` on: plain rows when it matches as FIFO, else Trades;
    and each one's day."""
    if _fifo_like(basis):
        rows = load_rows_between(db, ref.id, lo)
        return rows, [r[5] for r in rows]
    trades = load_trades_between(db, ref.id, lo)
    return trades, [t.day for t in trades]


LotsToWrite = tuple[dict[date, Decimal], LotState | None]  # encoded by the writer


def _from_segments(
    db: Session, ref: AssetRef, basis: Basis, rows: list[_Row]
) -> tuple[AssetFigures, dict[date, LotsToWrite]]:
    """Figures from trusted segments; the lots JSON to write back, by segment start."""
    resume = -1  # index of the segment whose checkpoint the replay starts from
    # Only the checkpoint to resume from is parsed now; the flows texts are parsed when a
    # reader needs them in another currency (AssetFigures.flows).
    marker = state_marker(CostBasisMethod(basis.method))
    valid = 0
    for i, row in enumerate(rows):
        if row.lots is None:
            break
        valid = i + 1
        if marker in row.lots:
            resume = i
    state = state_of(parse_lots(rows[resume].lots or "")) if resume >= 0 else None
    parts: list[str | dict[date, Decimal]] = [r.lots or "" for r in rows[: resume + 1]]
    del valid
    lo = rows[resume + 1].start_day if resume + 1 < len(rows) and resume >= 0 else None
    tail, days = _load_tail(db, ref, basis, lo) if resume + 1 < len(rows) else ([], [])
    to_write: dict[date, LotsToWrite] = {}
    if tail:
        bounds = _bounds(days, [r.start_day for r in rows[resume + 1 :]])
        result, per_segment = _replay_segments(tail, days, bounds, basis, state)
        for row, (seg_flows, seg_state) in zip(rows[resume + 1 :], per_segment, strict=True):
            parts.append(seg_flows)
            if row.lots is None or seg_state is not None:
                to_write[row.start_day] = (seg_flows, seg_state)
    else:
        result = replay_lots(
            [],
            basis.method,
            actions=basis.actions,
            allocations=basis.allocations,
            start=state,
        ).result
    first = first_day(rows[0].summary) if rows else None
    figures = AssetFigures(
        ref.next_sequence,
        replace(result, realizations=()),
        tuple(parts),
        tuple(r.summary for r in rows),
        _recent_of_rows(rows),
        first,
    )
    return figures, to_write


def _bounds(days: list[date], starts: list[date]) -> list[int]:
    """Index in ``days`` (the tail's, ascending) of each segment's first trade (segments
    start on ``starts``; the first one at index 0)."""
    out = []
    i = 0
    for k, start in enumerate(starts):
        if k == 0:
            out.append(0)
            continue
        while i < len(days) and days[i] < start:
            i += 1
        out.append(i)
    return out


def _from_scratch(
    db: Session, ref: AssetRef, basis: Basis
) -> tuple[AssetFigures, list[SegmentRow]]:
    """Figures from every trade, and the segment rows to store (``SegmentRow``). (A rebuild:
    rare, so the segments are encoded here.)"""
    trades = load_trades_between(db, ref.id)
    starts = plan_segments(trades, SEGMENT_SIZE)
    rows: list[SegmentRow] = []
    if not trades:
        result = replay_lots([], basis.method, actions=basis.actions).result
        figures = AssetFigures(ref.next_sequence, result, (), (), (), None)
        return figures, rows
    days = [t.day for t in trades]
    tail: list[Trade] | list[TradeRow] = trades
    if _fifo_like(basis):
        tail = [(t.id, str(t.kind), t.quantity, t.price_per_unit, t.fee, t.day) for t in trades]
    result, per_segment = _replay_segments(tail, days, starts, basis, None)
    summaries: list[str] = []
    heads: list[str] = []
    for a, b in zip(starts, [*starts[1:], len(trades)], strict=True):
        chunk = trades[a:b]
        summary = summarize_segment(chunk)
        heads.append(encode_head(summary))
        summaries.append(encode_summary(day_moves(chunk)))
    for k, (seg_flows, seg_state) in enumerate(per_segment):
        a = starts[k]
        b = starts[k + 1] if k + 1 < len(starts) else len(trades)
        lots = encode_lots(seg_flows, seg_state)
        rows.append((trades[a].day, b - a, heads[k], summaries[k], lots))
    figures = AssetFigures(
        ref.next_sequence,
        result,
        tuple(f for f, _ in per_segment),
        tuple(summaries),
        _recent(day_moves(trades)),
        trades[0].day,
    )
    return figures, rows


# --- write-back -----------------------------------------------------------------------------


WRITE_BACK_DELAY_S = 0.1


class WriteBack:
    """Writes what readers learned (module doc) on one background thread, each write in its
    own transaction, guarded: only while the asset's ``next_sequence`` is still the one the
    reader read at, which the same statement locks until commit.

    Jobs are batched: a batch starts ``WRITE_BACK_DELAY_S`` after its first job, so that the
    request that produced it and the reads right after it are not slowed by the encoding
    and the write; a newer job for an asset replaces an older one still waiting (only the
    newest sequence can pass the guard)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="state-write-back")
        self._jobs: dict[uuid.UUID, Callable[[], None]] = {}
        self._scheduled = False
        self._lock = threading.Lock()

    def submit_lots(
        self, asset_id: uuid.UUID, sequence: int, lots: dict[date, LotsToWrite]
    ) -> None:
        self._submit(asset_id, lambda: self._write_lots(asset_id, sequence, lots))

    def submit_rebuild(self, asset_id: uuid.UUID, sequence: int, rows: list[SegmentRow]) -> None:
        self._submit(asset_id, lambda: self._write_rebuild(asset_id, sequence, rows))

    def _submit(self, asset_id: uuid.UUID, job: Callable[[], None]) -> None:
        with self._lock:
            self._jobs[asset_id] = job
            if self._scheduled:
                return
            self._scheduled = True
        self._pool.submit(self._batch)

    def _batch(self) -> None:
        time.sleep(WRITE_BACK_DELAY_S)
        with self._lock:
            jobs, self._jobs, self._scheduled = self._jobs, {}, False
        for job in jobs.values():
            try:
                job()
            except Exception:  # a cache write: never fatal
                log.warning("state write-back failed", exc_info=True)

    def drain(self) -> None:
        """Wait for every queued write-back (tests, shutdown)."""
        self._pool.submit(lambda: None).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _guard(self, db: Session, asset_id: uuid.UUID, sequence: int, *, rebuild: bool) -> bool:
        condition = [Asset.id == asset_id, Asset.next_sequence == sequence]
        if not rebuild:
            condition.append(Asset.state_sequence == sequence)
        done = db.execute(
            update(Asset)
            .where(and_(*condition))
            .values(state_sequence=sequence, updated_at=Asset.updated_at)
        )
        return bool(getattr(done, "rowcount", 0))

    def _write_lots(
        self, asset_id: uuid.UUID, sequence: int, lots: dict[date, LotsToWrite]
    ) -> None:
        texts = {start: encode_lots(flows, state) for start, (flows, state) in lots.items()}
        with Session(self._engine) as db:
            if not self._guard(db, asset_id, sequence, rebuild=False):
                return
            for start, text in texts.items():
                db.execute(
                    update(AssetSegment)
                    .where(AssetSegment.asset_id == asset_id, AssetSegment.start_day == start)
                    .values(lots=text)
                )
            db.commit()

    def _write_rebuild(self, asset_id: uuid.UUID, sequence: int, rows: list[SegmentRow]) -> None:
        with Session(self._engine) as db:
            if store_rebuild(db, asset_id, sequence, rows):
                db.commit()


def rebuild_rows(db: Session, ref: AssetRef, basis: Basis) -> tuple[AssetFigures, list[SegmentRow]]:
    """The asset's figures and segment rows (``SegmentRow``) from every one of its
    transactions (``portfolio-tracker rebuild-state``)."""
    return _from_scratch(db, ref, basis)


def store_rebuild(db: Session, asset_id: uuid.UUID, sequence: int, rows: list[SegmentRow]) -> bool:
    """Replace the asset's segments by ``rows`` and trust them at ``sequence``, in the
    caller's transaction, only if the asset's ``next_sequence`` is still ``sequence`` (the
    statement that checks it locks the asset until commit); False, writing nothing, when a
    write came in between."""
    done = db.execute(
        update(Asset)
        .where(Asset.id == asset_id, Asset.next_sequence == sequence)
        .values(state_sequence=sequence, updated_at=Asset.updated_at)
    )
    if not getattr(done, "rowcount", 0):
        return False
    user_id = db.scalar(select(Asset.user_id).where(Asset.id == asset_id))
    db.execute(delete(AssetSegment).where(AssetSegment.asset_id == asset_id))
    for start, trades, head, summary, lots in rows:
        db.add(
            AssetSegment(
                asset_id=asset_id,
                start_day=start,
                user_id=user_id,
                trades=trades,
                head=head,
                summary=summary,
                lots=lots,
            )
        )
    db.flush()
    return True
