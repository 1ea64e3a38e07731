"""The realised-gains report as a plain-text table (the command line's default output)."""

from __future__ import annotations

from typing import Any

from portfolio_tracker.reports.schemas import ReportOut


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def _rate(rate: dict[str, Any] | None) -> str:
    if rate is None:
        return "missing"
    flag = "*" if rate.get("fallback") else ""
    return f"{rate['rate']} ({rate['date']}){flag}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(c.ljust(widths[n]) for n, c in enumerate(r)).rstrip() for r in rows]


def report_table(report: ReportOut) -> str:
    """Rows, per-asset totals and the year's totals, one line each."""
    data = report.model_dump(mode="json")
    tr = report.mode == "tr"
    lines = [
        f"Realised gains {report.year}, {report.currency}"
        + (", Türkiye mode" if tr else "")
        + f", method {report.method or 'each asset own'}"
    ]
    if tr:
        header = ["ASSET", "BUY", "SELL", "QTY", "COST TRY", "PROCEEDS TRY", "BUY RATE",
                  "SELL RATE", "RATIO", "INDEXED", "GAIN TRY"]  # fmt: skip
        body = [
            [r["asset_name"], r["buy_date"], r["sell_date"], r["quantity"], _cell(r["cost_try"]),
             _cell(r["proceeds_try"]), _rate(r["cost_rate"]), _rate(r["proceeds_rate"]),
             _cell(r["ratio"]), _cell(r["indexed"]), _cell(r["gain_try"])]
            for r in data["rows"]
        ]  # fmt: skip
    else:
        header = ["ASSET", "BUY", "SELL", "QTY", "COST", "PROCEEDS", "GAIN", "COST RATE",
                  "PROCEEDS RATE", f"GAIN {report.currency}"]  # fmt: skip
        body = [
            [r["asset_name"], r["buy_date"], r["sell_date"], r["quantity"],
             f"{r['cost']} {r['asset_currency']}", f"{r['proceeds']} {r['asset_currency']}",
             f"{r['gain']} {r['asset_currency']}", _rate(r["cost_rate"]),
             _rate(r["proceeds_rate"]), _cell(r["gain_converted"])]
            for r in data["rows"]
        ]  # fmt: skip
    lines += _table([header, *body]) if body else ["(no sells in this year)"]
    t = data["totals"]
    lines.append(
        f"Total: proceeds {_cell(t['proceeds'])}, cost {_cell(t['cost'])}, "
        f"gain {_cell(t['gain'])} {report.currency}"
    )
    if tr and data["tr"] is not None:
        section = data["tr"]
        lines.append(
            f"Declared gain: {_cell(section['declared_gain'])} TRY; declare by "
            f"{section['declaration_deadline']}"
        )
        for missing in section["missing"]:
            lines.append(f"Missing: {missing}")
        for w in section["withholding"]:
            lines.append(f"Taxed at source: {w['asset_name']} {w['sell_date']} gain {w['gain']}")
        if section["not_covered"]:
            lines.append("Not covered: " + ", ".join(section["not_covered"]))
        lines.append("* the day had no bulletin: the last one before it is used")
    return "\n".join(lines)
