"""Two imports of one user that both name a new asset: the one that waited for the other
must not create the asset a second time (PostgreSQL, where the two truly run at once)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, text

if TYPE_CHECKING:
    from support import ApiUser

FILE = (
    "asset_name,asset_type,unit,fineness,type,quantity,price_per_unit,transaction_date\n"
    "Gram gold,metal,gram,0.995,buy,10,2000,2024-01-02\n"
)


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    return bool(waiting)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)
def test_an_asset_recorded_while_an_import_waited_is_not_created_twice(
    engine: Engine, make_user: Callable[..., ApiUser], count_rows: Callable[[], dict[str, int]]
) -> None:
    alice = make_user()
    answer: dict[str, Any] = {}
    with engine.connect() as other:
        # Another import of Alice's, half done: it holds her row (entry numbers) and has
        # recorded "Gram gold", not yet committed.
        other.execute(
            text("UPDATE users SET last_entry_number = last_entry_number + 1 WHERE id = :id"),
            {"id": uuid.UUID(alice.id)},
        )
        other.execute(
            text(
                "INSERT INTO assets (id, user_id, name, type, currency, unit, fineness,"
                " price_source, next_sequence, created_at, updated_at) VALUES (:id, :user,"
                " 'Gram gold', 'metal', 'TRY', 'gram', 0.995, 'auto', 0, now(), now())"
            ),
            {"id": uuid.uuid4(), "user": uuid.UUID(alice.id)},
        )

        def run_import() -> None:
            headers = {**alice.headers, "Content-Type": "text/csv"}
            answer["response"] = alice.client.post(
                "/api/import?dry_run=false", content=FILE.encode(), headers=headers
            )

        importer = threading.Thread(target=run_import)
        importer.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock(engine):  # the import now waits for Alice's row
            assert importer.is_alive(), answer
            assert time.monotonic() < deadline, "the import never waited for the other one"
            time.sleep(0.02)
        before = count_rows()
        other.commit()
    importer.join(timeout=10)

    response = answer["response"]
    assert response.status_code == 409, response.text
    assert "Gram gold" in response.json()["detail"]
    # Nothing of the refused import was written: just the other one's asset is new.
    assert count_rows() == {**before, "assets": before["assets"] + 1}
    names = [asset["name"] for asset in alice.get("/api/assets").json()]
    assert names == ["Gram gold"]
    # Imported again, the file adds to the one asset.
    again = alice.client.post(
        "/api/import?dry_run=false",
        content=FILE.encode(),
        headers={**alice.headers, "Content-Type": "text/csv"},
    )
    assert again.status_code in (200, 201), again.text
    assert [asset["name"] for asset in alice.get("/api/assets").json()] == ["Gram gold"]
