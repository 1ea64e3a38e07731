"""Alembic environment: migrations run on the engine handed over by db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from portfolio_tracker.db.models import Base
from portfolio_tracker.db.session import build_engine

target_metadata = Base.metadata


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine  # type: ignore[no-any-return]
    from portfolio_tracker.settings import get_settings

    return build_engine(get_settings().database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
