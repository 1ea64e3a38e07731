"""Bulk inserts of many rows straight to the driver's executemany.

A Core `insert()` executemany converts every value of every row through its column type on
each call; for a 100k-row import that conversion costs more than the database's own work.
Here the caller converts once what repeats (the owner, the asset, the timestamps) with
`bind()`, and per row only what varies, with the same column-type processors SQLAlchemy
itself would apply, so the stored values are identical.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def _identity(value: Any) -> Any:
    return value


class BulkInsert:
    """INSERT INTO `table` (`columns`) for many rows, each a tuple in `columns` order."""

    def __init__(self, connection: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = connection.dialect
        placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
        if placeholder is None:  # every driver we support is one of the above
            raise NotImplementedError(f"paramstyle {dialect.paramstyle!r}")
        self._connection = connection
        self._processors: dict[str, Callable[[Any], Any]] = {}
        for name in columns:
            processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            self._processors[name] = processor or _identity
        quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
        marks = ", ".join([placeholder] * len(columns))
        self._sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
            f"({quoted}) VALUES ({marks})"
        )

    def processor(self, column: str) -> Callable[[Any], Any]:
        """The function that turns a Python value of `column` into the driver's value."""
        return self._processors[column]

    def bind(self, column: str, value: Any) -> Any:
        return self._processors[column](value)

    def execute(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._connection.exec_driver_sql(self._sql, rows)
