"""The `portfolio-tracker` command line."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from portfolio_tracker.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(
    help="Portfolio Tracker: serve the app and manage its data.", no_args_is_help=True
)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line on stderr; the caller raises the returned Exit (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def ready_engine() -> Engine:
    """The engine of DATABASE_URL once the database is there and migrated; otherwise one
    line saying what is wrong and exit status 1 (nothing is created)."""
    from portfolio_tracker.db.migrate import database_problem
    from portfolio_tracker.db.session import engine_for

    engine = engine_for(get_settings())
    problem = database_problem(engine)
    if problem is not None:
        engine.dispose()
        raise fail(problem)
    return engine


@app.command()
def migrate() -> None:
    """Create the database if needed and upgrade it (DATABASE_URL) to the latest schema."""
    from sqlalchemy.exc import SQLAlchemyError

    from portfolio_tracker.db.migrate import upgrade
    from portfolio_tracker.db.session import engine_for

    engine = engine_for(get_settings(), for_migrations=True)
    try:
        upgrade(engine)
    except (SQLAlchemyError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        raise fail(f"migration failed: {type(cause).__name__}: {_first_line(cause)}") from None
    finally:
        engine.dispose()
    typer.echo("database is at the latest revision")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides PORT.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Worker processes; overrides WORKERS.")
    ] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Run `migrate` first.")
    ] = False,
) -> None:
    """Serve the web app and API. Never creates the database (see `migrate`): until it is
    there and migrated, requests answer 503 and /readyz says not ready."""
    import logging

    import uvicorn

    from portfolio_tracker.db.migrate import database_problem
    from portfolio_tracker.db.session import engine_for
    from portfolio_tracker.logging_setup import configure_logging
    from portfolio_tracker.serving import server_options

    settings = get_settings()
    if migrate_first:
        migrate()
    engine = engine_for(settings)
    problem = database_problem(engine)
    engine.dispose()
    configure_logging(settings.log_level)
    if problem is not None:
        # A long-running process may start before the database is up or migrated (a
        # rolling deployment): it says so once, creates nothing, answers 503 and a not-ready
        # /readyz until then.
        logging.getLogger(__name__).warning("serving, but %s", problem)
    uvicorn.run(
        "portfolio_tracker.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        **server_options(settings),
    )


@app.command("create-user")
def create_user(
    email: str,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (asks for the password unless --password-stdin)."""
    from pydantic import ValidationError

    from portfolio_tracker.accounts.schemas import SignUpRequest
    from portfolio_tracker.accounts.service import create_user as create
    from portfolio_tracker.db.session import build_session_factory
    from portfolio_tracker.errors import Conflict

    engine = ready_engine()  # before asking for a password that could not be stored
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        body = SignUpRequest(email=email, password=password, name=name)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"error: {'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(2) from exc
    factory = build_session_factory(engine)
    with factory() as db:
        try:
            user = create(db, body.email, body.password, body.name)
        except Conflict as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from exc
        db.commit()
        admin = ", admin: the first account" if user.is_admin else ""
        typer.echo(f"created user {user.email} ({user.id}{admin})")


def _user_id(db: Any, email: str) -> Any:
    """The id of the account with `email`; exits with status 1 when there is none."""
    from portfolio_tracker.accounts.service import user_by_email

    user = user_by_email(db, email)
    if user is None:
        typer.echo(f"error: no account with the email {email!r}", err=True)
        raise typer.Exit(1)
    return user.id


