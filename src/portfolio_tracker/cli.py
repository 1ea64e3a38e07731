"""The `portfolio-tracker` command line."""

from __future__ import annotations

import sys
from typing import Annotated

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
    from portfolio_tracker.api.errors import Conflict
    from portfolio_tracker.db.session import build_engine, build_session_factory

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


if __name__ == "__main__":
    app()
