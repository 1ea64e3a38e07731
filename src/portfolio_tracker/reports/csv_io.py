"""The realised-gains report as CSV (stdlib ``csv``): one line per row of the JSON answer,
with the same texts (money at 8 places, exact rates); Türkiye mode adds its TRY figures
and indexation, and lists the withheld (taxed at source) pieces after the declared ones."""

from __future__ import annotations

import csv
import io
from typing import Any

from portfolio_tracker.reports.schemas import ReportOut

BASE = [
    "asset_name",
    "asset_currency",
    "buy_date",
    "sell_date",
    "quantity",
    "cost",
    "proceeds",
    "gain",
]
STANDARD = [
    *BASE,
    "currency",
    "cost_rate",
    "cost_rate_date",
    "cost_converted",
    "proceeds_rate",
    "proceeds_rate_date",
    "proceeds_converted",
    "gain_converted",
]
TR = [
    "section",
    *BASE,
    "cost_rate",
    "cost_rate_date",
    "cost_rate_fallback",
    "cost_rate_source",
    "cost_try",
    "proceeds_rate",
    "proceeds_rate_date",
    "proceeds_rate_fallback",
    "proceeds_rate_source",
    "proceeds_try",
    "index_buy_month",
    "index_buy",
    "index_sell_month",
    "index_sell",
    "ratio",
    "indexed",
    "indexed_cost_try",
    "gain_try",
    "missing",
]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _flat(row: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in row.items():
        if isinstance(value, dict):  # a rate: rate, date, and via or fallback/source
            out[key] = _text(value.get("rate"))
            for part in ("date", "fallback", "source"):
                out[f"{key}_{part}"] = _text(value.get(part))
        else:
            out[key] = _text(value)
    return out


def report_csv(report: ReportOut) -> str:
    """The report's rows as CSV text with a header line."""
    data = report.model_dump(mode="json")
    buffer = io.StringIO()
    if report.mode == "tr":
        writer = csv.DictWriter(buffer, TR, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for row in data["rows"]:
            writer.writerow({"section": "declared", **_flat(row)})
        for row in data["tr"]["withholding"]:
            writer.writerow({"section": "withholding", **_flat(row)})
    else:
        writer = csv.DictWriter(buffer, STANDARD, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        for row in data["rows"]:
            writer.writerow({"currency": report.currency, **_flat(row)})
    return buffer.getvalue()


def filename(report: ReportOut) -> str:
    suffix = "-tr" if report.mode == "tr" else ""
    return f"realized-{report.year}-{report.currency}{suffix}.csv"
