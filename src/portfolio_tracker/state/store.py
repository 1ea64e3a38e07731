"""Stored segments of each asset's history (`db.models.AssetSegment`), kept up to date by every
transaction write in the write's own database transaction.

The rules (figures in engine.segments):

* An asset's segments are trusted only while ``assets.state_sequence`` equals
  ``assets.next_sequence``: a write that maintains them sets it to the sequence its lock took
  (``record_change``); any other write to the asset (an import, a corporate action, a change
  of method) bumps ``next_sequence`` without it, and the segments are then rebuilt from the
  transactions before use (``rebuild``).
* A write dated D recomputes only the segments holding D (their trades are read by one
  indexed range query) and marks the lot-dependent part (checkpoint, realised flows) of every
  segment from the first of them on as stale (``lots`` NULL). An append after the last trade
  updates the last segment's summary without reading any trade.
* The oversell check reads only the segment summaries (``engine.segments.
  first_short_segment``): an edit of an old trade checks the rest of the history without
  replaying it. The exact error (which sell, by how much) comes from replaying the one
  segment that fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import String, delete, select, update
from sqlalchemy import cast as sa_cast
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import type_coerce

from portfolio_tracker.assets.ledger import stored_trade
from portfolio_tracker.db.models import Asset, AssetSegment, Transaction
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.engine.lots import OversellError, Trade, trade_order_key
from portfolio_tracker.engine.methods import TradeRow
from portfolio_tracker.engine.money import ENGINE_CONTEXT
from portfolio_tracker.engine.segments import (
    DayMove,
    SegmentSummary,
    day_moves,
    extend_summary,
    first_short_segment,
    plan_segments,
    summarize_segment,
)
from portfolio_tracker.state.codec import (
    decode_days,
    decode_summary,
    encode_head,
    encode_summary,
)

SEGMENT_SIZE = 256  # trades per segment when segments are planned
SPLIT_AT = 2 * SEGMENT_SIZE  # a segment grown past this is planned again


@dataclass(slots=True)
class Segment:
    """One stored segment as read: its first day (for the first segment, any earlier day
    belongs to it too), summary, and whether its lots JSON is fresh (``lots_text``; None when
    stale). Its days are read on demand (``days``)."""

    asset_id: uuid.UUID
    start_day: date
    summary: SegmentSummary
    lots_text: str | None

    def days(self, db: Session) -> list[DayMove]:
        text = db.scalar(
            select(AssetSegment.summary).where(
                AssetSegment.asset_id == self.asset_id, AssetSegment.start_day == self.start_day
            )
        )
        return decode_days(text or "")


def load_segments(db: Session, asset_id: uuid.UUID) -> list[Segment]:
    """The asset's segments in day order (their heads: not their days)."""
    rows = db.execute(
        select(AssetSegment.start_day, AssetSegment.trades, AssetSegment.head, AssetSegment.lots)
        .where(AssetSegment.asset_id == asset_id)
        .order_by(AssetSegment.start_day)
    )
    return [
        Segment(asset_id, start, decode_summary(trades, head), lots)
        for start, trades, head, lots in rows
    ]


def trusted(db: Session, asset_id: uuid.UUID, sequence: int) -> bool:
    """Whether the asset's segments were last maintained at ``sequence``."""
    found = db.scalar(select(Asset.state_sequence).where(Asset.id == asset_id))
    return found == sequence


# --- trades as the state layer reads them ---------------------------------------------------


def _as_text(column: Any, sqlite: bool) -> Any:
    # SQLite keeps exact decimals, days and times as canonical text: parse them in C.
    return type_coerce(column, String) if sqlite else column


