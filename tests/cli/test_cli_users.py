"""`portfolio-tracker users ...` on SQLite and PostgreSQL: the first account is admin (once,
even when two sign up at the same moment), the list, disable (sessions and API tokens dead
at once, sign-in refused with 403) and enable, granting and revoking admin."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from portfolio_tracker.accounts.service import ACCOUNT_DISABLED, create_user
from portfolio_tracker.cli import app as cli
from portfolio_tracker.db.models import User
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.settings import get_settings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from support import ApiUser

PASSWORD = "a perfectly fine passphrase"


@pytest.fixture
def cli_database(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The test's database as DATABASE_URL for the command line."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def admins(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(User.email).where(User.is_admin)))


def listed(engine: Engine) -> dict[str, list[str]]:
    """`users list` as {email: the other cells}, checked to end with the count line."""
    result = run("users", "list")
    assert result.exit_code == 0, result.output
    header, *rows, total = result.output.splitlines()
    assert header.split() == [
        "EMAIL", "CREATED", "ADMIN", "DISABLED", "ASSETS", "TRANSACTIONS", "LAST", "ACTIVE"
    ]  # fmt: skip
    assert total == f"{len(rows)} accounts"
    cells = [row.split("  ") for row in rows]
    return {c[0]: [x.strip() for x in c[1:] if x.strip()] for c in cells}


def test_the_first_account_is_admin_and_the_list_counts_rows(
    cli_database: None, engine: Engine, make_user: Callable[..., ApiUser]
) -> None:
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    made = CliRunner().invoke(
        cli, ["create-user", "carol@example.com", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert made.exit_code == 0, made.output
    assert "admin" not in made.output
    gold = alice.create_asset(unit="gram", currency="TRY")
    alice.trade(gold["id"], "buy", "10", "2000", "2024-01-02")
    alice.trade(gold["id"], "sell", "4", "2100", "2024-02-02")
    bob.create_asset(name="Silver", unit="gram", currency="TRY")

    assert admins(engine) == {"alice@example.com"}
    table = listed(engine)
    assert list(table) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    created, admin, disabled, assets, trades, last = table["alice@example.com"]
    assert (admin, disabled, assets, trades) == ("yes", "-", "1", "2")
    assert last != "-" and created[:4] == last[:4]
    assert table["bob@example.com"][1:5] == ["no", "-", "1", "0"]
    assert table["carol@example.com"][1:] == ["no", "-", "0", "0", "-"]  # never signed in


def test_create_user_says_when_the_account_is_the_first(cli_database: None) -> None:
    made = CliRunner().invoke(
        cli, ["create-user", "first@example.com", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert made.exit_code == 0, made.output
    assert "admin: the first account" in made.output


def test_of_concurrent_first_sign_ups_exactly_one_is_admin(engine: Engine) -> None:
    """Four sign-ups each write their row and wait until all four have (as far as the
    database lets them: SQLite has one writer at a time) before deciding who is first."""
    factory = build_session_factory(engine)
    gate = threading.Barrier(4, timeout=3)
    errors: list[BaseException] = []

    def sign_up(n: int) -> None:
        with factory() as db:

            def wait_for_the_others(*_: object) -> None:
                # SQLite: the others queue behind this writer and the barrier breaks.
                with contextlib.suppress(threading.BrokenBarrierError):
                    gate.wait()

            event.listen(db, "after_flush", wait_for_the_others, once=True)
            try:
                create_user(db, f"racer{n}@example.com", PASSWORD, None)
                db.commit()
            except BaseException as exc:  # reported below
                errors.append(exc)

    threads = [threading.Thread(target=sign_up, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with Session(engine) as db:
        assert db.scalar(select(User.id).where(User.email == "racer0@example.com")) is not None
    assert len(admins(engine)) == 1


def signin(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/signin", json={"email": email, "password": password})


def test_disable_revokes_everything_at_once_and_enable_lets_them_back(
    cli_database: None, engine: Engine, client: TestClient, make_user: Callable[..., ApiUser]
) -> None:
    make_user("admin@example.com")
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    token = alice.post("/api/tokens", json={"name": "script"}).json()["token"]
    assert alice.client.get("/api/assets").status_code == 200  # her cookie works

    result = run("users", "disable", "  ALICE@example.com ")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("alice@example.com: disabled")

    assert alice.get("/api/assets").status_code == 401  # her sign-in's bearer token
    assert alice.client.get("/api/assets").status_code == 401  # her cookie
    dead = client.get("/api/assets", headers={"Authorization": f"Bearer {token}"})
    assert dead.status_code == 401
    refused = signin(client, alice.email)
    assert refused.status_code == 403
    assert refused.json()["detail"] == ACCOUNT_DISABLED
    assert "set-cookie" not in refused.headers
    assert signin(client, alice.email, "not her password at all").status_code == 401
    assert bob.get("/api/assets").status_code == 200  # nobody else is touched
    assert listed(engine)["alice@example.com"][2] != "-"

    again = run("users", "disable", alice.email)  # disabling twice is harmless
    assert again.exit_code == 0, again.output

    enabled = run("users", "enable", alice.email)
    assert enabled.exit_code == 0, enabled.output
    assert alice.get("/api/assets").status_code == 401  # old sessions stay revoked
    back = signin(client, alice.email)
    assert back.status_code == 200, back.text
    fresh = back.json()["token"]
    assert (
        client.get("/api/assets", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    )
    assert listed(engine)["alice@example.com"][2] == "-"


def test_the_sign_in_page_says_the_account_is_disabled(
    cli_database: None, client: TestClient, make_user: Callable[..., ApiUser]
) -> None:
    alice = make_user("alice@example.com")
    assert run("users", "disable", alice.email).exit_code == 0
    page = client.get("/signin")
    assert page.status_code == 200
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post(
        "/signin",
        data={"email": alice.email, "password": PASSWORD, "csrf_token": csrf},
        headers={"Origin": str(client.base_url)},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert "This account is disabled." in answer.text
    assert "pt_session" not in answer.headers.get("set-cookie", "")


def test_make_and_revoke_admin(
    cli_database: None, engine: Engine, make_user: Callable[..., ApiUser]
) -> None:
    make_user("first@example.com")
    make_user("second@example.com")

    made = run("users", "make-admin", "second@example.com")
    assert made.exit_code == 0, made.output
    assert admins(engine) == {"first@example.com", "second@example.com"}
    revoked = run("users", "revoke-admin", "first@example.com")
    assert revoked.exit_code == 0, revoked.output
    assert admins(engine) == {"second@example.com"}
    assert listed(engine)["first@example.com"][1] == "no"


@pytest.mark.parametrize("command", ["disable", "enable", "make-admin", "revoke-admin"])
def test_an_unknown_email_is_one_line_and_changes_nothing(
    cli_database: None,
    command: str,
    make_user: Callable[..., ApiUser],
    count_rows: Callable[[], dict[str, int]],
) -> None:
    make_user("someone@example.com")
    before = count_rows()
    result = run("users", command, "nobody@example.com")
    assert result.exit_code == 1
    assert result.output.splitlines() == ["error: No account with the email 'nobody@example.com'."]
    assert count_rows() == before
