"""Migrations: upgrade from empty, over data, downgrade to nothing, and up again — with the
data unchanged where the schema keeps it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from portfolio_tracker.db.migrate import alembic_config, downgrade, upgrade
from portfolio_tracker.db.models import Base, Transaction, User
from portfolio_tracker.db.session import build_engine
from portfolio_tracker.db.types import ExactDecimal, UTCDateTime


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


# --- 0003: trade dates as calendar days, entry order ----------------------------------------

ALICE = uuid.UUID("0b6f8a3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b")  # no settings row: Europe/Istanbul
BOB = uuid.UUID("1c7f9b4f-3d5e-4f60-9bac-1d2e3f4a5b6c")  # America/New_York
GOLD, SILVER, FUND = (uuid.UUID(int=n) for n in (1, 2, 3))


def _tx(
    n: int, user: uuid.UUID, asset: uuid.UUID, at: datetime, seq: int, created: datetime
) -> dict[str, Any]:
    return {
        "id": uuid.UUID(int=100 + n),
        "user_id": user,
        "asset_id": asset,
        "type": "buy",
        "quantity": "1",
        "price_per_unit": "10",
        "fee": "0",
        "transaction_date": at,
        "note": None,
        "sequence": seq,
        "created_at": created,
        "updated_at": created,
    }


T = datetime(2024, 3, 1, tzinfo=UTC)
OLD_ROWS = [
    # alice (UTC+3): a date-only input (00:00 UTC), a timed one, one created later
    _tx(1, ALICE, GOLD, T, 1, T + timedelta(hours=5)),
    _tx(2, ALICE, GOLD, T + timedelta(hours=7), 2, T + timedelta(hours=6)),
    # created first of all, at 22:30 UTC on 1 March: 01:30 on 2 March in Istanbul
    _tx(3, ALICE, SILVER, T + timedelta(hours=22, minutes=30), 1, T),
    # bob (New York): 03:00 UTC on 1 March is 22:00 on 29 February in New York
    _tx(4, BOB, FUND, T + timedelta(hours=3), 1, T),
    _tx(5, BOB, FUND, T, 2, T + timedelta(hours=1)),
]


def _table(name: str, *columns: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table(name, *columns)


def _seed_0002(engine: Engine) -> None:
    """Rows as revision 0002 stored them (typed here, not read from today's models)."""
    uid = sa.Uuid()
    users = _table(
        "users",
        sa.column("id", uid),
        sa.column("email"),
        sa.column("hashed_password"),
        sa.column("created_at", UTCDateTime()),
    )
    assets = _table(
        "assets",
        *(sa.column(c, uid) for c in ("id", "user_id")),
        *(sa.column(c) for c in ("name", "type", "currency", "next_sequence", "price_source")),
        *(sa.column(c, UTCDateTime()) for c in ("created_at", "updated_at")),
    )
    settings = _table(
        "user_settings",
        sa.column("user_id", uid),
        *(sa.column(c) for c in ("base_currency", "locale", "time_zone")),
        sa.column("updated_at", UTCDateTime()),
    )
    transactions = _table(
        "transactions", *(sa.column(c, uid) for c in ("id", "user_id", "asset_id")),
        *(sa.column(c, UTCDateTime()) for c in ("transaction_date", "created_at", "updated_at")),
        *(sa.column(c, ExactDecimal()) for c in ("quantity", "price_per_unit", "fee")),
        sa.column("type"), sa.column("note"), sa.column("sequence"),
    )  # fmt: skip
    with engine.begin() as connection:
        for user, email in ((ALICE, "alice@example.com"), (BOB, "bob@example.com")):
            connection.execute(
                users.insert().values(id=user, email=email, hashed_password="h", created_at=T)
            )
        connection.execute(
            settings.insert().values(
                user_id=BOB, base_currency="USD", locale="en-US", time_zone="America/New_York",
                updated_at=T,
            )
        )  # fmt: skip
        for asset, owner in ((GOLD, ALICE), (SILVER, ALICE), (FUND, BOB)):
            connection.execute(
                assets.insert().values(
                    id=asset, user_id=owner, name="A", type="fund", currency="TRY",
                    next_sequence=2, price_source="auto", created_at=T, updated_at=T,
                )
            )  # fmt: skip
        connection.execute(transactions.insert(), OLD_ROWS)


def test_0003_turns_instants_into_calendar_days_and_entry_order_and_back(
    fresh_engine: Engine,
) -> None:
    upgrade(fresh_engine, "0002")
    _seed_0002(fresh_engine)
    upgrade(fresh_engine, "0003")

    with Session(fresh_engine) as db:
        rows = {
            int(t.id) - 100: (t.trade_date, t.trade_time, t.trade_utc_offset, t.entry_number)
            for t in db.query(Transaction)
        }
        # Columns of that revision only: later ones add columns to the User model.
        last = {i: n for i, n in db.execute(sa.select(User.id, User.last_entry_number))}
    assert rows == {
        # 00:00 UTC was a date given without a time: that day, no time, no offset
        1: (date(2024, 3, 1), None, None, 2),
        # other instants: day and wall-clock time in the owner's zone
        2: (date(2024, 3, 1), time(10, 0), 3 * 3600, 3),
        3: (date(2024, 3, 2), time(1, 30), 3 * 3600, 1),
        4: (date(2024, 2, 29), time(22, 0), -5 * 3600, 1),
        5: (date(2024, 3, 1), None, None, 2),
    }
    assert last == {ALICE: 3, BOB: 2}
    # For the UTC+3 user every trade stays on the day the old code bucketed it on.
    istanbul = ZoneInfo("Europe/Istanbul")
    for n, old in enumerate(OLD_ROWS, start=1):
        if old["user_id"] == ALICE:
            assert rows[n][0] == old["transaction_date"].astimezone(istanbul).date()

    downgrade(fresh_engine, "0002")
    transactions = _table(
        "transactions", sa.column("id", sa.Uuid()), sa.column("transaction_date", UTCDateTime()),
        sa.column("sequence"),
    )  # fmt: skip
    with fresh_engine.connect() as connection:
        back = {
            row.id.int - 100: (
                row.transaction_date,
                row.sequence,
            )
            for row in connection.execute(sa.select(transactions))
        }
    assert back == {
        1: (T, 2),  # the date-only trade counts after the timed one of its day
        2: (T + timedelta(hours=7), 1),
        3: (T + timedelta(hours=22, minutes=30), 1),
        4: (T + timedelta(hours=3), 1),
        5: (T, 2),
    }
    upgrade(fresh_engine)  # and up again over the downgraded data
    with Session(fresh_engine) as db:
        assert db.query(Transaction).count() == len(OLD_ROWS)


def test_0009_adds_foreign_security_and_index_values_keeping_every_trade(
    fresh_engine: Engine,
) -> None:
    """A batch copy of `assets` on SQLite would cascade to its transactions: 0009 alters in
    place, so up, down and up again keep every row."""
    upgrade(fresh_engine, "0008")
    uid = ALICE
    asset_id, tx_id = uuid.uuid4(), uuid.uuid4()
    uuid_type = sa.Uuid()
    users = _table(
        "users",
        sa.column("id", uuid_type),
        sa.column("email"),
        sa.column("hashed_password"),
        sa.column("created_at", UTCDateTime()),
    )
    assets = _table(
        "assets",
        sa.column("id", uuid_type),
        sa.column("user_id", uuid_type),
        sa.column("name"),
        sa.column("type"),
        sa.column("currency"),
        sa.column("next_sequence"),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    txs = _table(
        "transactions",
        sa.column("id", uuid_type),
        sa.column("user_id", uuid_type),
        sa.column("asset_id", uuid_type),
        sa.column("type"),
        sa.column("quantity", ExactDecimal()),
        sa.column("price_per_unit", ExactDecimal()),
        sa.column("fee", ExactDecimal()),
        sa.column("trade_date", sa.Date()),
        sa.column("entry_number"),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    with fresh_engine.begin() as connection:
        connection.execute(
            users.insert().values(id=uid, email="a@example.com", hashed_password="h", created_at=T)
        )
        connection.execute(
            assets.insert().values(
                id=asset_id,
                user_id=uid,
                name="A",
                type="stock",
                currency="USD",
                next_sequence=1,
                created_at=T,
                updated_at=T,
            )
        )
        connection.execute(
            txs.insert().values(
                id=tx_id,
                user_id=uid,
                asset_id=asset_id,
                type="buy",
                quantity=1,
                price_per_unit=1,
                fee=0,
                trade_date=date(2024, 1, 2),
                entry_number=1,
                created_at=T,
                updated_at=T,
            )
        )
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        flags = connection.execute(text("SELECT foreign_security FROM assets")).scalars().all()
        assert [bool(f) for f in flags] == [False]
        assert connection.execute(text("SELECT COUNT(*) FROM transactions")).scalar_one() == 1
    assert "index_values" in inspect(fresh_engine).get_table_names()
    downgrade(fresh_engine, "0008")
    assert "index_values" not in inspect(fresh_engine).get_table_names()
    assert "foreign_security" not in {
        c["name"] for c in inspect(fresh_engine).get_columns("assets")
    }
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM transactions")).scalar_one() == 1


# The users table as the migrations from 0003 on know it (enough to insert an owner).
_USERS = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("hashed_password", sa.String()),
    sa.column("created_at", UTCDateTime()),
    sa.column("last_entry_number", sa.BigInteger()),
)


def _insert_owner_and_asset(
    connection: sa.Connection,
    user_id: uuid.UUID,
    asset_id: uuid.UUID,
    now: datetime,
    last_entry_number: int,
    **sequences: int,
) -> None:
    """A user and one USD stock of theirs; ``sequences``: next_sequence and, from 0013 on,
    state_sequence."""
    assets = sa.table(
        "assets",
        *(
            sa.column(name, kind)
            for name, kind in (
                ("id", sa.Uuid()),
                ("user_id", sa.Uuid()),
                ("name", sa.String()),
                ("type", sa.String()),
                ("currency", sa.String()),
                ("created_at", UTCDateTime()),
                ("updated_at", UTCDateTime()),
            )
        ),
        *(sa.column(name, sa.Integer()) for name in sequences),
    )
    connection.execute(
        _USERS.insert().values(
            id=user_id,
            email="a@example.com",
            hashed_password="h",
            created_at=now,
            last_entry_number=last_entry_number,
        )
    )
    connection.execute(
        assets.insert().values(
            id=asset_id,
            user_id=user_id,
            name="ACME",
            type="stock",
            currency="USD",
            created_at=now,
            updated_at=now,
            **sequences,
        )
    )


# --- 0012: cost-basis methods, sell allocations, corporate actions --------------------------


def test_0012_gives_every_asset_fifo_and_its_downgrade_keeps_every_row(
    fresh_engine: Engine,
) -> None:
    upgrade(fresh_engine, "0011")
    user_id, asset_id, tx_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    transactions = sa.table(
        "transactions",
        sa.column("id", sa.Uuid()),
        sa.column("user_id", sa.Uuid()),
        sa.column("asset_id", sa.Uuid()),
        sa.column("type", sa.String()),
        sa.column("quantity", ExactDecimal()),
        sa.column("price_per_unit", ExactDecimal()),
        sa.column("fee", ExactDecimal()),
        sa.column("trade_date", sa.Date()),
        sa.column("entry_number", sa.BigInteger()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with fresh_engine.begin() as connection:
        _insert_owner_and_asset(connection, user_id, asset_id, now, 1, next_sequence=1)
        connection.execute(
            transactions.insert().values(
                id=tx_id,
                user_id=user_id,
                asset_id=asset_id,
                type="buy",
                quantity=Decimal("10"),
                price_per_unit=Decimal("1.5"),
                fee=Decimal(0),
                trade_date=date(2024, 1, 1),
                entry_number=1,
                created_at=now,
                updated_at=now,
            )
        )
    upgrade(fresh_engine)
    with fresh_engine.connect() as connection:
        method = connection.execute(text("SELECT cost_basis_method FROM assets")).scalar_one()
    assert method == "fifo"
    downgrade(fresh_engine, "0011")
    with fresh_engine.connect() as connection:
        counts = [
            connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("users", "assets", "transactions")
        ]
    assert counts == [1, 1, 1]
    assert "corporate_actions" not in inspect(fresh_engine).get_table_names()
    upgrade(fresh_engine)
    assert {"corporate_actions", "sell_allocations"} <= set(inspect(fresh_engine).get_table_names())


def test_0014_downgrade_leaves_every_asset_to_rebuild_its_segments(fresh_engine: Engine) -> None:
    # Segments are a cache in the format of the code that wrote them: after a downgrade no
    # asset may still trust its stored segments (0014's code could read a summary with null
    # priced days; a future format need not be readable by 0013's code at all).
    upgrade(fresh_engine, "0014")
    user_id, asset_id = uuid.uuid4(), uuid.uuid4()
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with fresh_engine.begin() as connection:
        _insert_owner_and_asset(
            connection, user_id, asset_id, now, 0, next_sequence=3, state_sequence=3
        )
    downgrade(fresh_engine, "0013")
    with fresh_engine.connect() as connection:
        rows = connection.execute(text("SELECT next_sequence, state_sequence FROM assets")).all()
    assert [tuple(r) for r in rows] == [(3, None)]
    upgrade(fresh_engine)