def _trades_query(
    asset_id: uuid.UUID, sqlite: bool, lo: date | None, hi: date | None, *tail: Any
) -> Select[Any]:
    """The asset's trades with ``lo <= day < hi`` in the order of trades: id (as text), kind,
    quantity, price, fee, day, then the ``tail`` columns (SQLite: values as stored text)."""
    query = select(
        sa_cast(Transaction.id, String),
        Transaction.type,
        _as_text(Transaction.quantity, sqlite),
        _as_text(Transaction.price_per_unit, sqlite),
        _as_text(Transaction.fee, sqlite),
        _as_text(Transaction.trade_date, sqlite),
        *tail,
    ).where(Transaction.asset_id == asset_id)
    if lo is not None:
        query = query.where(Transaction.trade_date >= lo)
    if hi is not None:
        query = query.where(Transaction.trade_date < hi)
    return query.order_by(*TRADE_ORDER)


def load_trades_between(
    db: Session, asset_id: uuid.UUID, lo: date | None = None, hi: date | None = None
) -> list[Trade]:
    """The asset's trades with ``lo <= day < hi`` (either bound optional), in the order of
    trades. Ids are the database's text of the UUID (``portfolio.loading.load_ledger``'s), the
    same text the checkpoints and allocations of this layer use."""
    conn = db.connection()
    sqlite = conn.dialect.name == "sqlite"
    tail = (_as_text(Transaction.trade_time, sqlite), Transaction.entry_number)
    rows = conn.execute(_trades_query(asset_id, sqlite, lo, hi, *tail)).all()
    return trades_of_rows(rows, sqlite)


def load_rows_between(
    db: Session, asset_id: uuid.UUID, lo: date | None = None, hi: date | None = None
) -> list[TradeRow]:
    """``load_trades_between`` as plain rows (id, kind, quantity, price, fee, day): what the
    FIFO row replay reads (``engine.methods.replay_fifo_rows``), converted by C-level maps."""
    conn = db.connection()
    sqlite = conn.dialect.name == "sqlite"
    query = _trades_query(asset_id, sqlite, lo, hi)
    rows = _sqlite_rows(conn, query) if sqlite else conn.execute(query).all()
    if not rows:
        return []
    ids, kinds, quantities, prices, fees, days = zip(*rows, strict=True)
    if not sqlite:
        return list(zip(ids, kinds, quantities, prices, fees, days, strict=True))
    parsed: dict[str, date] = {}

    def day_of(text: str) -> date:
        found = parsed.get(text)
        if found is None:
            found = parsed[text] = date.fromisoformat(text)
        return found

    return list(
        zip(
            ids,
            kinds,
            map(Decimal, quantities),
            map(Decimal, prices),
            map(Decimal, fees),
            map(day_of, days),
            strict=True,
        )
    )


def _sqlite_rows(conn: Connection, query: Select[Any]) -> list[Any]:
    """The rows of ``query`` from the DB-API cursor of the same connection (and transaction),
    without SQLAlchemy's per-row result objects: a 29,000-trade asset reads in about half the
    time. The SQL is SQLAlchemy's; the parameters are bound as SQLite stores them (a UUID as
    its 32 hex digits, a day as ISO text), which is what its column types would send."""
    compiled = query.compile(dialect=conn.dialect)
    names = compiled.positiontup or ()
    params = [_sqlite_param(compiled.params[name]) for name in names]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return list(cursor.execute(str(compiled), params).fetchall())
    finally:
        cursor.close()


def _sqlite_param(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, date):
        return value.isoformat()
    return value


def trades_of_rows(rows: Iterable[Sequence[Any]], sqlite: bool) -> list[Trade]:
    """Rows of (id, type, quantity, price, fee, day, time, entry) as Trades (SQLite: text)."""
    out: list[Trade] = []
    add = out.append
    if not sqlite:
        for tx_id, kind, quantity, price, fee, day, at, entry in rows:
            add(stored_trade(tx_id, kind, quantity, price, fee, day, entry, at))
        return out
    parse_day, parse_time = date.fromisoformat, time.fromisoformat
    day_text: str | None = None
    day_value = date.min
    for tx_id, kind, quantity, price, fee, day, at, entry in rows:
        if day != day_text:  # trades of one day share one date object
            day_text, day_value = day, parse_day(day)
        add(
            stored_trade(
                tx_id,
                kind,
                Decimal(quantity),
                Decimal(price),
                Decimal(fee),
                day_value,
                entry,
                None if at is None else parse_time(at),
            )
        )
    return out


