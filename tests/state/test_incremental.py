"""The stored state is a cache of the transactions: after any sequence of writes through the
API (creates, edits, moves between assets, deletes, refused oversells, method changes,
corporate actions) and reads (which write checkpoints back), the figures assembled from the
stored segments and checkpoints equal a full replay of the transactions, and every stored
segment's summary equals its trades'. On SQLite and PostgreSQL.

Segments are made tiny (2 trades) so that short histories cross many checkpoints, splits and
write-backs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import Asset
from portfolio_tracker.engine.lots import OversellError
from portfolio_tracker.engine.methods import run_lots
from portfolio_tracker.engine.segments import (
    DaySeries,
    day_moves,
    realized_flows,
    summarize_segment,
)
from portfolio_tracker.portfolio.loading import load_assets, load_bases
from portfolio_tracker.portfolio.state_rebuild import rebuild_state
from portfolio_tracker.state import store, views
from portfolio_tracker.state.views import FiguresCache, asset_figures, asset_refs

if TYPE_CHECKING:
    from support import ApiUser

DAY0 = date(2024, 1, 1)
METHODS = ("fifo", "lifo", "hifo", "average", "specific")


@pytest.fixture(autouse=True)
def tiny_segments(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(store, "SEGMENT_SIZE", 2)
    monkeypatch.setattr(store, "SPLIT_AT", 4)
    monkeypatch.setattr(views, "SEGMENT_SIZE", 2)
    yield


def expected_figures(db: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """Every asset's figures by a full replay of its transactions."""
    assets = load_assets(db, user_id)
    bases = load_bases(db, user_id, assets)
    out = {}
    for a in assets:
        trades = store.load_trades_between(db, a.id)
        basis = bases.get(a.key)
        result = basis.run(trades) if basis else run_lots(trades)
        out[a.key] = (
            result.open_lots,
            result.quantity,
            result.cost_basis,
            result.average_cost,
            result.realized_pnl,
            {d: v for d, v in realized_flows(result.realizations).items()},
            DaySeries.of_moves(day_moves(trades)),
        )
    return out


def stored_figures(db: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """Every asset's figures from the stored state, as a reader after a restart sees them."""
    assets = load_assets(db, user_id)
    bases = load_bases(db, user_id, assets)
    refs = asset_refs(db, user_id)
    found = asset_figures(db, [refs[a.key] for a in assets], bases, FiguresCache(), None)
    out = {}
    for key, f in found.items():
        lots = f.lots
        flows = {d: v for d, v in f.flows().items()}
        out[key] = (
            lots.open_lots,
            lots.quantity,
            lots.cost_basis,
            lots.average_cost,
            lots.realized_pnl,
            flows,
            f.days(),
        )
    return out


def check_segments(db: Session, user_id: uuid.UUID) -> None:
    """Each trusted asset's stored segments partition its trades and summarise them exactly."""
    for asset_id, next_sequence, state_sequence in db.execute(
        select(Asset.id, Asset.next_sequence, Asset.state_sequence).where(Asset.user_id == user_id)
    ):
        if state_sequence != next_sequence:
            continue
        segments = store.load_segments(db, asset_id)
        trades = store.load_trades_between(db, asset_id)
        assert sum(s.summary.trades for s in segments) == len(trades)
        for i, segment in enumerate(segments):
            lo, hi = store.segment_bounds(segments, i)
            mine = [t for t in trades if (lo is None or t.day >= lo) and (hi is None or t.day < hi)]
            assert mine, "an empty segment was kept"
            assert segment.summary == summarize_segment(mine)
            assert segment.days(db) == day_moves(mine)


def assert_state_equals_replay(engine: Engine, user_id: uuid.UUID) -> None:
    with Session(engine) as db:
        check_segments(db, user_id)
        assert stored_figures(db, user_id) == expected_figures(db, user_id)


# --- the operations -------------------------------------------------------------------------

quantities = st.sampled_from(["1", "2", "0.5", "3", "1.25", "7"])
prices = st.sampled_from(["10", "12.5", "0", "9.99", "100"])
when = st.tuples(st.integers(0, 40), st.sampled_from([None, "09:30", "15:00"]))
operations = st.one_of(
    # An append: dated after every trade so far (the O(1) path of a write).
    st.tuples(
        st.just("append"),
        st.integers(0, 2),
        st.sampled_from(["buy", "buy", "sell"]),
        quantities,
        prices,
    ),
    st.tuples(
        st.just("trade"),
        st.integers(0, 2),
        st.sampled_from(["buy", "buy", "sell"]),
        quantities,
        prices,
        when,
    ),
    st.tuples(
        st.just("edit"),
        st.integers(0, 10**6),
        st.sampled_from(["quantity", "date", "asset", "type"]),
        quantities,
        when,
        st.integers(0, 2),
    ),
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("method"), st.integers(0, 2), st.sampled_from(METHODS)),
    st.tuples(st.just("split"), st.integers(0, 2), st.integers(0, 40)),
    st.tuples(
        st.just("read"),
    ),
    st.tuples(
        st.just("rebuild"),
    ),
)


