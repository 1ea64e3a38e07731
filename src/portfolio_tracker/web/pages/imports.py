"""The import page: upload a transactions CSV, see the dry run's report (row-level errors),
then import it all or nothing; and the export links. The import service behind POST
/api/import does the work, so the page refuses exactly what the API refuses.

Without JavaScript a file input cannot be filled in again, so after a clean dry run the page
carries the checked CSV in a hidden field of the "Import" form (up to `CARRIED_BYTES`, under
the form parser's part limit); a bigger file is chosen again and imported directly, which is
just as safe: a real import validates the whole file again and writes nothing on any problem.
"""

from __future__ import annotations

from fastapi import Response
from starlette.datastructures import UploadFile

from portfolio_tracker.errors import Conflict
from portfolio_tracker.prices.deps import Backfill
from portfolio_tracker.transactions.csv_io import COLUMNS, REQUIRED_COLUMNS
from portfolio_tracker.transfer import service
from portfolio_tracker.transfer.routes import MAX_UPLOAD_BYTES
from portfolio_tracker.transfer.service import ImportReport
from portfolio_tracker.web.forms import FORM, Errors
from portfolio_tracker.web.page import Page, SignedInForm, SignedInPage
from portfolio_tracker.web.routing import page_router

router = page_router()

CARRIED_BYTES = 900_000  # Starlette parses a text form field of at most 1 MiB


def import_page(
    page: Page,
    report: ImportReport | None = None,
    *,
    carried: str | None = None,
    errors: Errors | None = None,
    imported: bool = False,
) -> Response:
    failed = bool(errors) or (report is not None and not report.ok)
    return page.render(
        "import.html",
        422 if failed else 200,
        report=report,
        carried=carried,
        errors=errors or {},
        refused=imported and failed,
        columns=COLUMNS,
        required=[c for c in COLUMNS if c in REQUIRED_COLUMNS],
        notice=_imported_notice(page),
    )


def _imported_notice(page: Page) -> str | None:
    count = page.request.query_params.get("imported", "")
    if not count.isdigit():
        return None
    return page.gettext("Imported %(count)s transactions.", count=count)


def _upload(page: Page) -> bytes | None:
    """The CSV of the form: the chosen file, else the checked CSV carried in the page."""
    part = page.form.get("file")
    if isinstance(part, UploadFile) and part.filename:
        # The parser has spooled the upload already; this thread reads it back.
        return part.file.read(MAX_UPLOAD_BYTES + 1)
    text = page.form.get("csv_text")
    return text.encode() if isinstance(text, str) and text else None


@router.get("/import")
def import_form(page: SignedInPage) -> Response:
    return import_page(page)


@router.post("/import")
def import_csv(page: SignedInForm, backfill: Backfill) -> Response:
    data = _upload(page)
    if data is None:
        return import_page(page, errors={"file": [page.gettext("Choose a CSV file.")]})
    if len(data) > MAX_UPLOAD_BYTES:
        return import_page(page, errors={"file": [page.gettext("The file is over 20 MiB.")]})
    dry_run = page.form.get("action") != "import"
    try:
        report = service.import_transactions(page.db, page.user.id, data, dry_run=dry_run)
    except Conflict as exc:
        return import_page(page, errors={FORM: [exc.detail]}, imported=True)
    if dry_run or not report.ok:
        carried = data.decode("utf-8-sig") if report.ok and len(data) <= CARRIED_BYTES else None
        return import_page(page, report, carried=carried, imported=not dry_run)
    backfill.imported(report.created_assets, report.first_day)
    return page.redirect(f"/import?imported={report.transactions}")