# --- writing segments ------------------------------------------------------------------------


def _insert(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, chunk: list[Trade]) -> None:
    summary = summarize_segment(chunk)
    db.add(
        AssetSegment(
            asset_id=asset_id,
            start_day=chunk[0].day,
            user_id=user_id,
            trades=summary.trades,
            head=encode_head(summary),
            summary=encode_summary(day_moves(chunk)),
            lots=None,
        )
    )


def _write_planned(
    db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, ordered: list[Trade]
) -> None:
    starts = plan_segments(ordered, SEGMENT_SIZE)
    if not starts:
        return
    for a, b in zip(starts, [*starts[1:], len(ordered)], strict=True):
        _insert(db, user_id, asset_id, ordered[a:b])


def rebuild(db: Session, user_id: uuid.UUID, asset_id: uuid.UUID, sequence: int) -> None:
    """Replace the asset's segments by ones planned from its transactions, lots stale (the
    next read fills them), trusted at ``sequence``. In the caller's transaction, which holds
    the asset's lock or checked its sequence."""
    db.execute(delete(AssetSegment).where(AssetSegment.asset_id == asset_id))
    _write_planned(db, user_id, asset_id, load_trades_between(db, asset_id))
    db.flush()
    _trust(db, asset_id, sequence)


def _trust(db: Session, asset_id: uuid.UUID, sequence: int) -> None:
    db.execute(
        update(Asset)
        .where(Asset.id == asset_id)
        .values(state_sequence=sequence, updated_at=Asset.updated_at)
    )


def _owner(segments: list[Segment], day: date) -> int:
    """Index of the segment holding ``day`` (the first holds every day before the second)."""
    index = 0
    for i, s in enumerate(segments):
        if s.start_day <= day:
            index = i
        else:
            break
    return index


def record_change(
    db: Session,
    user_id: uuid.UUID,
    asset_id: uuid.UUID,
    sequence: int,
    days: Iterable[date],
    appended: Trade | None = None,
    *,
    check: bool = True,
) -> None:
    """Bring the asset's segments up to date with a write already flushed in ``db``: the
    write touched the calendar ``days`` (a move: both days), or appended ``appended`` after
    every other trade. ``sequence`` is the one the write's ``lock_asset`` returned.

    With ``check``, raises OversellError (the first sell of the history, in the order of
    trades, that would exceed what is held) when the history no longer holds; the caller
    rolls back. Pass ``check=False`` when the caller has replayed the history itself (an
    asset with corporate actions, whose rescaled quantities the summaries cannot add up).
    """
    touched = sorted(set(days))
    segments = load_segments(db, asset_id) if trusted(db, asset_id, sequence - 1) else None
    if segments is None or not segments:
        rebuild(db, user_id, asset_id, sequence)
        segments = load_segments(db, asset_id)
    elif appended is not None and _appends(segments[-1], appended):
        if _append(db, asset_id, segments, appended):
            segments = load_segments(db, asset_id)  # planned again: read what was written
    else:
        _recompute(db, user_id, asset_id, segments, touched)
        segments = load_segments(db, asset_id)
    _trust(db, asset_id, sequence)
    if check:
        _check(db, asset_id, segments)


def _appends(last: Segment, trade: Trade) -> bool:
    end = last.summary.last
    return end is None or trade_order_key(trade) > end


