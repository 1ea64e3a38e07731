"""Every table, as SQLAlchemy 2 typed models. Models hold data; they compute nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portfolio_tracker.db.types import ExactDecimal, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The entry number the user's last new transaction got (see Transaction.entry_number).
    last_entry_number: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The first account of a database is made admin at sign-up (accounts.service); the CLI
    # grants and revokes it later.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set by `portfolio-tracker users disable`: no sign-in, no session, no API token.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    __tablename__ = "sessions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "web": a sign-in, extended when used; "api": a named API token (accounts.tokens), not
    # extended, whose refreshed_at is its last use.
    kind: Mapped[str] = mapped_column(String(8), default="web", server_default="web")
    name: Mapped[str | None] = mapped_column(String(100))
    # None only for an API token created without an expiry.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(64))


class Asset(Base):
    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("type IN ('metal', 'stock', 'fund', 'crypto')", name="type"),
        CheckConstraint(
            "cost_basis_method IN ('fifo', 'average', 'lifo', 'hifo', 'specific')",
            name="cost_basis_method",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    ticker_symbol: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="TRY")
    # How a metal is held (gram, troy_ounce, kilogram, a coin kind) and its fineness.
    unit: Mapped[str | None] = mapped_column(String(32))
    fineness: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    price_source: Mapped[str | None] = mapped_column(String(32), default="auto")
    # A security held abroad: the Türkiye mode of the realised-gains report declares it.
    foreign_security: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # How sells pick lots (engine.vocabulary.CostBasisMethod). Changing it recomputes every
    # figure from the history; no transaction is rewritten.
    cost_basis_method: Mapped[str] = mapped_column(
        String(16), default="fifo", server_default="fifo"
    )
    # Counts the writes to this asset's transactions: bumping it is how a write takes the
    # asset's lock (see the trade-history lock). It orders nothing.
    next_sequence: Mapped[int] = mapped_column(Integer, default=0)
    # The `next_sequence` the asset's stored segments (AssetSegment) were last brought up to
    # date at; any other value (a write that did not maintain them: an import, a corporate
    # action, a change of method) means they are rebuilt from the transactions before use.
    state_sequence: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AssetSegment(Base):
    """A stretch of whole days of one asset's history, from `start_day` to the next segment's
    (the first segment also holds any earlier day): a cache of its transactions (the state
    layer, `portfolio_tracker.state`; figures in engine.segments), rebuilt by
    `portfolio-tracker rebuild-state`.

    `head` and `summary` (JSON) stay true whatever changes in other segments: `head` the net
    quantity, lowest running net and last trade's order key (what the oversell check reads),
    `summary` one entry per day (net quantity, flow, last price). `lots` (JSON, NULL when a
    change on or before its days made it stale) holds the segment's realised flows by day
    and, at intervals, the engine's checkpoint after its last trade."""

    __tablename__ = "asset_segments"

    asset_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    start_day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    trades: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    lots: Mapped[str | None] = mapped_column(Text)


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        CheckConstraint("type IN ('buy', 'sell')", name="type"),
        UniqueConstraint("user_id", "entry_number", name="uq_transactions_user_id_entry_number"),
        # The one order of trades (engine.dates.order_key): day, time (nulls last), entry.
        # PostgreSQL's ascending index keeps NULLs last, so it serves that ORDER BY whole;
        # SQLite's serves the owner and the day and sorts within a day.
        Index(
            "ix_transactions_asset_order", "asset_id", "trade_date", "trade_time", "entry_number"
        ),
        Index("ix_transactions_user_order", "user_id", "trade_date", "trade_time", "entry_number"),
        # SQLite also has ix_transactions_asset_replay (migration 0014; an expression index,
        # which autogenerate cannot compare, so it lives in the migration alone): one asset's
        # trades in the order of trades with what a replay reads (db.trade_order).
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # user_id duplicates the asset's owner so ownership is one indexed predicate.
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal)
    price_per_unit: Mapped[Decimal] = mapped_column(ExactDecimal)
    fee: Mapped[Decimal] = mapped_column(ExactDecimal, default=Decimal(0))
    # When, as the user said it (engine.dates): the calendar day in the user's time zone, the
    # wall-clock time only when one was given, and that zone's UTC offset at the moment (in
    # seconds east of UTC; with the time, it gives the instant back).
    trade_date: Mapped[date] = mapped_column(Date)
    trade_time: Mapped[time | None] = mapped_column(Time)
    trade_utc_offset: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    # Per user, from User.last_entry_number when first entered; an edit or a move to another
    # asset never changes it. The last key of the order of trades.
    entry_number: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CorporateAction(Base):
    """A split, reverse split or bonus issue of one asset (engine.actions). `status`:
    `confirmed` (applied to every figure), `suggested` (offered from a price feed's split
    events, never applied until confirmed) or `dismissed` (a deleted suggestion, kept so the
    feed does not offer it again)."""

    __tablename__ = "corporate_actions"
    __table_args__ = (
        CheckConstraint("kind IN ('split', 'reverse_split', 'bonus')", name="kind"),
        CheckConstraint("status IN ('confirmed', 'suggested', 'dismissed')", name="status"),
        UniqueConstraint("asset_id", "ex_date", "kind", name="uq_corporate_actions_asset_day_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    ex_date: Mapped[date] = mapped_column(Date)
    numerator: Mapped[Decimal] = mapped_column(ExactDecimal)
    denominator: Mapped[Decimal] = mapped_column(ExactDecimal)
    status: Mapped[str] = mapped_column(String(16), default="confirmed")
    source: Mapped[str | None] = mapped_column(String(32))  # the feed of a suggestion
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SellAllocation(Base):
    """A piece of a sell under the `specific` method: `quantity` taken from the lot of the
    buy `buy_id` (engine.methods). `position` keeps the order the user gave."""

    __tablename__ = "sell_allocations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    sell_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("transactions.id", ondelete="CASCADE"), index=True
    )
    buy_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("transactions.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal)
    position: Mapped[int] = mapped_column(Integer)


# Integer keys for the big append-only tables (BIGINT on PostgreSQL; SQLite's rowid).
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")


class PriceHistory(Base):
    """Daily closes of an instrument as one source reported them."""

    __tablename__ = "price_history"
    __table_args__ = (
        UniqueConstraint("source", "symbol", "day", name="uq_price_history_source_symbol_day"),
        Index("ix_price_history_symbol_day", "symbol", "day"),
        # Covering: a history reads a series' closes from the index alone (migration 0014).
        Index("ix_price_history_series_closes", "source", "symbol", "day", "close", "currency"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    symbol: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    close: Mapped[Decimal] = mapped_column(ExactDecimal)
    currency: Mapped[str] = mapped_column(String(3))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeRate(Base):
    """One unit of `base` is worth `rate` units of `quote` on `day` (one rate per pair a day)."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        UniqueConstraint("base", "quote", "day", name="uq_exchange_rates_base_quote_day"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal)
    source: Mapped[str] = mapped_column(String(32))
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManualPrice(Base):
    """A price the user entered for one of their assets (one per asset a day)."""

    __tablename__ = "manual_prices"
    __table_args__ = (UniqueConstraint("asset_id", "day", name="uq_manual_prices_asset_day"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    price: Mapped[Decimal] = mapped_column(ExactDecimal)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManualRate(Base):
    """An exchange rate a user entered: 1 `base` = `rate` `quote` on `day`, for that user only
    (one per user, pair and day; each orientation of a pair is its own row)."""

    __tablename__ = "manual_rates"
    __table_args__ = (
        UniqueConstraint("user_id", "base", "quote", "day", name="uq_manual_rates_user_pair_day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndexValue(Base):
    """One month of a user's index series (e.g. Yİ-ÜFE): `month` is the month's first day."""

    __tablename__ = "index_values"
    __table_args__ = (
        UniqueConstraint("user_id", "name", "month", name="uq_index_values_user_name_month"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    month: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(ExactDecimal)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# What a user without stored settings gets (and a new settings row starts from).
DEFAULT_BASE_CURRENCY = "TRY"
DEFAULT_LOCALE = "tr-TR"
DEFAULT_TIME_ZONE = "Europe/Istanbul"


class UserSettings(Base):
    __tablename__ = "user_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    base_currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_BASE_CURRENCY)
    locale: Mapped[str] = mapped_column(String(16), default=DEFAULT_LOCALE)
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DataVersion(Base):
    """Counters that cached figures are keyed by: a write bumps the counter, so every app
    process sees at its next request that its cached figures are stale.

    One row per user (scope = the user id) and one global row (scope = 'prices')."""

    __tablename__ = "data_versions"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class JobRun(Base):
    """One run of a scheduled job. The unique (job, slot) row is also the run's claim: of
    several processes due to run the same slot, the one whose INSERT commits runs it."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job", "slot", name="uq_job_runs_job_slot"),
        Index("ix_job_runs_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(64))
    # The scheduled instant this run is for (UTC); a manual run uses the moment it was asked.
    slot: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # running | succeeded | failed | abandoned (its process died: the lease lapsed).
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    detail: Mapped[str | None] = mapped_column(Text)  # a summary, or the error
    worker: Mapped[str] = mapped_column(String(128))  # host:pid that ran it
    # While running: renewed by the run's heartbeat; once past, the run is abandoned.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PortfolioSnapshot(Base):
    """A user's portfolio value at the nightly snapshot, in their base currency."""

    __tablename__ = "portfolio_snapshots"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_portfolio_snapshots_user_day"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    market_value: Mapped[Decimal] = mapped_column(ExactDecimal)
    cost_basis: Mapped[Decimal] = mapped_column(ExactDecimal)
    unpriced_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alert(Base):
    """A user's price or portfolio alert (alerts/). ``price``: the latest stored price of
    one of their assets (``asset_id``) or of a feed symbol (``symbol_kind`` + ``symbol``)
    at or ``above``/``below`` ``level``; ``portfolio``: the day's move of the portfolio
    value at or beyond ±``move_pct`` %. Armed until it triggers once; re-armed by the user."""

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("kind IN ('price', 'portfolio')", name="kind"),
        CheckConstraint("state IN ('armed', 'triggered')", name="state"),
        Index("ix_alerts_state_kind", "state", "kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    asset_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("assets.id", ondelete="CASCADE"), index=True
    )
    symbol_kind: Mapped[str | None] = mapped_column(String(16))
    symbol: Mapped[str | None] = mapped_column(String(40))
    direction: Mapped[str | None] = mapped_column(String(8))  # above | below (price)
    level: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    move_pct: Mapped[Decimal | None] = mapped_column(ExactDecimal)  # 5 = 5 % (portfolio)
    note: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="armed")
    triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The price (in triggered_currency) or the day's move (a ratio, 0.05 = 5 %) it fired on.
    triggered_value: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    triggered_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Notification(Base):
    """An in-app notification (notifications/): unread while read_at is null."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Structured details (decimals as strings), e.g. the alert, price and level.
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationSettings(Base):
    """How a user wants to be told: email on alerts, the daily summary email, a webhook.
    No row: the defaults (email on alerts, no summary, no webhook)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    email_alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    # HMAC-SHA256 key of the webhook signature (shown to the user) and the key that signs
    # their unsubscribe links (never shown); both random, 256 bits, hex.
    webhook_secret: Mapped[str] = mapped_column(String(64))
    unsubscribe_key: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Delivery(Base):
    """The outbox: one email or webhook POST to make, retried with exponential backoff by
    the delivery job (pending → sent; failed while retrying; dead after the last attempt).
    ``dedupe_key`` makes an enqueue idempotent (one daily summary a user a day)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="channel"),
        CheckConstraint("status IN ('pending', 'failed', 'sent', 'dead')", name="status"),
        UniqueConstraint("dedupe_key", name="uq_deliveries_dedupe_key"),
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    notification_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("notifications.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(8))
    # email: {"to", "subject", "text", "html", "headers"}; webhook: {"body"} (the URL and
    # secret are read when sending, so a changed or removed webhook is honoured).
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
