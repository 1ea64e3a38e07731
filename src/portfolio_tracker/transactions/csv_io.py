"""The transactions CSV: reading a file into raw cells and writing rows back out.

One row per transaction; the asset travels with it (see README, "Import and export"):

    asset_name, asset_type, ticker_symbol, currency, unit, fineness, price_source,
    type, quantity, price_per_unit, fee, transaction_date, note

Reading knows the file format only: encoding (UTF-8, with or without a byte-order mark), the
delimiter (`,` or `;`, taken from the header line), the header, and the decimal comma that a
spreadsheet in a Turkish locale writes in `;` files. What a value means (a valid decimal, a
date not in the future) is checked by the importer with the API's own schemas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ASSET_COLUMNS = (
    "asset_name",
    "asset_type",
    "ticker_symbol",
    "currency",
    "unit",
    "fineness",
    "price_source",
)
TRADE_COLUMNS = ("type", "quantity", "price_per_unit", "fee", "transaction_date", "note")
COLUMNS = ASSET_COLUMNS + TRADE_COLUMNS
REQUIRED_COLUMNS = frozenset(
    {"asset_name", "asset_type", "type", "quantity", "price_per_unit", "transaction_date"}
)
DECIMAL_COLUMNS = frozenset({"fineness", "quantity", "price_per_unit", "fee"})
HEADER_ROW = 1  # rows are numbered as a spreadsheet shows them: the header is row 1

# "1234,5" in a `;` file is a decimal comma (Excel in tr-TR); nothing else is rewritten, so
# "1.234,5" stays invalid instead of being guessed at.
_DECIMAL_COMMA = re.compile(r"^\s*-?[0-9]+,[0-9]+\s*$")


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """Something wrong at `row` (header = 1, first data row = 2) in `column` (None: the row
    or the file as a whole)."""

    row: int
    column: str | None
    msg: str


@dataclass(slots=True)
class CsvTable:
    """Data rows as (row number, {column: cell}); cells are stripped of surrounding blanks
    (except the note) and empty ones are absent."""

    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)


def _decode(data: bytes) -> str:
    # utf-8-sig drops a leading byte-order mark (Excel writes one) and reads plain UTF-8 too.
    return data.decode("utf-8-sig")


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_csv(data: bytes) -> CsvTable:
    """Parse a transactions CSV into its cells; file-level problems come back at row 1."""
    table = CsvTable()
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        table.problems.append(
            CsvProblem(HEADER_ROW, None, f"the file is not UTF-8 text (byte {exc.start})")
        )
        return table
    if "\x00" in text:
        table.problems.append(CsvProblem(HEADER_ROW, None, "the file contains NUL characters"))
        return table
    delimiter = _delimiter(text[: text.find("\n")] if "\n" in text else text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            table.problems.append(CsvProblem(HEADER_ROW, None, "the file has no header row"))
            return table
        names = [cell.strip().lower() for cell in header]
        if not _header_ok(names, table.problems):
            return table
        decimal_comma = delimiter == ";"
        for number, cells in enumerate(reader, start=HEADER_ROW + 1):
            if not any(cell.strip() for cell in cells):
                continue  # blank line
            if len(cells) > len(names):
                table.problems.append(
                    CsvProblem(number, None, f"{len(cells)} cells; the header has {len(names)}")
                )
                continue
            row = {}
            for name, cell in zip(names, cells, strict=False):
                value = cell if name == "note" else cell.strip()  # a note is kept as written
                if not value:
                    continue
                if decimal_comma and name in DECIMAL_COLUMNS and _DECIMAL_COMMA.match(value):
                    value = value.replace(",", ".")
                row[name] = value
            table.rows.append((number, row))
    except csv.Error as exc:
        table.problems.append(CsvProblem(reader.line_num, None, f"unreadable CSV: {exc}"))
    return table


def _header_ok(names: list[str], problems: list[CsvProblem]) -> bool:
    before = len(problems)
    known = set(COLUMNS)
    for name in names:
        if name not in known:
            problems.append(
                CsvProblem(
                    HEADER_ROW,
                    name or None,
                    f"unknown column {name!r}; the columns are " + ", ".join(COLUMNS),
                )
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    problems.extend(CsvProblem(HEADER_ROW, name, "column given twice") for name in duplicates)
    problems.extend(
        CsvProblem(HEADER_ROW, name, "required column missing")
        for name in COLUMNS
        if name in REQUIRED_COLUMNS and name not in names
    )
    return len(problems) == before


def write_csv(records: Iterable[Mapping[str, str | None]]) -> str:
    """The header, then one line per record (None → empty cell): comma-delimited, CRLF line
    ends (RFC 4180). Encode it as UTF-8 without a byte-order mark."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([record.get(c) for c in COLUMNS] for record in records)
    return buffer.getvalue()