def _append(db: Session, asset_id: uuid.UUID, segments: list[Segment], trade: Trade) -> bool:
    """O(1) in the history's length: the last segment's summary and last day are extended
    (``segments[-1]`` with them). True when the last segment grew past SPLIT_AT and was
    planned again from its trades instead: the caller reads the segments anew."""
    last = segments[-1]
    summary = extend_summary(last.summary, trade)
    days = last.days(db)
    move = day_moves([trade])[0]
    if days and days[-1].day == trade.day:
        prev = days[-1]
        days[-1] = DayMove(
            prev.day,
            prev.quantity + move.quantity,
            prev.flow + move.flow,
            move.price if move.price is not None else prev.price,
        )
    else:
        days.append(move)
    if summary.trades > SPLIT_AT:
        # Planned again from its trades (rare: once per SEGMENT_SIZE appends).
        db.execute(
            delete(AssetSegment).where(
                AssetSegment.asset_id == asset_id, AssetSegment.start_day == last.start_day
            )
        )
        lo = last.start_day if len(segments) > 1 else None
        owner_id = db.scalar(select(Asset.user_id).where(Asset.id == asset_id))
        assert owner_id is not None
        _write_planned(db, owner_id, asset_id, load_trades_between(db, asset_id, lo))
        db.flush()
        return True
    db.execute(
        update(AssetSegment)
        .where(AssetSegment.asset_id == asset_id, AssetSegment.start_day == last.start_day)
        .values(
            trades=summary.trades,
            head=encode_head(summary),
            summary=encode_summary(days),
            lots=None,
        )
    )
    last.summary = summary
    return False


def _recompute(
    db: Session,
    user_id: uuid.UUID,
    asset_id: uuid.UUID,
    segments: list[Segment],
    touched: list[date],
) -> None:
    """Recompute the segments holding ``touched`` days from their trades; mark the lots of
    every segment from the first of them on as stale."""
    owners = sorted({_owner(segments, day) for day in touched})
    for i in owners:
        lo = segments[i].start_day if i else None
        hi = segments[i + 1].start_day if i + 1 < len(segments) else None
        db.execute(
            delete(AssetSegment).where(
                AssetSegment.asset_id == asset_id,
                AssetSegment.start_day == segments[i].start_day,
            )
        )
        db.flush()
        trades = load_trades_between(db, asset_id, lo, hi)
        if not trades:
            continue
        if len(trades) > SPLIT_AT:
            _write_planned(db, user_id, asset_id, trades)
        else:
            _insert(db, user_id, asset_id, trades)
    db.flush()
    if owners:
        first = owners[0]
        stale_from = segments[first].start_day if first else date.min
        db.execute(
            update(AssetSegment)
            .where(AssetSegment.asset_id == asset_id, AssetSegment.start_day >= stale_from)
            .values(lots=None)
        )


def _check(db: Session, asset_id: uuid.UUID, segments: list[Segment]) -> None:
    short = first_short_segment(s.summary for s in segments)
    if short is None:
        return
    index, held = short
    lo = segments[index].start_day if index else None
    hi = segments[index + 1].start_day if index + 1 < len(segments) else None
    # The error path: the segment's trades with their ids as the API shows them.
    rows = db.execute(
        select(
            Transaction.id,
            Transaction.type,
            Transaction.quantity,
            Transaction.trade_date,
        )
        .where(
            Transaction.asset_id == asset_id,
            *([Transaction.trade_date >= lo] if lo is not None else []),
            *([Transaction.trade_date < hi] if hi is not None else []),
        )
        .order_by(*TRADE_ORDER)
    )
    with localcontext(ENGINE_CONTEXT):
        for tx_id, kind, quantity, day in rows:
            if kind == "buy":
                held += quantity
            elif quantity > held:
                raise OversellError(str(tx_id), day, quantity, held)
            else:
                held -= quantity
    raise AssertionError("a segment summary disagrees with its trades")  # pragma: no cover


def segment_bounds(segments: Sequence[Segment], index: int) -> tuple[date | None, date | None]:
    """The day range [lo, hi) of a segment (None: unbounded)."""
    lo = segments[index].start_day if index else None
    hi = segments[index + 1].start_day if index + 1 < len(segments) else None
    return lo, hi
