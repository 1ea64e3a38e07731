"""GET /reports/realized: the yearly realised-gains report (the report service behind GET
/api/reports/realized), with a year selector, the rows, the totals and a CSV download link
to the API's export. Türkiye mode shows the TRY figures, rates, indexation and deadline."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from fastapi import Response

from portfolio_tracker.engine.realized_report import METHODS
from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.reports.schemas import report_out
from portfolio_tracker.reports.service import Mode
from portfolio_tracker.web.page import SignedInPage
from portfolio_tracker.web.routing import page_router

router = page_router()

YEARS_BACK = 15


def _year(text: str | None, today: int) -> int | None:
    if text is None or text == "":
        return today
    return int(text) if text.isdigit() and 1900 <= int(text) <= 9998 else None


@router.get("/reports/realized")
def realized_page(page: SignedInPage) -> Response:
    params = page.request.query_params
    today = date.today().year
    year = _year(params.get("year"), today)
    currency = (params.get("currency") or "").strip() or page.base_currency
    mode = Mode.tr if params.get("mode") == "tr" else Mode.standard
    method = params.get("method") or None
    errors: list[str] = []
    report = None
    if year is None:
        errors.append(page.gettext("Choose a year between 1900 and 9998."))
    else:
        try:
            report = report_out(page.db, page.user.id, year, currency, method, mode)
        except InvalidInput as exc:
            errors.append(f"{exc.loc[-1]}: {exc.detail}")
    query = {"year": year or today, "currency": currency, "mode": mode.value}
    if method:
        query["method"] = method
    csv_url = "/api/reports/realized?" + urlencode({**query, "format": "csv"})
    years = sorted({*range(today - YEARS_BACK, today + 1), year or today}, reverse=True)
    return page.render(
        "reports_realized.html",
        422 if errors else 200,
        report=report,
        errors=errors,
        year=year or today,
        years=years,
        currency=currency,
        mode=mode.value,
        method=method or "",
        methods=METHODS,
        csv_url=csv_url,
    )
