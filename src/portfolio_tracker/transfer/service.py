"""Importing a transactions CSV (all or nothing) and exporting the transactions back out.

An import is validated as a whole before anything is written:
1. every row with the API's own schemas (`AssetCreate` for the asset columns, once per
   distinct asset; `TransactionCreate` for the trade columns), so a row is refused exactly
   when POST /api/assets or POST /api/transactions would refuse it;
2. the asset of each row is matched by (name, type, ticker) to the user's assets, else
   created; cells given for a matched asset must agree with it;
3. the history-validity rule, once per asset over its recorded and imported trades together,
   in the order of trades (`engine.methods.check_lots`, under the asset's method and
   corporate actions; the imported rows are entered after the recorded trades, in file
   order, so rows with the same date and time keep that order).
Then the rows go in with Core bulk inserts in the request's one database transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from portfolio_tracker.api.types import (
    plain_non_negative_decimal,
    plain_positive_decimal,
    plain_trade_date,
)
from portfolio_tracker.assets.ledger import (
    Basis,
    load_basis,
    load_trades,
    lock_asset,
    reserve_entry_numbers,
    stored_trade,
)
from portfolio_tracker.assets.schemas import AssetCreate
from portfolio_tracker.db.bulk import BulkInsert
from portfolio_tracker.db.models import Asset, Transaction, User, utcnow
from portfolio_tracker.db.trade_order import TRADE_ORDER
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.engine.dates import TradeDate, as_given, trade_date_of, user_today
from portfolio_tracker.engine.lots import OversellError
from portfolio_tracker.engine.methods import AllocationError
from portfolio_tracker.engine.money import to_plain_str
from portfolio_tracker.errors import Conflict, InvalidInput, NotFound
from portfolio_tracker.prices.sources import PriceSource
from portfolio_tracker.transactions.csv_io import (
    ASSET_COLUMNS,
    HEADER_ROW,
    TRADE_COLUMNS,
    CsvProblem,
    read_csv,
    write_csv,
)
from portfolio_tracker.transactions.schemas import TransactionCreate
from portfolio_tracker.usersettings.service import not_after_today, user_time_zone

MAX_ERRORS = 1000  # a report lists at most this many problems; error_count has them all
_INSERT_CHUNK = 20_000
# TransactionCreate wants an asset id; the row's asset is resolved separately.
_NO_ASSET = uuid.UUID(int=0)
_NOTE_LENGTH = 1000  # TransactionCreate.note's limit
# Asset columns → AssetCreate fields (and back, for error locations).
_ASSET_FIELD = {column: column for column in ASSET_COLUMNS} | {
    "asset_name": "name",
    "asset_type": "type",
}
_ASSET_COLUMN = {model_field: column for column, model_field in _ASSET_FIELD.items()}
# Attributes that do not identify an asset but must agree wherever it is mentioned.
_ATTRIBUTES = ("currency", "unit", "fineness", "price_source")

AssetKey = tuple[str, str, str | None]  # (name, type, ticker): how rows find their asset
# A row's date before it is placed in the user's zone.
_NO_DATE = TradeDate(date(1900, 1, 1))


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, in a dry run or when refused, would have done).

    `errors` lists at most MAX_ERRORS problems, by row; `error_count` counts them all.
    `created_assets` and `first_day` let the caller fetch prices in the background."""

    rows: int = 0
    assets_created: int = 0
    transactions: int = 0
    errors: list[CsvProblem] = field(default_factory=list)
    error_count: int = 0
    created_assets: list[uuid.UUID] = field(default_factory=list)
    first_day: dict[uuid.UUID, date] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


@dataclass(slots=True)
class _Row:
    """A valid row's trade: decimals exact, the date as given (a date, or an aware date-time)
    and, once placed in the user's time zone, `when`; `ordinal` is its place among the
    file's valid rows (it orders equal dates, as the entry order does)."""

    number: int
    kind: str
    quantity: Decimal
    price_per_unit: Decimal
    fee: Decimal
    given: date | datetime
    note: str | None
    when: TradeDate = _NO_DATE
    ordinal: int = 0


@dataclass(frozen=True, slots=True)
class _Calendar:
    """The importing user's time zone and today: where a trade's date is placed."""

    zone: tzinfo
    today: date