def _session_factory() -> Any:
    from portfolio_tracker.db.session import build_session_factory

    return build_session_factory(ready_engine())


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The CSV file.")],
    email: Annotated[str, typer.Option(help="The account the transactions go to.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report only.")] = False,
) -> None:
    """Import a transactions CSV (the format of README "Import and export"), all or nothing.
    Prints the report; exits with status 1 when the file is refused."""
    from portfolio_tracker.transfer.service import import_transactions

    with _session_factory()() as db:
        report = import_transactions(db, _user_id(db, email), file.read_bytes(), dry_run=dry_run)
    for problem in report.errors:
        column = f" {problem.column}" if problem.column else ""
        typer.echo(f"row {problem.row}{column}: {problem.msg}", err=True)
    verb = "would import" if dry_run or not report.ok else "imported"
    typer.echo(
        f"{report.rows} rows: {verb} {report.transactions} transactions, "
        f"{report.assets_created} new assets; {report.error_count} errors"
    )
    if not report.ok:
        typer.echo("nothing was imported", err=True)
        raise typer.Exit(1)


@app.command("export")
def export_file(
    email: Annotated[str, typer.Option(help="The account whose transactions are exported.")],
    file_format: Annotated[
        str, typer.Option("--format", help="csv (the import format) or json.")
    ] = "csv",
    output: Annotated[
        Path | None, typer.Option(help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Export an account's transactions with their assets."""
    from portfolio_tracker.transfer.service import export_text

    if file_format not in ("csv", "json"):
        typer.echo("error: --format must be csv or json", err=True)
        raise typer.Exit(2)
    with _session_factory()() as db:
        text = export_text(db, _user_id(db, email), file_format)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        typer.echo(f"wrote {output}")


@app.command("rebuild-state")
def rebuild_state_command(
    user: Annotated[
        str | None, typer.Option("--user", help="Only this account (its email).")
    ] = None,
) -> None:
    """Rebuild the stored portfolio state (per-asset segments and checkpoints) from the
    transactions: of every account, or of one with --user. Safe while the app runs."""
    from portfolio_tracker.portfolio.state_rebuild import rebuild_state

    sessions = _session_factory()
    user_id = None
    if user is not None:
        with sessions() as db:
            user_id = _user_id(db, user)
    report = rebuild_state(sessions, user_id)
    for owner, asset_id, name, reason in report.failed:
        typer.echo(
            f"error: account {owner}, asset {name!r} ({asset_id}): its history does not "
            f"replay: {reason}",
            err=True,
        )
    typer.echo(
        f"rebuilt {report.assets} asset(s) of {report.users} account(s): "
        f"{report.segments} segment(s)"
        + (f"; {report.skipped} asset(s) kept changing, run again" if report.skipped else "")
        + (f"; {len(report.failed)} asset(s) failed (above)" if report.failed else "")
    )
    if report.skipped or report.failed:
        raise typer.Exit(1)


@app.command("purge-sessions")
def purge_sessions() -> None:
    """Delete the sessions that can no longer be used (idle or past their absolute lifetime)."""
    from portfolio_tracker.accounts.sessions import purge_expired
    from portfolio_tracker.db.session import build_session_factory

    settings = get_settings()
    with build_session_factory(ready_engine())() as db:
        purged = purge_expired(db, settings)
        db.commit()
    typer.echo(f"purged {purged} sessions")


def _echo_table(rows: Sequence[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last one is left as it is."""
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(widths[n]) for n, cell in enumerate(row[:-1])]
        typer.echo("  ".join([*cells, row[-1]]).rstrip())


users_app = typer.Typer(
    help="Accounts, for the administrator: list, disable and enable, admin rights.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


def _when(moment: Any) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


@users_app.command("list")
def users_list() -> None:
    """Every account: email, created, admin, disabled since, assets, transactions, last
    active (latest use of a current session or API token)."""
    from portfolio_tracker.accounts.admin import list_accounts

    with _session_factory()() as db:
        accounts = list_accounts(db)
    table = [("EMAIL", "CREATED", "ADMIN", "DISABLED", "ASSETS", "TRANSACTIONS", "LAST ACTIVE")]
    for a in accounts:
        table.append(
            (
                a.email,
                _when(a.created_at),
                "yes" if a.is_admin else "no",
                _when(a.disabled_at),
                str(a.assets),
                str(a.transactions),
                _when(a.last_active),
            )
        )
    _echo_table(table)
    typer.echo(f"{len(accounts)} accounts")


def _change_account(change: Callable[[Any, str], Any], email: str, done: str) -> None:
    """Run an accounts.admin change on `email`; one line on stderr and status 1 when there
    is no such account."""
    from portfolio_tracker.errors import NotFound

    with _session_factory()() as db:
        try:
            user = change(db, email)
        except NotFound as exc:
            raise fail(exc.detail) from None
    typer.echo(f"{user.email}: {done}")


@users_app.command("disable")
def users_disable(email: str) -> None:
    """Disable an account: all its sessions and API tokens are revoked at once, and it can
    no longer sign in (403) until enabled again. Its data stays."""
    from portfolio_tracker.accounts.admin import disable

    _change_account(disable, email, "disabled; its sessions and API tokens are revoked")


@users_app.command("enable")
def users_enable(email: str) -> None:
    """Let a disabled account sign in again."""
    from portfolio_tracker.accounts.admin import enable

    _change_account(enable, email, "enabled")


@users_app.command("make-admin")
def users_make_admin(email: str) -> None:
    """Make an account an administrator."""
    from portfolio_tracker.accounts.admin import set_admin

    _change_account(lambda db, e: set_admin(db, e, True), email, "is an admin")


@users_app.command("revoke-admin")
def users_revoke_admin(email: str) -> None:
    """Take the administrator rights from an account."""
    from portfolio_tracker.accounts.admin import set_admin

    _change_account(lambda db, e: set_admin(db, e, False), email, "is no longer an admin")


prices_app = typer.Typer(help="Fetch and store prices and exchange rates.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


def _price_runtime(require_ready: bool = True) -> tuple[Any, Any, Any]:
    """(session factory, price service, http client to close) from the environment.

    Logs show errors only: each item's outcome is in the summary table printed at the end.
    """
    import logging

    from portfolio_tracker.db.session import build_session_factory, engine_for
    from portfolio_tracker.prices.feed_settings import FeedSettings
    from portfolio_tracker.prices.providers.registry import build_price_feeds
    from portfolio_tracker.prices.providers.resilience import new_http_client
    from portfolio_tracker.prices.quote_cache import build_quote_cache
    from portfolio_tracker.prices.service import PriceService
    from portfolio_tracker.redis_guard import RedisGuard

    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    engine = ready_engine() if require_ready else engine_for(settings)
    factory = build_session_factory(engine)
    feed_settings = FeedSettings()
    http = new_http_client(feed_settings.feed_timeout_seconds, feed_settings.feed_user_agent)
    feeds = build_price_feeds(feed_settings, http=http)
    guard = RedisGuard(settings.redis_timeout_seconds, settings.redis_cooldown_seconds)
    cache = build_quote_cache(settings.redis_url, feed_settings.quote_ttl_seconds, guard)
    return factory, PriceService(feeds, cache, feed_settings.quote_ttl_seconds), http


def _print_report(report: Any) -> None:
    rows = [("KIND", "SYMBOL", "STATUS", "ROWS", "DETAIL")]
    rows += [
        (i.kind, i.symbol, "ok" if i.ok else "FAILED", str(i.rows), i.detail) for i in report.items
    ]
    widths = [max(len(row[col]) for row in rows) for col in range(4)]
    for row in rows:
        typer.echo(
            "  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row[:4])) + "  " + row[4]
        )
    typer.echo(f"{report.succeeded} succeeded, {report.failed} failed")


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int, Any], None]]:
    """A progress bar on stderr while long work runs (gone when it ends, so the summary
    table is what stays); yields the `on_step` callback of the price jobs."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=None)

        def step(done: int, total: int, target: Any) -> None:
            progress.update(
                task,
                completed=done,
                total=total,
                description=f"{what} {target.kind.value} {target.symbol}",
            )

        yield step


@prices_app.command("refresh")
def prices_refresh() -> None:
    """Fetch the latest price of every symbol used by an asset, and the FX rates."""
    from portfolio_tracker.prices.refresh import refresh_latest

    factory, service, http = _price_runtime()
    try:
        with _progress("refreshing") as step:
            report = refresh_latest(factory, service, on_step=step)
    finally:
        http.close()
    _print_report(report)
    if report.all_failed:
        raise typer.Exit(1)


@prices_app.command("backfill")
def prices_backfill(
    symbol: Annotated[
        str | None, typer.Option(help="One symbol (with --kind); default: every one in use.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option(help="fund, stock, metal, crypto or fx (needs --symbol).")
    ] = None,
    years: Annotated[int, typer.Option(min=1, max=30, help="Years of history.")] = 10,
) -> None:
    """Fetch and store daily history (as far back as each source has it)."""
    from portfolio_tracker.prices.refresh import backfill
    from portfolio_tracker.prices.sources import FeedSymbol, PriceKind

    targets = None
    if symbol is not None or kind is not None:
        if symbol is None or kind is None:
            typer.echo("error: --symbol and --kind go together", err=True)
            raise typer.Exit(2)
        try:
            price_kind = PriceKind(kind.lower())
        except ValueError:
            choices = ", ".join(k.value for k in PriceKind)
            typer.echo(f"error: --kind must be one of {choices}", err=True)
            raise typer.Exit(2) from None
        targets = [FeedSymbol(price_kind, symbol.strip().upper())]
    factory, service, http = _price_runtime()
    try:
        with _progress("backfilling") as step:
            report = backfill(factory, service, targets, years, on_step=step)
    finally:
        http.close()
    _print_report(report)
    if report.all_failed:
        raise typer.Exit(1)


# -- operations: backups, the job worker, job runs -----------------------------------------


@app.command()
def backup(
    output: Annotated[
        Path | None, typer.Option("--output", help="Directory (default BACKUP_DIR).")
    ] = None,
) -> None:
    """Write a consistent backup of the database, then delete those older than
    BACKUP_KEEP_DAYS in that directory."""
    from portfolio_tracker.backups.service import BackupError, prune
    from portfolio_tracker.backups.service import backup as make_backup

    settings = get_settings()
    ready_engine().dispose()  # a missing database is reported, never backed up as a new one
    out_dir = output or Path(settings.backup_dir)
    try:
        path = make_backup(settings.database_url, out_dir)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    deleted = prune(out_dir, settings.backup_keep_days)
    typer.echo(f"wrote {path} ({path.stat().st_size} bytes); deleted {len(deleted)} old backups")


@app.command()
def restore(
    file: Path,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the database's contents with a backup (stop the app and workers first)."""
    from portfolio_tracker.backups.service import BackupError
    from portfolio_tracker.backups.service import restore as restore_backup

    settings = get_settings()
    if not yes:
        typer.confirm(f"Replace everything in the database with {file}?", abort=True)
    try:
        restore_backup(settings.database_url, file)
    except BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored {file}")


def _job_context() -> tuple[Any, Any]:
    """(JobContext, http client to close) from the environment."""
    from portfolio_tracker.jobs.tasks import JobContext

    # The worker runs on: a database not migrated yet only fails its job runs until it is.
    factory, service, http = _price_runtime(require_ready=False)
    return JobContext(get_settings(), factory, service), http


@app.command()
def worker() -> None:
    """Run the scheduled jobs in the foreground until stopped (SIGINT/SIGTERM); any number
    of workers and app processes may run: each scheduled run happens once."""
    import signal

    from portfolio_tracker.error_reporting import init_error_reporting
    from portfolio_tracker.jobs.scheduler import Scheduler
    from portfolio_tracker.jobs.tasks import scheduled_jobs
    from portfolio_tracker.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    init_error_reporting(settings.sentry_dsn, "portfolio-tracker@0.1.0")
    ctx, http = _job_context()
    scheduler = Scheduler(ctx, scheduled_jobs(settings), settings.jobs_tick_seconds)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: scheduler.stop(timeout=0))
    try:
        scheduler.run_forever()
    finally:
        http.close()


jobs_app = typer.Typer(help="Scheduled jobs: recent runs, run one now.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("runs")
def jobs_runs(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs.")] = 30,
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
) -> None:
    """The latest job runs: job, slot, start, duration, outcome (running, succeeded, failed,
    or abandoned: its process died mid-run), worker, detail."""
    from portfolio_tracker.db.session import build_session_factory
    from portfolio_tracker.jobs.runs import ABANDONED, recent_runs

    factory = build_session_factory(ready_engine())
    with factory() as db:
        rows = recent_runs(db, limit, job)
    table = [("JOB", "SLOT", "STARTED", "SECONDS", "OUTCOME", "WORKER", "DETAIL")]
    for r in rows:
        ended = r.finished_at if r.outcome != ABANDONED else None  # when it died is unknown
        seconds = f"{(ended - r.started_at).total_seconds():.1f}" if ended else "-"
        table.append(
            (
                r.job,
                f"{r.slot:%Y-%m-%d %H:%M}",
                f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                seconds,
                r.outcome,
                r.worker,
                (r.detail or "").replace("\n", " ")[:120],
            )
        )
    _echo_table(table)


@jobs_app.command("run")
def jobs_run(name: str) -> None:
    """Run one job now (recorded like a scheduled run, with this moment as its slot)."""
    from datetime import UTC, datetime

    from portfolio_tracker.jobs.runs import SUCCEEDED
    from portfolio_tracker.jobs.scheduler import run_job
    from portfolio_tracker.jobs.tasks import scheduled_jobs

    jobs = {job.name: job for job in scheduled_jobs(get_settings())}
    if name not in jobs:
        typer.echo(f"error: unknown job {name!r}; one of: {', '.join(jobs)}", err=True)
        raise typer.Exit(2)
    ctx, http = _job_context()
    try:
        result = run_job(ctx, jobs[name], datetime.now(UTC))
    finally:
        http.close()
    outcome, detail = result or ("not run: that moment was already claimed", "")
    typer.echo(f"{name}: {outcome}: {detail}")
    if outcome != SUCCEEDED:
        raise typer.Exit(1)


report_app = typer.Typer(help="Reports of an account's figures.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("realized")
def report_realized(
    year: Annotated[int, typer.Option(min=1900, max=9998, help="Sells of this calendar year.")],
    user: Annotated[str, typer.Option(help="The account (its email).")],
    currency: Annotated[
        str | None, typer.Option(help="ISO 4217 code; default: the account's base currency.")
    ] = None,
    method: Annotated[
        str | None, typer.Option(help="Cost-basis method; default: each asset's own.")
    ] = None,
    mode: Annotated[str, typer.Option(help="standard, or tr (Türkiye mode).")] = "standard",
    output_format: Annotated[
        str, typer.Option("--format", help="table (default), csv or json.")
    ] = "table",
) -> None:
    """The realised-gains report of a year (the same figures as GET /api/reports/realized)."""
    from portfolio_tracker.errors import InvalidInput
    from portfolio_tracker.reports.csv_io import report_csv
    from portfolio_tracker.reports.schemas import report_out
    from portfolio_tracker.reports.service import Mode
    from portfolio_tracker.reports.text import report_table

    if output_format not in ("table", "csv", "json"):
        raise fail("--format must be table, csv or json", 2)
    if mode not in {m.value for m in Mode}:
        raise fail("--mode must be standard or tr", 2)
    with _session_factory()() as db:
        try:
            report = report_out(db, _user_id(db, user), year, currency, method, Mode(mode))
        except InvalidInput as exc:
            raise fail(f"--{exc.loc[-1]}: {exc.detail}", 2) from None
    if output_format == "json":
        typer.echo(report.model_dump_json(indent=2))
    elif output_format == "csv":
        sys.stdout.write(report_csv(report))
    else:
        typer.echo(report_table(report))


if __name__ == "__main__":
    app()
