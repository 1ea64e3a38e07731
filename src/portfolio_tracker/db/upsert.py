"""One row per natural key (a user's price of an asset on a day, their rate of a pair on a
day): create it or replace its values, safely against a concurrent request doing the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def put_row(
    db: Session,
    find: Callable[[], Row | None],
    create: Callable[[], Row],
    update: Callable[[Row], None],
    touch: Callable[[], None],
) -> tuple[Row, bool]:
    """Update the row ``find`` returns, or add the one ``create`` builds; ``touch`` (a data
    version bump) joins the same transaction, which is committed. When another request
    inserted the same key first (a unique constraint fails), the row is found again and
    updated instead. Returns the row and whether it was created."""
    for _attempt in range(2):
        row = find()
        created = row is None
        if row is None:
            row = create()
            db.add(row)
        else:
            update(row)
        touch()
        try:
            db.commit()
        except IntegrityError:
            db.rollback()  # the other request's row now exists: replace its values
            continue
        return row, created
    raise RuntimeError("upsert kept conflicting")  # pragma: no cover