@dataclass(slots=True)
class _Target:
    """One asset the file writes to: a recorded one (`existing`) or one to create."""

    name: str
    asset: AssetCreate | None  # None for a recorded asset
    attributes: dict[str, object]  # currency, unit, fineness, price_source
    first_row: int = 0  # the row that defines a new asset
    rows: list[_Row] = field(default_factory=list)
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    existing: bool = False
    refused: bool = False  # some row of it has a problem: its history is not checked


@dataclass(frozen=True, slots=True)
class _AssetCells:
    """The asset columns of a row, validated (once per distinct set of cells)."""

    asset: AssetCreate
    key: AssetKey
    given: frozenset[str]  # the attributes the cells name (others take their defaults)
    attributes: dict[str, object]


def _problems(exc: ValidationError, row: int, column_of: Mapping[str, str]) -> list[CsvProblem]:
    out = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else None
        out.append(CsvProblem(row, column_of.get(name, name) if name else None, error["msg"]))
    return out


def _trade_of(cells: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {c: cells[c] for c in TRADE_COLUMNS if c in cells}
    body["asset_id"] = _NO_ASSET
    return body


def _plain_trade(number: int, cells: Mapping[str, str]) -> _Row | None:
    """The row's trade when every cell has the plainest shape (what an export writes), built
    without the validator round trip; None sends the row through `TransactionCreate`."""
    kind = cells.get("type")
    if kind != "buy" and kind != "sell":
        return None
    quantity = plain_positive_decimal(cells.get("quantity", ""))
    price = plain_non_negative_decimal(cells.get("price_per_unit", ""))
    fee_text = cells.get("fee")
    fee = Decimal(0) if fee_text is None else plain_non_negative_decimal(fee_text)
    given = plain_trade_date(cells.get("transaction_date", ""))
    note = cells.get("note")
    if quantity is None or price is None or fee is None or given is None:
        return None
    if note is not None and len(note) > _NOTE_LENGTH:
        return None
    return _Row(number, kind, quantity, price, fee, given, note)


def _trade(number: int, cells: Mapping[str, str], calendar: _Calendar) -> _Row | list[CsvProblem]:
    """The row's trade, validated exactly as POST /api/transactions validates a body (its
    date placed in the user's zone and refused after their today)."""
    row = _plain_trade(number, cells)
    if row is None:
        try:
            body = TransactionCreate.model_validate(_trade_of(cells))
        except ValidationError as exc:
            return _problems(exc, number, {})
        row = _Row(
            number,
            body.type.value,
            body.quantity,
            body.price_per_unit,
            body.fee,
            body.transaction_date,
            body.note,
        )
    row.when = trade_date_of(row.given, calendar.zone)
    if row.when.day > calendar.today:
        try:
            not_after_today(row.when.day, calendar.zone, ["transaction_date"])
        except InvalidInput as exc:  # the API's own message
            return [CsvProblem(number, "transaction_date", exc.detail)]
    return row


def _asset_cells(number: int, cells: Mapping[str, str]) -> _AssetCells | list[CsvProblem]:
    body = {_ASSET_FIELD[c]: cells[c] for c in ASSET_COLUMNS if c in cells}
    try:
        asset = AssetCreate.model_validate(body)
    except ValidationError as exc:
        return _problems(exc, number, _ASSET_COLUMN)
    key = (asset.name, asset.type.value, asset.ticker_symbol)
    return _AssetCells(asset, key, frozenset(body) & set(_ATTRIBUTES), _attributes(asset))


def _attributes(asset: AssetCreate) -> dict[str, object]:
    return {
        "currency": asset.currency,
        "unit": asset.unit.value if asset.unit else None,
        "fineness": asset.fineness,
        "price_source": asset.price_source.value,
    }


def _disagreements(cells: _AssetCells, target: _Target) -> list[tuple[str, str]]:
    """(column, message) for each attribute the cells give that differs from the asset's."""
    where = "your recorded asset" if target.existing else f"row {target.first_row}"
    return [
        (
            name,
            f"is {_text(cells.attributes[name])} but {where} says {_text(target.attributes[name])}",
        )
        for name in _ATTRIBUTES
        if name in cells.given and cells.attributes[name] != target.attributes[name]
    ]


def _text(value: object) -> str:
    if value is None:
        return "none"
    return to_plain_str(value) if isinstance(value, Decimal) else str(value)


def _calendar(db: Session, user_id: uuid.UUID) -> _Calendar:
    zone = user_time_zone(db, user_id)
    return _Calendar(zone, user_today(zone))


def _recorded_assets(db: Session, user_id: uuid.UUID) -> dict[AssetKey, _Target]:
    """The user's assets by key (the oldest one when a key is used twice)."""
    found: dict[AssetKey, _Target] = {}
    assets = db.scalars(
        select(Asset).where(Asset.user_id == user_id).order_by(Asset.created_at, Asset.id)
    )
    for asset in assets:
        key = (asset.name, asset.type, asset.ticker_symbol)
        if key in found:
            continue
        attributes: dict[str, object] = {
            "currency": asset.currency,
            "unit": asset.unit,
            "fineness": asset.fineness,
            "price_source": asset.price_source or PriceSource.auto.value,
        }
        found[key] = _Target(
            asset.name,
            None,
            attributes,
            id=asset.id,
            existing=True,
        )
    return found


def _assign(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    recorded: dict[AssetKey, _Target],
    calendar: _Calendar,
    report: ImportReport,
) -> dict[AssetKey, _Target]:
    """Validate every row and attach it to its asset; problems go to `report`.

    The asset columns repeat over many rows: each distinct set of them is validated and
    compared with its asset once."""
    targets: dict[AssetKey, _Target] = {}
    seen: dict[tuple[str | None, ...], tuple[_Target | None, list[tuple[str | None, str]]]] = {}
    unreadable: set[AssetKey] = set()  # assets named by rows whose asset cells were refused
    accepted = 0
    for number, cells in rows:
        report.rows += 1
        raw = tuple(map(cells.get, ASSET_COLUMNS))
        known = seen.get(raw)
        if known is None:
            known = seen[raw] = _resolve(number, cells, recorded, targets, unreadable)
        target, asset_problems = known
        trade = _trade(number, cells, calendar)
        problems = [CsvProblem(number, column, msg) for column, msg in asset_problems]
        if isinstance(trade, list):
            problems += trade
        if problems:
            if target is not None:
                target.refused = True
            _add(report, problems)
        elif target is not None and isinstance(trade, _Row):
            accepted += 1
            trade.ordinal = accepted
            target.rows.append(trade)
    for key in unreadable & targets.keys():
        targets[key].refused = True
    return targets


def _resolve(
    number: int,
    cells: Mapping[str, str],
    recorded: dict[AssetKey, _Target],
    targets: dict[AssetKey, _Target],
    unreadable: set[AssetKey],
) -> tuple[_Target | None, list[tuple[str | None, str]]]:
    """The asset that these asset cells (first seen at row `number`) name, and the problems
    of those cells; a new asset is defined by the first row that names it."""
    found = _asset_cells(number, cells)
    if isinstance(found, list):
        unreadable.add(_raw_key(cells))
        return None, [(p.column, p.msg) for p in found]
    target = targets.get(found.key)
    if target is None:
        target = recorded.get(found.key) or _Target(
            found.asset.name, found.asset, found.attributes, first_row=number
        )
        targets[found.key] = target
    return target, list(_disagreements(found, target))


def _raw_key(cells: Mapping[str, str]) -> AssetKey:
    """The key a row with refused asset cells most likely meant (cells are stripped)."""
    ticker = cells.get("ticker_symbol")
    return (
        cells.get("asset_name", ""),
        cells.get("asset_type", "").lower(),
        ticker.upper() if ticker else None,
    )


def _add(report: ImportReport, problems: list[CsvProblem]) -> None:
    report.error_count += len(problems)
    room = MAX_ERRORS - len(report.errors)
    if room > 0:
        report.errors.extend(problems[:room])


def _check_histories(
    db: Session, targets: Iterable[_Target], first_entry: int, report: ImportReport
) -> None:
    """The history-validity rule, one pass per asset over recorded + imported trades, in the
    order of trades (the imported rows take entry numbers after `first_entry` - 1, in file
    order). An imported trade's id is its row number, so an oversell names its row."""
    for target in targets:
        if not target.rows:
            continue
        # Validated like API input above, so built as stored rows are (no re-checks).
        imported = [
            stored_trade(
                f"row {row.number}",
                row.kind,
                row.quantity,
                row.price_per_unit,
                row.fee,
                row.when.day,
                first_entry + row.ordinal - 1,
                row.when.time_of_day,
            )
            for row in target.rows
        ]
        history = load_trades(db, target.id) + imported if target.existing else imported
        # The asset's method, corporate actions and allocations apply to the import too.
        basis = load_basis(db, target.id) if target.existing else Basis()
        try:
            basis.check(history)
        except OversellError as exc:
            _add(report, [_oversell_problem(target, exc)])
        except AllocationError as exc:
            first_sell = next((row.number for row in target.rows if row.kind == "sell"), 1)
            message = f"with this file's trades of {target.name!r}, your recorded {exc}"
            _add(report, [CsvProblem(first_sell, "quantity", message)])


def _oversell_problem(target: _Target, exc: OversellError) -> CsvProblem:
    if exc.sell_id.startswith("row "):
        return CsvProblem(int(exc.sell_id[4:]), "quantity", str(exc))
    # A recorded sell now oversells: the file's sells of this asset are the cause.
    first_sell = next(row.number for row in target.rows if row.kind == "sell")
    return CsvProblem(
        first_sell,
        "quantity",
        f"with this file's sells of {target.name!r}, your recorded {exc}",
    )


def import_transactions(
    db: Session, user_id: uuid.UUID, data: bytes, *, dry_run: bool
) -> ImportReport:
    """Validate the CSV `data` as a whole and, unless `dry_run` or any problem is found,
    write every row in one database transaction. Nothing is written otherwise.

    Raises Conflict when a matched asset disappears while the import runs."""
    report = ImportReport()
    table = read_csv(data)
    _add(report, table.problems)
    targets = _assign(table.rows, _recorded_assets(db, user_id), _calendar(db, user_id), report)
    if report.rows == 0 and report.ok:
        _add(report, [CsvProblem(HEADER_ROW, None, "the file has no transactions")])
    to_write = [t for t in targets.values() if t.rows and not t.refused]
    count = sum(len(t.rows) for t in to_write)
    if not dry_run and report.ok:
        first_entry = _lock(db, user_id, [t for t in to_write if t.existing], count)
        _refuse_assets_created_meanwhile(db, user_id, targets)
    else:
        first_entry = _last_entry_number(db, user_id) + 1
    # Assets with a refused row are not checked: their history would be incomplete.
    _check_histories(db, to_write, first_entry, report)
    report.errors.sort(key=lambda p: p.row)
    created = [t for t in to_write if not t.existing]
    report.assets_created = len(created)
    report.transactions = count
    if dry_run or not report.ok:
        db.rollback()  # releases the locks; nothing was written
        return report
    _insert(db, user_id, created, to_write, first_entry)
    bump_user(db, user_id)
    db.commit()
    report.created_assets = [t.id for t in created]
    report.first_day = {t.id: min(r.when.day for r in t.rows) for t in to_write}
    return report


def _lock(db: Session, user_id: uuid.UUID, targets: list[_Target], count: int) -> int:
    """Take each recorded asset's write lock (in id order, so two imports cannot deadlock),
    then reserve `count` entry numbers; returns the first of them."""
    for target in sorted(targets, key=lambda t: t.id):
        try:
            lock_asset(db, user_id, target.id)
        except NotFound:
            db.rollback()
            raise Conflict(f"The asset {target.name!r} was deleted during the import.") from None
    return reserve_entry_numbers(db, user_id, count)


def _refuse_assets_created_meanwhile(
    db: Session, user_id: uuid.UUID, targets: Mapping[AssetKey, _Target]
) -> None:
    """Raise Conflict when an asset this import would create was recorded after the file
    was matched against the user's assets (another import committed it meanwhile).

    Two imports of one user serialise on the user's row (`_lock` reserves entry numbers),
    so the one that waited reads here what the other committed; without this check both
    would create the asset, and the user would hold two of it."""
    to_create = {key for key, target in targets.items() if not target.existing}
    if not to_create:
        return
    recorded = db.execute(
        select(Asset.name, Asset.type, Asset.ticker_symbol).where(Asset.user_id == user_id)
    )
    clash = sorted({name for name, kind, ticker in recorded if (name, kind, ticker) in to_create})
    if clash:
        db.rollback()
        raise Conflict(
            f"The asset {clash[0]!r} was recorded by another import while this one ran; "
            "nothing was written. Import the file again to add to it."
        )


def _last_entry_number(db: Session, user_id: uuid.UUID) -> int:
    return db.scalar(select(User.last_entry_number).where(User.id == user_id)) or 0


def _insert(
    db: Session,
    user_id: uuid.UUID,
    created: list[_Target],
    targets: list[_Target],
    first_entry: int,
) -> None:
    """Core bulk inserts (executemany) on the session's connection: no ORM objects."""
    now = utcnow()
    connection = db.connection()
    if created:
        connection.execute(
            insert(Asset),
            [
                {
                    "id": t.id,
                    "user_id": user_id,
                    "name": t.name,
                    "type": t.asset.type.value,
                    "ticker_symbol": t.asset.ticker_symbol,
                    **t.attributes,
                    "next_sequence": 1,  # its write count: this import
                    "created_at": now,
                    "updated_at": now,
                }
                for t in created
                if t.asset is not None
            ],
        )
    columns = (
        "id",
        "user_id",
        "asset_id",
        "type",
        "quantity",
        "price_per_unit",
        "fee",
        "trade_date",
        "trade_time",
        "trade_utc_offset",
        "note",
        "entry_number",
        "created_at",
        "updated_at",
    )
    bulk = BulkInsert(connection, cast(Table, Transaction.__table__), columns)
    owner, stamp = bulk.bind("user_id", user_id), bulk.bind("created_at", now)
    new_id, amount = bulk.processor("id"), bulk.processor("quantity")
    day_of, time_of = bulk.processor("trade_date"), bulk.processor("trade_time")
    batch: list[tuple[Any, ...]] = []
    for target in targets:
        asset = bulk.bind("asset_id", target.id)
        for row in target.rows:
            when = row.when
            offset = None if when.utc_offset is None else int(when.utc_offset.total_seconds())
            batch.append(
                (
                    new_id(uuid.uuid4()),
                    owner,
                    asset,
                    row.kind,
                    amount(row.quantity),
                    amount(row.price_per_unit),
                    amount(row.fee),
                    day_of(when.day),
                    None if when.time_of_day is None else time_of(when.time_of_day),
                    offset,
                    row.note,
                    first_entry + row.ordinal - 1,
                    stamp,
                    stamp,
                )
            )
            if len(batch) == _INSERT_CHUNK:
                bulk.execute(batch)
                batch = []
    bulk.execute(batch)


# --- export ----------------------------------------------------------------------------


def _date_text(day: date, at: time | None, offset_seconds: int | None) -> str:
    """The trade date as the API echoes it: the day, or the instant with its offset."""
    offset = None if offset_seconds is None else timedelta(seconds=offset_seconds)
    return as_given(TradeDate(day, at, offset)).isoformat()


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else to_plain_str(value)


def export_records(db: Session, user_id: uuid.UUID) -> Iterator[dict[str, str | None]]:
    """The user's transactions as CSV records (column → text, None for an empty cell), by
    date; the trades of one asset keep their recorded order, so importing the records
    rebuilds the same histories."""
    rows = db.execute(
        select(
            Asset.name,
            Asset.type.label("asset_type"),
            Asset.ticker_symbol,
            Asset.currency,
            Asset.unit,
            Asset.fineness,
            Asset.price_source,
            Transaction.type,
            Transaction.quantity,
            Transaction.price_per_unit,
            Transaction.fee,
            Transaction.trade_date,
            Transaction.trade_time,
            Transaction.trade_utc_offset,
            Transaction.note,
        )
        .join(Asset, Asset.id == Transaction.asset_id)
        .where(Transaction.user_id == user_id, Asset.user_id == user_id)
        .order_by(*TRADE_ORDER)
    )
    for row in rows:
        yield {
            "asset_name": row.name,
            "asset_type": row.asset_type,
            "ticker_symbol": row.ticker_symbol,
            "currency": row.currency,
            "unit": row.unit,
            "fineness": _decimal_text(row.fineness),
            "price_source": row.price_source or PriceSource.auto.value,
            "type": row.type,
            "quantity": to_plain_str(row.quantity),
            "price_per_unit": to_plain_str(row.price_per_unit),
            "fee": to_plain_str(row.fee),
            "transaction_date": _date_text(row.trade_date, row.trade_time, row.trade_utc_offset),
            "note": row.note,
        }


def export_text(db: Session, user_id: uuid.UUID, file_format: str) -> str:
    """The user's transactions as `csv` text (the import format) or `json` text (an array of
    the same records, empty cells as null). Raises ValueError for another format."""
    if file_format == "csv":
        return write_csv(export_records(db, user_id))
    if file_format == "json":
        return json.dumps(list(export_records(db, user_id)), ensure_ascii=False, indent=1)
    raise ValueError(f"unknown export format {file_format!r}")
