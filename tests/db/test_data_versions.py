"""Data version counters only ever move forward, even past a restored older value."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import DataVersion
from portfolio_tracker.db.versions import bump_prices, bump_user, read_versions, user_scope


def test_each_bump_moves_the_version_forward(engine: Engine) -> None:
    user_id = uuid.uuid4()
    seen = []
    with Session(engine) as db:
        assert read_versions(db, user_id) == (0, 0)
        for _ in range(3):
            bump_user(db, user_id)
            bump_prices(db)
            db.commit()
            seen.append(read_versions(db, user_id))
    assert seen == sorted(set(seen))
    assert all(user > 0 and prices > 0 for user, prices in seen)


def test_a_restored_older_version_never_comes_back(engine: Engine) -> None:
    user_id = uuid.uuid4()
    with Session(engine) as db:
        bump_user(db, user_id)
        db.commit()
        cached_under = read_versions(db, user_id)[0]
        # A backup taken before that write is restored: the counter goes back to 1.
        db.execute(
            update(DataVersion).where(DataVersion.scope == user_scope(user_id)).values(version=1)
        )
        db.commit()
        bump_user(db, user_id)
        db.commit()
        assert read_versions(db, user_id)[0] > cached_under


def test_a_rolled_back_write_bumps_nothing(engine: Engine) -> None:
    user_id = uuid.uuid4()
    with Session(engine) as db:
        bump_user(db, user_id)
        db.rollback()
        assert read_versions(db, user_id) == (0, 0)
