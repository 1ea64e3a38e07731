"""`portfolio-tracker rebuild-state`: rebuild every asset's stored state from its transactions.

The stored segments and checkpoints (``portfolio_tracker.state``) are a cache of the
transactions: this replaces them, asset by asset, each in its own short transaction, with
what a replay of the whole history gives. A write that lands on an asset while it is being
rebuilt wins (the rebuild of that asset is retried on the newer history).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portfolio_tracker.assets.ledger import Basis
from portfolio_tracker.db.models import Asset
from portfolio_tracker.portfolio.loading import AssetInfo, load_assets, load_bases
from portfolio_tracker.state.views import asset_refs, rebuild_rows, store_rebuild

ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class RebuildReport:
    users: int
    assets: int
    segments: int
    skipped: int  # assets that kept changing under the rebuild (retry later)
    # Assets whose history does not replay (a stored sell exceeding what is held: written
    # before its checks existed, or by hand): (user id, asset id, name, the engine's reason).
    failed: tuple[tuple[uuid.UUID, uuid.UUID, str, str], ...] = ()


def rebuild_state(
    sessions: Callable[[], Session], user_id: uuid.UUID | None = None
) -> RebuildReport:
    """Rebuild the stored state of one user's assets, or of everyone's (module doc)."""
    with sessions() as db:
        users = list(db.scalars(select(Asset.user_id).distinct())) if user_id is None else [user_id]
    assets = segments = skipped = 0
    failed: list[tuple[uuid.UUID, uuid.UUID, str, str]] = []
    for user in users:
        with sessions() as db:
            infos = load_assets(db, user)
        for info in infos:
            try:
                written = _rebuild_asset(sessions, user, info)
            except ValueError as exc:  # OversellError, AllocationError: the history is broken
                failed.append((user, info.id, info.name, str(exc)))
                continue
            if written is None:
                skipped += 1
            else:
                assets += 1
                segments += written
    return RebuildReport(len(users), assets, segments, skipped, tuple(failed))


def _rebuild_asset(
    sessions: Callable[[], Session], user_id: uuid.UUID, info: AssetInfo
) -> int | None:
    """Segments written for one asset; None when it kept changing (or was deleted)."""
    for _attempt in range(ATTEMPTS):
        with sessions() as db:
            ref = asset_refs(db, user_id).get(info.key)
            if ref is None:
                return None  # deleted meanwhile
            current = next((a for a in load_assets(db, user_id) if a.key == info.key), info)
            basis = load_bases(db, user_id, [current]).get(info.key) or Basis()
            _figures, rows = rebuild_rows(db, ref, basis)
            if store_rebuild(db, ref.id, ref.next_sequence, rows):
                db.commit()
                return len(rows)
            db.rollback()
    return None
