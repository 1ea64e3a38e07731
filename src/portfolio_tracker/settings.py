"""Application settings, read once from the environment (and an optional `.env`).

Every field is documented in README.md; defaults work on a laptop with no set-up.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./data/portfolio.db",
        description="SQLAlchemy URL. SQLite file by default; "
        "PostgreSQL as postgresql+psycopg://user:pass@host:5432/db.",
    )
    db_connect_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Longest wait to open a database connection (PostgreSQL counts whole "
        "seconds, at least 2); then the request answers 503.",
    )
    db_pool_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Longest wait for a free connection of the pool; then 503.",
    )
    db_statement_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        le=3600,
        description="Longest run of one statement (PostgreSQL statement_timeout; SQLite's "
        "wait for a lock); then 503.",
    )
    host: str = Field(default="127.0.0.1", description="Address the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Worker processes of `portfolio-tracker serve` (each as fast per request "
        "as one; use Redis to share rate limits and caches between them).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body accepted (checked while it is read); larger ones "
        "get 413 before anything else, even before authentication.",
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        description="Largest body of the upload routes (the CSV import) instead of MAX_BODY_BYTES.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Optional Redis URL (redis://host:6379/0). When set, rate limits and "
        "caches are shared by every app process through it.",
    )
    redis_timeout_seconds: float = Field(
        default=0.5,
        gt=0,
        le=30,
        description="Longest wait for Redis to connect or answer one command; then the app "
        "works in process (counts, caches) instead.",
    )
    redis_cooldown_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="After a Redis failure, how long every Redis use is skipped (in-process "
        "rate limits, cache misses) before one call tries Redis again.",
    )
    cookie_secure: bool = Field(
        default=False,
        description="Always mark the session cookie Secure. It is marked Secure anyway "
        "whenever the request arrived over HTTPS.",
    )
    trusted_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated extra origins (scheme://host[:port]) allowed to make "
        "cookie-authenticated POST/PUT/DELETE requests. The app's own origin is always allowed.",
    )
    session_ttl_days: int = Field(
        default=7, ge=1, le=365, description="Days a session lives after its last extension."
    )
    session_refresh_after_seconds: int = Field(
        default=86400,
        ge=0,
        description="A session used this long after its last extension is extended again.",
    )
    auth_rate_limit: str = Field(
        default="5/minute",
        description="Failed sign-ins (and refused sign-ups) allowed per email address from one "
        "client IP, in the `limits` notation (e.g. '5/minute', '20/hour'); then 429 with "
        "Retry-After for that pair, even with the right password.",
    )
    auth_email_rate_limit: str = Field(
        default="30/hour",
        description="Failed sign-ins allowed per email address from all IPs together; then only "
        "IPs the account signed in from before (in the last 30 days) may still try.",
    )
    auth_ip_rate_limit: str = Field(
        default="20/minute",
        description="Failed sign-ins (and refused sign-ups) allowed per client IP across all "
        "emails; then only accounts that signed in from that IP before may still try.",
    )
    auth_signup_rate_limit: str = Field(
        default="10/hour",
        description="Sign-ups allowed per client IP, successful or not.",
    )
    session_max_age_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Days after which a session ends however often it is used (absolute "
        "lifetime, besides SESSION_TTL_DAYS of idleness).",
    )
    price_rate_limit: str = Field(
        default="60/minute",
        description="Requests to the /api/prices/ endpoints allowed per user, in the `limits` "
        "notation (e.g. '60/minute'); shared through Redis when REDIS_URL is set.",
    )
    price_backfill_on_create: bool = Field(
        default=True,
        description="Fetch in the background, when an asset is created, up to 10 years of its "
        "daily price history and of the exchange rates it needs against the user's base "
        "currency; and, when a transaction predates the stored rates, the missing older rates.",
    )
    rate_limit_key_prefix: str = Field(
        default="pt-limits",
        description="Prefix of rate-limit keys in Redis (lets several deployments share one).",
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated addresses of the reverse proxies whose X-Forwarded-For/"
        "-Proto headers are trusted (uvicorn's --forwarded-allow-ips). Empty: none, the "
        "client address is the peer's. Set it to the proxy's address behind one.",
    )
    log_level: str = Field(default="INFO", description="Log level of the JSON logs.")
    sentry_dsn: str | None = Field(
        default=None,
        description="Report errors to Sentry at this DSN (errors only, no personal data); "
        "unset: off.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, `/metrics` answers only requests with `Authorization: Bearer "
        "<this token>` (401 otherwise); unset: open (keep it off the public proxy).",
    )
    jobs_in_app: bool | None = Field(
        default=None,
        description="Run the scheduled jobs inside the app process. Unset: on for SQLite, "
        "off for PostgreSQL (run `portfolio-tracker worker` instead). Several processes "
        "running them is safe: each scheduled run happens once.",
    )
    jobs_tick_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="How often the scheduler looks for due jobs."
    )
    jobs_lease_seconds: float = Field(
        default=60.0,
        ge=0.5,
        le=3600,
        description="A running job renews its lease (a heartbeat in `job_runs`) every third "
        "of this; a run whose lease lapsed (its process died) is marked `abandoned` by the "
        "next scheduler pass of any app process or worker.",
    )
    price_refresh_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="The latest prices of held symbols (and FX rates) are refreshed every N "
        "minutes.",
    )
    daily_jobs_hour: int = Field(
        default=2,
        ge=0,
        le=23,
        description="Hour (UTC) of the daily jobs: history and rates backfill, portfolio "
        "snapshot, backup.",
    )
    backup_dir: str = Field(
        default="./data/backups", description="Where `backup` and the daily backup job write."
    )
    backup_keep_days: int = Field(
        default=7, ge=1, description="Backups older than this many days are deleted."
    )

    app_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The address users reach the app at (scheme://host[:port][/prefix]); "
        "links in emails (unsubscribe, the app) start with it.",
    )
    alerts_evaluate_minutes: int = Field(
        default=15,
        ge=1,
        le=1440,
        description="Alerts are evaluated against the stored latest prices every N minutes "
        "(after the price refresh of the same tick).",
    )
    daily_summary_hour: int = Field(
        default=6,
        ge=0,
        le=23,
        description="Hour (UTC) the daily summary email goes to the users who asked for it.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server that sends the emails (alerts, daily summary). Unset: no email "
        "is sent (in-app notifications and webhooks still work).",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(
        default=None, description="SMTP login (unset: no authentication)."
    )
    smtp_password: SecretStr | None = Field(
        default=None, description="SMTP password (never logged)."
    )
    smtp_from: str = Field(
        default="Portfolio Tracker <portfolio-tracker@localhost>",
        description="From address of the emails.",
    )
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        default="starttls",
        description="`starttls` (upgrade after connecting, port 587), `tls` (TLS from the "
        "start, port 465) or `none` (plain text: a local relay only).",
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="Longest wait for the SMTP server per step."
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="Longest wait for a webhook's answer."
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow webhooks to private, loopback, link-local and other non-public "
        "addresses (refused by default: a user's URL must not reach the server's own network).",
    )
    delivery_max_attempts: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Attempts of one email or webhook delivery before it is given up (dead).",
    )
    delivery_backoff_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="Wait before the first retry of a failed delivery; doubled after each "
        "further failure (at most 6 hours).",
    )

    @property
    def run_jobs_in_app(self) -> bool:
        """JOBS_IN_APP, or when unset: on for SQLite (one process), off otherwise."""
        if self.jobs_in_app is not None:
            return self.jobs_in_app
        return self.database_url.startswith("sqlite")

    @field_validator("trusted_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
