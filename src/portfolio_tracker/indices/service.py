"""A user's monthly index series (e.g. Yİ-ÜFE): every query is scoped to the owner.

A series is the user's own: their writes change nothing of anyone else's, and the Türkiye
mode of their realised-gains report reads only their values. A month is stored as its first
day; a month sent again replaces the stored value.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import IndexValue
from portfolio_tracker.db.versions import bump_user
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.indices.schemas import IndexPoint

MAX_POINTS = 5000  # 400 years of months


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _point(raw: object, loc: list[str | int]) -> tuple[date, Decimal]:
    try:
        point = IndexPoint.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(first["msg"], [*loc, *first["loc"]]) from None
    return _month(point.month), point.value


def parse_json(data: bytes) -> dict[date, Decimal]:
    """A JSON array of ``{"month": "YYYY-MM", "value": "123.4"}`` (or ``{"values": [...]}``).

    Raises InvalidInput naming the element at fault; a month given twice: the later wins."""
    try:
        raw = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"not a JSON document: {exc}"[:200], ["body"]) from None
    if isinstance(raw, dict) and set(raw) == {"values"}:
        raw = raw["values"]
    if not isinstance(raw, list):
        raise InvalidInput("expected an array of {month, value} objects", ["body"])
    points: list[tuple[tuple[date, Decimal], list[str | int]]] = []
    for i, item in enumerate(raw):
        loc: list[str | int] = ["body", i]
        points.append((_point(item, loc), loc))
    return _collect(points)


def parse_csv(data: bytes) -> dict[date, Decimal]:
    """CSV with the header ``month,value`` (commas or semicolons), one month a row.

    Raises InvalidInput naming the row (1 = the first data row) and column at fault."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is not UTF-8", ["body"]) from None
    delimiter = "," if "," in text.split("\n", 1)[0] else ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if header[:2] != ["month", "value"] or len(header) != 2:
        raise InvalidInput("the first row must be the header: month,value", ["body", 0])
    rows: list[tuple[tuple[date, Decimal], list[str | int]]] = []
    for n, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells):
            continue
        loc: list[str | int] = ["body", n]
        if len(cells) != 2:
            raise InvalidInput(f"expected 2 cells (month,value), got {len(cells)}", loc)
        rows.append((_point(dict(zip(header, [c.strip() for c in cells], strict=True)), loc), loc))
    return _collect(rows)


def _collect(
    points: Iterable[tuple[tuple[date, Decimal], list[str | int]]],
) -> dict[date, Decimal]:
    out: dict[date, Decimal] = {}
    for (month, value), loc in points:
        if len(out) >= MAX_POINTS:
            raise InvalidInput(f"at most {MAX_POINTS} months in one request", loc)
        out[month] = value
    if not out:
        raise InvalidInput("no month given", ["body"])
    return out


def put_values(db: Session, user_id: uuid.UUID, name: str, values: Mapping[date, Decimal]) -> int:
    """Store the user's values of series ``name`` (each month replaced when present);
    returns how many months were added or changed. Commits."""
    stored = {
        row.month: row
        for row in db.scalars(
            select(IndexValue).where(
                IndexValue.user_id == user_id,
                IndexValue.name == name,
                IndexValue.month.in_(list(values)),
            )
        )
    }
    changed = 0
    for month, value in values.items():
        row = stored.get(month)
        if row is None:
            db.add(
                IndexValue(id=uuid.uuid4(), user_id=user_id, name=name, month=month, value=value)
            )
            changed += 1
        elif row.value != value:
            row.value = value
            changed += 1
    if changed:
        bump_user(db, user_id)
    db.commit()
    return changed


def series(db: Session, user_id: uuid.UUID, name: str) -> list[tuple[date, Decimal]]:
    """The user's values of series ``name`` by month, oldest first."""
    rows = db.execute(
        select(IndexValue.month, IndexValue.value)
        .where(IndexValue.user_id == user_id, IndexValue.name == name)
        .order_by(IndexValue.month)
    )
    return [(month, value) for month, value in rows]


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"
