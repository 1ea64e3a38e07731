"""Killing the process between (or in the middle of) writes and the reads that write
checkpoints back never leaves stored state that disagrees with the transactions: a child
process hammers one account with appends, back-dated trades, edits, deletes and reads (each
read queues a write-back) and is SIGKILLed at a random moment, several times; after each
kill the figures from the stored state equal a full replay. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from tests.state.test_incremental import assert_state_equals_replay

if TYPE_CHECKING:
    from support import ApiUser

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import random, sys
from datetime import date, timedelta
from fastapi.testclient import TestClient
from portfolio_tracker.app import create_app
from portfolio_tracker.db.session import build_engine
from portfolio_tracker.state import store, views
from support import make_settings

store.SEGMENT_SIZE, store.SPLIT_AT, views.SEGMENT_SIZE = 3, 6, 3
url, token, assets, seed = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4])
engine = build_engine(url)
rng = random.Random(seed)
headers = {"Authorization": f"Bearer {token}"}
day0 = date(2024, 1, 1)
with TestClient(create_app(make_settings(engine), engine)) as client:
    print("ready", flush=True)
    step = 0
    while True:
        step += 1
        asset = rng.choice(assets)
        roll = rng.random()
        if roll < 0.45:
            offset = 400 + step if rng.random() < 0.6 else rng.randint(0, 400)
            client.post("/api/transactions", headers=headers, json={
                "asset_id": asset, "type": rng.choice(["buy", "buy", "sell"]),
                "quantity": rng.choice(["1", "2", "0.5"]), "price_per_unit": "10",
                "transaction_date": (day0 + timedelta(days=offset)).isoformat()})
        elif roll < 0.65:
            rows = client.get(f"/api/transactions?asset_id={asset}", headers=headers).json()
            if rows:
                tx = rng.choice(rows)["id"]
                body = rng.choice([{"quantity": "3"}, {"transaction_date": "2024-02-01"},
                                   {"asset_id": rng.choice(assets)}])
                client.put(f"/api/transactions/{tx}", headers=headers, json=body)
        elif roll < 0.75:
            rows = client.get(f"/api/transactions?asset_id={asset}", headers=headers).json()
            if rows:
                client.delete(f"/api/transactions/{rng.choice(rows)['id']}", headers=headers)
        else:
            client.get("/api/portfolio", headers=headers)
        print(step, flush=True)
"""


def test_a_kill_between_writes_never_leaves_disagreeing_state(
    make_user: Callable[..., ApiUser], engine: Engine
) -> None:
    user = make_user()
    assets = [
        user.create_asset(name=f"K{i}", type="stock", ticker_symbol=f"K{i}", currency="USD")["id"]
        for i in range(2)
    ]
    url = engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests"), str(ROOT)]),
    }
    rng = random.Random(7)
    for round_ in range(4):
        child = subprocess.Popen(
            [
                sys.executable,
                "-W",
                "ignore",
                "-c",
                CHILD,
                url,
                user.token,
                ",".join(assets),
                str(round_),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == b"ready"
            steps = rng.randint(5, 40)
            for _ in range(steps):  # then killed in the middle of the next step
                assert child.stdout.readline(), "the child died"
            time.sleep(rng.uniform(0, 0.02))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert_state_equals_replay(engine, uuid.UUID(user.id))
    assert len(user.get("/api/transactions").json()) > 10  # the child did write
    # And the account still takes writes after the last kill.
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert user.trade(assets[0], "buy", "1", "10", yesterday).status_code == 201
    assert_state_equals_replay(engine, uuid.UUID(user.id))
