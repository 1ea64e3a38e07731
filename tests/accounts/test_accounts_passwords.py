"""Password storage: argon2id at OWASP's parameters, rehashed on sign-in when they change,
and an unknown email costs a verification like a known one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, select

from portfolio_tracker.accounts import security
from portfolio_tracker.db.models import User

if TYPE_CHECKING:
    from support import ApiUser

SIGNIN = "/api/auth/signin"
OWASP_PREFIX = "$argon2id$v=19$m=19456,t=2,p=1$"


def stored_hash(engine: Engine, email: str) -> str:
    with engine.connect() as connection:
        value: str = connection.execute(
            select(User.hashed_password).where(User.email == email)
        ).scalar_one()
    return value


def test_passwords_are_stored_as_argon2id_with_owasp_parameters(
    engine: Engine, alice: ApiUser, password: str
) -> None:
    hashed = stored_hash(engine, alice.email)

    assert hashed.startswith(OWASP_PREFIX)
    assert password not in hashed


def test_the_same_password_hashes_differently_for_two_users(
    engine: Engine, alice: ApiUser, bob: ApiUser
) -> None:
    assert stored_hash(engine, alice.email) != stored_hash(engine, bob.email)  # salted


def test_signin_rehashes_when_the_hashing_parameters_change(
    engine: Engine,
    client: TestClient,
    alice: ApiUser,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = stored_hash(engine, alice.email)
    stronger = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=19456, parallelism=1),))
    monkeypatch.setattr(security, "PASSWORD_HASHER", stronger)

    response = client.post(SIGNIN, json={"email": alice.email, "password": password})

    assert response.status_code == 200
    new = stored_hash(engine, alice.email)
    assert new != old
    assert new.startswith("$argon2id$v=19$m=19456,t=3,p=1$")
    again = client.post(SIGNIN, json={"email": alice.email, "password": password})
    assert again.status_code == 200
    assert stored_hash(engine, alice.email) == new  # already current: not rewritten


def test_signin_leaves_a_current_hash_alone(
    engine: Engine, client: TestClient, alice: ApiUser, password: str
) -> None:
    old = stored_hash(engine, alice.email)

    assert client.post(SIGNIN, json={"email": alice.email, "password": password}).status_code == 200
    assert stored_hash(engine, alice.email) == old


def test_a_failed_signin_does_not_rehash(
    engine: Engine,
    client: TestClient,
    alice: ApiUser,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = stored_hash(engine, alice.email)
    stronger = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=19456, parallelism=1),))
    monkeypatch.setattr(security, "PASSWORD_HASHER", stronger)

    response = client.post(SIGNIN, json={"email": alice.email, "password": password + "?"})

    assert response.status_code == 401
    assert stored_hash(engine, alice.email) == old


def test_an_unknown_email_still_costs_one_password_verification(
    client: TestClient,
    alice: ApiUser,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    hasher = security.PASSWORD_HASHER
    real_verify, real_verify_and_update = hasher.verify, hasher.verify_and_update

    def verify(pw: str | bytes, hashed: str | bytes) -> bool:
        calls.append("verify")
        return real_verify(pw, hashed)

    def verify_and_update(pw: str | bytes, hashed: str | bytes) -> tuple[bool, str | None]:
        calls.append("verify_and_update")
        return real_verify_and_update(pw, hashed)

    monkeypatch.setattr(hasher, "verify", verify)
    monkeypatch.setattr(hasher, "verify_and_update", verify_and_update)

    unknown = client.post(SIGNIN, json={"email": "ghost@example.com", "password": password})
    known = client.post(SIGNIN, json={"email": alice.email, "password": password + "!"})

    assert unknown.status_code == known.status_code == 401
    assert len(calls) == 2  # one argon2 verification each, found or not


def test_common_passwords_are_recognised_whatever_their_case() -> None:
    assert security.common_passwords()
    assert security.is_common_password("password123")
    assert security.is_common_password("PASSWORD123")
    assert not security.is_common_password("a perfectly fine passphrase")


def test_hash_and_verify_round_trip() -> None:
    hashed = security.hash_password("correct horse battery")

    assert hashed.startswith(OWASP_PREFIX)
    assert security.verify_password("correct horse battery", hashed) == (True, None)
    assert security.verify_password("wrong horse battery", hashed)[0] is False
    assert security.verify_password("correct horse battery", None) == (False, None)


def test_session_tokens_are_256_bit_and_stored_as_sha256() -> None:
    tokens = {security.new_session_token() for _ in range(100)}

    assert len(tokens) == 100
    assert all(len(token) == 43 for token in tokens)  # 32 bytes, URL-safe base64
    token = next(iter(tokens))
    digest = security.hash_token(token)
    assert len(digest) == 64
    assert token not in digest
    assert digest == security.hash_token(token)
