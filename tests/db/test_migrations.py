"""Migrations: upgrade from empty, over data, downgrade to nothing, and up again — with the
data unchanged where the schema keeps it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from portfolio_tracker.db.migrate import alembic_config, downgrade, upgrade
from portfolio_tracker.db.models import Base, User
from portfolio_tracker.db.session import build_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = build_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database("pt_migrate")
    engine = build_engine(url)
    yield engine
    engine.dispose()
    server.drop_database(url)


def _revisions(engine: Engine) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(engine))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_upgrade_from_empty_creates_every_model_table(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    tables = set(inspect(fresh_engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_each_step_upgrades_over_data_and_downgrades_back(fresh_engine: Engine) -> None:
    revisions = _revisions(fresh_engine)
    upgrade(fresh_engine, revisions[0])
    with fresh_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, email, hashed_password, created_at) "
                "VALUES ('0b6f8a3e2c4d4e5f8a9b0c1d2e3f4a5b', 'kept@example.com', 'h', "
                "'2024-01-01 00:00:00')"
            )
            if fresh_engine.dialect.name == "sqlite"
            else text(
                "INSERT INTO users (id, email, hashed_password, created_at) VALUES "
                "('0b6f8a3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b', 'kept@example.com', 'h', now())"
            )
        )
    upgrade(fresh_engine)
    with Session(fresh_engine) as db:
        assert [u.email for u in db.query(User)] == ["kept@example.com"]
    # Down to the first revision and back: the data of the first schema survives.
    downgrade(fresh_engine, revisions[0])
    upgrade(fresh_engine)
    with Session(fresh_engine) as db:
        assert db.query(User).count() == 1


def test_downgrade_to_base_and_upgrade_again(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    downgrade(fresh_engine, "base")
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    upgrade(fresh_engine)
    assert "transactions" in inspect(fresh_engine).get_table_names()


def test_models_and_migrations_agree(fresh_engine: Engine) -> None:
    """Autogenerate finds nothing to do: the migrations build exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff
