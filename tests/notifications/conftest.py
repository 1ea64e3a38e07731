"""Fixtures of the notification tests: a real SMTP server per test, settings that send
mail to it and allow webhooks to loopback (WEBHOOK_ALLOW_PRIVATE), the job's session
factory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from notify_servers import MailBox, smtp_server
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.settings import Settings
from support import make_settings


@pytest.fixture
def mailbox() -> MailBox:
    return MailBox()


@pytest.fixture
def smtp_port(mailbox: MailBox) -> Iterator[int]:
    with smtp_server(mailbox) as port:
        yield port


@pytest.fixture
def settings(engine: Engine, smtp_port: int) -> Settings:
    return make_settings(
        engine,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        smtp_timeout_seconds=5,
        webhook_allow_private=True,
        app_base_url="http://testserver",
        delivery_backoff_seconds=60,
        delivery_max_attempts=3,
    )


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return build_session_factory(engine)