def _day(offset_time: tuple[int, str | None]) -> str:
    offset, at = offset_time
    day = (DAY0 + timedelta(days=offset)).isoformat()
    return f"{day}T{at}:00" if at else day


def apply(
    op: tuple[Any, ...],
    user: ApiUser,
    assets: list[str],
    txs: list[str],
    app: FastAPI,
    engine: Engine,
) -> None:
    kind = op[0]
    if kind == "append":
        _, a, side, quantity, price = op
        op = ("trade", a, side, quantity, price, (41 + len(txs), "12:00"))
        kind = "trade"
    if kind == "trade":
        _, a, side, quantity, price, at = op
        r = user.trade(assets[a], side, quantity, price, _day(at))
        assert r.status_code in (201, 422), r.text
        if r.status_code == 201:
            txs.append(r.json()["id"])
        else:
            assert r.json()["detail"][0]["type"] == "oversell", r.text
    elif kind == "edit" and txs:
        _, pick, field, quantity, at, a = op
        tx = txs[pick % len(txs)]
        body: dict[str, Any] = {
            "quantity": {"quantity": quantity},
            "date": {"transaction_date": _day(at)},
            "asset": {"asset_id": assets[a]},
            "type": {"type": "sell" if pick % 2 else "buy"},
        }[field]
        r = user.put(f"/api/transactions/{tx}", json=body)
        assert r.status_code in (200, 422), r.text
    elif kind == "delete" and txs:
        tx = txs.pop(op[1] % len(txs))
        r = user.delete(f"/api/transactions/{tx}")
        assert r.status_code in (204, 422), r.text
        if r.status_code == 422:
            txs.append(tx)
    elif kind == "method":
        r = user.put(f"/api/assets/{assets[op[1]]}", json={"cost_basis_method": op[2]})
        assert r.status_code in (200, 422), r.text
    elif kind == "split":
        ex = (DAY0 + timedelta(days=op[2])).isoformat()
        r = user.post(
            f"/api/assets/{assets[op[1]]}/corporate-actions",
            json={"type": "split", "ex_date": ex, "numerator": "2", "denominator": "1"},
        )
        assert r.status_code in (201, 409, 422), r.text
    elif kind == "read":
        r = user.get("/api/portfolio")
        assert r.status_code == 200, r.text
        writer = app.state.portfolio_cache.writer
        writer.drain()
    elif kind == "rebuild":
        factory: Callable[[], Session] = lambda: Session(engine)  # noqa: E731
        report = rebuild_state(factory, uuid.UUID(user.id))
        assert report.skipped == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operations, min_size=1, max_size=25))
def test_incremental_state_equals_a_full_replay_after_every_step(
    ops: list[tuple[Any, ...]],
    make_user: Callable[..., ApiUser],
    app: FastAPI,
    engine: Engine,
) -> None:
    user = make_user()
    assets = [
        user.create_asset(name=f"S{i}", type="stock", ticker_symbol=f"S{i}", currency=ccy)["id"]
        for i, ccy in enumerate(("USD", "TRY", "USD"))
    ]
    txs: list[str] = []
    for op in ops:
        apply(op, user, assets, txs, app, engine)
        assert_state_equals_replay(engine, uuid.UUID(user.id))
    # And what the API shows agrees with the replay too (quantities, realised P&L).
    holdings = {h["asset_id"]: h for h in user.get("/api/portfolio").json()["holdings"]}
    with Session(engine) as db:
        expected = expected_figures(db, uuid.UUID(user.id))
    for key, figures in expected.items():
        assert Decimal(holdings[key]["quantity"]) == figures[1]


def test_an_append_after_a_read_resumes_from_the_written_back_checkpoint(
    alice: ApiUser, engine: Engine, app: FastAPI
) -> None:
    asset = alice.create_asset(name="S", type="stock", ticker_symbol="S", currency="USD")["id"]
    for i in range(7):
        side = "sell" if i % 3 == 2 else "buy"
        assert alice.trade(asset, side, "1", str(10 + i), _day((i, None))).status_code == 201
        alice.get("/api/portfolio")
        app.state.portfolio_cache.writer.drain()
        with Session(engine) as db:
            segments = store.load_segments(db, uuid.UUID(asset))
        assert segments[-1].lots_text is not None  # the read wrote the checkpoint back
        assert_state_equals_replay(engine, uuid.UUID(alice.id))
    # An edit of the oldest trade: every checkpoint goes stale in the write's transaction;
    # the writing process then recomputes the figures and writes the checkpoints back.
    first = alice.get(f"/api/transactions?asset_id={asset}").json()[0]["id"]
    assert alice.put(f"/api/transactions/{first}", json={"quantity": "3"}).status_code == 200
    app.state.portfolio_cache.writer.drain()
    with Session(engine) as db:
        assert store.load_segments(db, uuid.UUID(asset))[-1].lots_text is not None
    assert_state_equals_replay(engine, uuid.UUID(alice.id))


