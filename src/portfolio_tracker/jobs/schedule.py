"""When a job is due: the scheduled slot a moment falls in (pure; UTC instants)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Every:
    """Every ``period``, on slots counted from the Unix epoch (15 minutes: :00, :15, …)."""

    period: timedelta

    def slot_at(self, now: datetime) -> datetime:
        """The latest slot at or before ``now`` (an aware UTC datetime)."""
        return EPOCH + ((now - EPOCH) // self.period) * self.period


@dataclass(frozen=True, slots=True)
class Daily:
    """Once a day at ``at`` (UTC)."""

    at: time

    def slot_at(self, now: datetime) -> datetime:
        today = datetime.combine(now.astimezone(UTC).date(), self.at, tzinfo=UTC)
        return today if today <= now else today - timedelta(days=1)


Cadence = Every | Daily
