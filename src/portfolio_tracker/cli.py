"""The `portfolio-tracker` command line."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from portfolio_tracker.settings import get_settings

app = typer.Typer(
    help="Portfolio Tracker: serve the app and manage its data.", no_args_is_help=True
)


@app.command()
def migrate() -> None:
    """Upgrade the database (DATABASE_URL) to the latest schema."""
    from portfolio_tracker.db.migrate import upgrade
    from portfolio_tracker.db.session import build_engine

    engine = build_engine(get_settings().database_url)
    upgrade(engine)
    typer.echo("database is at the latest revision")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides PORT.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
) -> None:
    """Serve the web app and API (migrating the database first, unless --no-migrate)."""
    import uvicorn

    from portfolio_tracker.logging_setup import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    if migrate_first:
        migrate()
    uvicorn.run(
        "portfolio_tracker.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_config=None,
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
    from portfolio_tracker.db.session import build_engine, build_session_factory
    from portfolio_tracker.errors import Conflict

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
    factory = build_session_factory(build_engine(get_settings().database_url))
    with factory() as db:
        try:
            user = create(db, body.email, body.password, body.name)
        except Conflict as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from exc
        db.commit()
        typer.echo(f"created user {user.email} ({user.id})")


prices_app = typer.Typer(help="Fetch and store prices and exchange rates.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


def _price_runtime() -> tuple[Any, Any, Any]:
    """(session factory, price service, http client to close) from the environment."""
    from portfolio_tracker.db.session import build_engine, build_session_factory
    from portfolio_tracker.prices.feed_settings import FeedSettings
    from portfolio_tracker.prices.providers.registry import build_price_feeds
    from portfolio_tracker.prices.providers.resilience import new_http_client
    from portfolio_tracker.prices.quote_cache import build_quote_cache
    from portfolio_tracker.prices.service import PriceService

    settings = get_settings()
    feed_settings = FeedSettings()
    http = new_http_client(feed_settings.feed_timeout_seconds, feed_settings.feed_user_agent)
    feeds = build_price_feeds(feed_settings, http=http)
    cache = build_quote_cache(settings.redis_url, feed_settings.quote_ttl_seconds)
    factory = build_session_factory(build_engine(settings.database_url))
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


@prices_app.command("refresh")
def prices_refresh() -> None:
    """Fetch the latest price of every symbol used by an asset, and the FX rates."""
    from portfolio_tracker.prices.refresh import refresh_latest

    factory, service, http = _price_runtime()
    try:
        report = refresh_latest(factory, service)
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
        report = backfill(factory, service, targets, years)
    finally:
        http.close()
    _print_report(report)
    if report.all_failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