def test_a_refused_write_leaves_the_stored_state_as_it_was(
    alice: ApiUser, engine: Engine, app: FastAPI
) -> None:
    asset = alice.create_asset(name="S", type="stock", ticker_symbol="S", currency="USD")["id"]
    for i in range(6):
        assert alice.trade(asset, "buy", "1", "10", _day((i, None))).status_code == 201
    assert alice.trade(asset, "sell", "6", "10", _day((10, None))).status_code == 201
    alice.get("/api/portfolio")
    app.state.portfolio_cache.writer.drain()
    with Session(engine) as db:
        before = [
            (s.start_day, s.summary, s.lots_text, s.days(db))
            for s in store.load_segments(db, uuid.UUID(asset))
        ]
    first = alice.get(f"/api/transactions?asset_id={asset}").json()[0]["id"]
    refused = alice.put(f"/api/transactions/{first}", json={"quantity": "0.5"})
    assert refused.status_code == 422, refused.text
    assert "the later sell" in refused.json()["detail"][0]["msg"]
    with Session(engine) as db:
        after = [
            (s.start_day, s.summary, s.lots_text, s.days(db))
            for s in store.load_segments(db, uuid.UUID(asset))
        ]
    assert after == before
    assert_state_equals_replay(engine, uuid.UUID(alice.id))


def test_oversell_found_from_segment_sums_names_the_first_sell(alice: ApiUser) -> None:
    asset = alice.create_asset(name="S", type="stock", ticker_symbol="S", currency="USD")["id"]
    days = [_day((i, None)) for i in range(8)]
    for d in days[:4]:
        assert alice.trade(asset, "buy", "1", "10", d).status_code == 201
    for d in days[4:]:
        assert alice.trade(asset, "sell", "1", "10", d).status_code == 201
    sells = [t for t in alice.get(f"/api/transactions?asset_id={asset}").json()]
    oldest = sells[0]["id"]
    r = alice.delete(f"/api/transactions/{oldest}")
    assert r.status_code == 422
    message = r.json()["detail"][0]["msg"]
    # Without the first buy the last sell is the first to go short: held 0, selling 1.
    assert days[7][:10] in message and "by 1" in message, message
    with pytest.raises(OversellError):
        raise OversellError("x", DAY0, Decimal(1), Decimal(0))


def test_an_oversell_that_makes_the_last_segment_split_is_refused(
    alice: ApiUser, engine: Engine
) -> None:
    """The append that grows the last segment past SPLIT_AT (4 here) plans it again: the
    check must read the segments as written then (a regression: it read the old ones)."""
    asset = alice.create_asset(name="S", type="stock", ticker_symbol="S", currency="USD")["id"]
    for i in range(4):
        assert alice.trade(asset, "buy", "1", "10", _day((i, None))).status_code == 201
    refused = alice.trade(asset, "sell", "10", "10", _day((5, None)))
    assert refused.status_code == 422, refused.text
    assert "by 6" in refused.json()["detail"][0]["msg"]
    # A day with more trades than SPLIT_AT: every append to it re-plans, and is checked.
    for _ in range(6):
        assert alice.trade(asset, "buy", "1", "10", _day((6, None))).status_code == 201
    refused = alice.trade(asset, "sell", "100", "10", _day((6, None)))
    assert refused.status_code == 422, refused.text
    assert alice.trade(asset, "sell", "10", "10", _day((6, None))).status_code == 201
    assert_state_equals_replay(engine, uuid.UUID(alice.id))


def test_rebuild_state_names_a_broken_history_and_rebuilds_the_others(
    alice: ApiUser, engine: Engine
) -> None:
    from portfolio_tracker.db.models import Transaction

    good = alice.create_asset(name="Good", type="stock", ticker_symbol="G", currency="USD")
    bad = alice.create_asset(name="Bad", type="stock", ticker_symbol="B", currency="USD")
    assert alice.trade(good["id"], "buy", "1", "10", _day((0, None))).status_code == 201
    with Session(engine) as db:  # a sell beyond the holding, written around the API's checks
        db.add(
            Transaction(
                user_id=uuid.UUID(alice.id),
                asset_id=uuid.UUID(bad["id"]),
                type="sell",
                quantity=Decimal(5),
                price_per_unit=Decimal(1),
                fee=Decimal(0),
                trade_date=DAY0,
                entry_number=99,
            )
        )
        db.commit()
    report = rebuild_state(lambda: Session(engine), uuid.UUID(alice.id))
    assert report.assets == 1
    assert [(asset_id, name) for _, asset_id, name, _ in report.failed] == [
        (uuid.UUID(bad["id"]), "Bad")
    ]
