"""Sign-in and sign-up throttling: per (email, IP) pair, per email and per IP, 429 with
Retry-After, in memory or shared through Redis by several app instances; budgets that run
out never lock the owner out of a place they signed in from before."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from limits import parse as parse_limit

from portfolio_tracker.settings import Settings

SIGNIN = "/api/auth/signin"
SIGNUP = "/api/auth/signup"
LIMIT = 5  # every budget "5/minute"
LIMITS = {
    "auth_rate_limit": f"{LIMIT}/minute",
    "auth_email_rate_limit": f"{LIMIT}/minute",
    "auth_ip_rate_limit": f"{LIMIT}/minute",
}
OpenClient = Callable[..., TestClient]


def from_ip(open_client: OpenClient, app: FastAPI, ip: str) -> TestClient:
    return open_client(app, client=(ip, 50000))


def sign_up(open_client: OpenClient, app: FastAPI, email: str, password: str) -> None:
    # From an address of its own, so the sign-up budget never touches the sign-in tests.
    response = from_ip(open_client, app, "198.51.100.250").post(
        SIGNUP, json={"email": email, "password": password}
    )
    assert response.status_code == 201, response.text


def sign_in(client: TestClient, email: str, password: str) -> httpx.Response:
    response: httpx.Response = client.post(SIGNIN, json={"email": email, "password": password})
    return response


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 60
    assert isinstance(response.json()["detail"], str)
    assert "set-cookie" not in response.headers


@pytest.fixture
def limited_app(build_app: Callable[..., FastAPI]) -> FastAPI:
    return build_app(**LIMITS)


def test_the_sixth_failure_for_one_email_is_429_even_from_different_ips(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    sign_up(open_client, limited_app, "victim@example.com", password)
    for n in range(LIMIT):  # one failure per address: only the per-email count can trip
        client = from_ip(open_client, limited_app, f"192.0.2.{n + 1}")
        assert sign_in(client, "victim@example.com", "wrong password!").status_code == 401

    sixth = sign_in(from_ip(open_client, limited_app, "192.0.2.99"), "victim@example.com", "x")

    assert_throttled(sixth)


def test_the_sixth_failure_from_one_ip_is_429_across_different_emails(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    sign_up(open_client, limited_app, "real@example.com", password)
    attacker = from_ip(open_client, limited_app, "203.0.113.7")
    for n in range(LIMIT):
        assert sign_in(attacker, f"guess{n}@example.com", password).status_code == 401

    assert_throttled(sign_in(attacker, "another@example.com", password))
    # the right password from the throttled address is refused too ...
    assert_throttled(sign_in(attacker, "real@example.com", password))
    # ... while another address is unaffected
    other = from_ip(open_client, limited_app, "203.0.113.8")
    assert sign_in(other, "real@example.com", password).status_code == 200


def test_a_correct_password_while_throttled_is_still_429_and_opens_no_session(
    limited_app: FastAPI,
    open_client: OpenClient,
    count_rows: Callable[[], dict[str, int]],
    password: str,
) -> None:
    sign_up(open_client, limited_app, "victim@example.com", password)
    for n in range(LIMIT):
        client = from_ip(open_client, limited_app, f"192.0.2.{n + 1}")
        sign_in(client, "victim@example.com", "wrong password!")
    before = count_rows()

    response = sign_in(
        from_ip(open_client, limited_app, "192.0.2.50"), "victim@example.com", password
    )

    assert_throttled(response)
    assert count_rows() == before


def test_successful_signins_do_not_count_as_failures(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    sign_up(open_client, limited_app, "busy@example.com", password)
    client = from_ip(open_client, limited_app, "192.0.2.10")
    for _ in range(LIMIT + 2):
        assert sign_in(client, "busy@example.com", password).status_code == 200
    for _ in range(LIMIT):
        assert sign_in(client, "busy@example.com", "wrong password!").status_code == 401

    assert_throttled(sign_in(client, "busy@example.com", "wrong password!"))


def test_a_success_does_not_reset_the_failure_count(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    sign_up(open_client, limited_app, "victim@example.com", password)
    client = from_ip(open_client, limited_app, "192.0.2.10")
    for _ in range(LIMIT - 1):
        assert sign_in(client, "victim@example.com", "wrong password!").status_code == 401
    assert sign_in(client, "victim@example.com", password).status_code == 200
    assert sign_in(client, "victim@example.com", "wrong password!").status_code == 401  # 5th

    assert_throttled(sign_in(client, "victim@example.com", password))


def test_the_email_count_ignores_case_and_spaces(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    sign_up(open_client, limited_app, "victim@example.com", password)
    spellings = [
        "victim@example.com",
        "VICTIM@example.com",
        " Victim@Example.com",
        "victim@EXAMPLE.COM ",
        "ViCtIm@example.com",
    ]
    for n, email in enumerate(spellings):
        client = from_ip(open_client, limited_app, f"192.0.2.{n + 1}")
        assert sign_in(client, email, "wrong password!").status_code == 401

    assert_throttled(
        sign_in(from_ip(open_client, limited_app, "192.0.2.99"), "victim@example.com", password)
    )


def test_refused_signups_are_limited_per_ip(
    limited_app: FastAPI,
    open_client: OpenClient,
    count_rows: Callable[[], dict[str, int]],
    password: str,
) -> None:
    sign_up(open_client, limited_app, "taken@example.com", password)
    client = from_ip(open_client, limited_app, "203.0.113.20")
    for _ in range(LIMIT):  # probing for registered emails: each probe is a refused sign-up
        response = client.post(SIGNUP, json={"email": "taken@example.com", "password": password})
        assert response.status_code == 409
    before = count_rows()

    response = client.post(SIGNUP, json={"email": "fresh@example.com", "password": password})

    assert_throttled(response)
    assert count_rows() == before


def test_successful_signups_are_counted_per_ip_too(
    build_app: Callable[..., FastAPI], open_client: OpenClient, password: str
) -> None:
    """A script creating accounts (each an argon2 hash and rows) from one address is
    stopped at the default budget; another address is unaffected."""
    default = Settings.model_fields["auth_signup_rate_limit"].default
    app = build_app(auth_signup_rate_limit=default)
    budget = parse_limit(default).amount
    client = from_ip(open_client, app, "203.0.113.21")
    statuses = [
        client.post(SIGNUP, json={"email": f"u{n}@example.com", "password": password}).status_code
        for n in range(budget + 1)
    ]
    assert statuses == [201] * budget + [429]
    other = from_ip(open_client, app, "203.0.113.22")
    assert (
        other.post(SIGNUP, json={"email": "x@example.com", "password": password}).status_code == 201
    )


def test_refused_signups_are_limited_per_email(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    statuses = [
        from_ip(open_client, limited_app, f"203.0.113.{n + 30}")
        .post(SIGNUP, json={"email": "taken@example.com", "password": password})
        .status_code
        for n in range(LIMIT + 1)
    ]
    assert statuses == [201] + [409] * LIMIT

    response = from_ip(open_client, limited_app, "203.0.113.99").post(
        SIGNUP, json={"email": "taken@example.com", "password": password}
    )
    assert_throttled(response)


def test_the_ip_budget_is_separate_from_the_email_budget(
    build_app: Callable[..., FastAPI], open_client: OpenClient, password: str
) -> None:
    app = build_app(auth_rate_limit="2/minute", auth_ip_rate_limit="4/minute")
    client = from_ip(open_client, app, "198.51.100.7")
    statuses = [
        sign_in(client, f"nobody{n}@example.com", "wrong password!").status_code for n in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]


def test_memory_counts_belong_to_one_app_instance(
    build_app: Callable[..., FastAPI], open_client: OpenClient, password: str
) -> None:
    """The control for the Redis test below: without Redis, instances count apart."""
    app_a = build_app(**LIMITS)
    app_b = build_app(**LIMITS)
    sign_up(open_client, app_a, "victim@example.com", password)
    client_a = from_ip(open_client, app_a, "192.0.2.1")
    for _ in range(LIMIT):
        assert sign_in(client_a, "victim@example.com", "wrong password!").status_code == 401

    client_b = from_ip(open_client, app_b, "192.0.2.1")
    assert sign_in(client_b, "victim@example.com", password).status_code == 200


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are removed afterwards."""
    import redis

    prefix = f"pt-test-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(redis_url)
    keys = list(connection.scan_iter(match=f"{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


@pytest.mark.redis
def test_redis_storage_throttles_the_sixth_failure(
    build_app: Callable[..., FastAPI],
    open_client: OpenClient,
    redis_url: str,
    redis_prefix: str,
    password: str,
) -> None:
    import redis

    app = build_app(**LIMITS, redis_url=redis_url, rate_limit_key_prefix=redis_prefix)
    sign_up(open_client, app, "victim@example.com", password)
    client = from_ip(open_client, app, "192.0.2.1")
    for _ in range(LIMIT):
        assert sign_in(client, "victim@example.com", "wrong password!").status_code == 401

    assert_throttled(sign_in(client, "victim@example.com", password))
    connection = redis.Redis.from_url(redis_url)
    try:  # the counts really live in Redis, under this deployment's prefix
        assert list(connection.scan_iter(match=f"{redis_prefix}*"))
    finally:
        connection.close()


@pytest.mark.redis
def test_two_app_instances_sharing_redis_share_the_count(
    build_app: Callable[..., FastAPI],
    open_client: OpenClient,
    redis_url: str,
    redis_prefix: str,
    password: str,
) -> None:
    def instance(prefix: str) -> FastAPI:
        return build_app(**LIMITS, redis_url=redis_url, rate_limit_key_prefix=prefix)

    app_a, app_b = instance(redis_prefix), instance(redis_prefix)
    sign_up(open_client, app_a, "victim@example.com", password)
    client_a = from_ip(open_client, app_a, "192.0.2.1")
    for _ in range(LIMIT):
        assert sign_in(client_a, "victim@example.com", "wrong password!").status_code == 401

    client_b = from_ip(open_client, app_b, "192.0.2.2")
    assert_throttled(sign_in(client_b, "victim@example.com", password))
    # another deployment (another prefix) on the same Redis keeps its own counts
    app_c = instance(redis_prefix + "-other")
    client_c = from_ip(open_client, app_c, "192.0.2.3")
    assert sign_in(client_c, "victim@example.com", password).status_code == 200


def test_with_redis_unreachable_sign_in_works_and_is_still_throttled_in_process(
    build_app: Callable[..., FastAPI], open_client: OpenClient, password: str
) -> None:
    app = build_app(
        auth_rate_limit="2/minute",
        auth_ip_rate_limit="100/minute",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
    )
    client = from_ip(open_client, app, "198.51.100.9")
    signup = client.post(SIGNUP, json={"email": "down@example.com", "password": password})
    assert signup.status_code == 201
    assert sign_in(client, "down@example.com", password).status_code == 200
    statuses = [
        sign_in(client, "down@example.com", "wrong password!").status_code for _ in range(3)
    ]
    assert statuses == [401, 401, 429]


def test_a_spent_email_budget_does_not_lock_the_owner_out_of_a_known_place(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    sign_up(open_client, limited_app, "owner@example.com", password)
    home = from_ip(open_client, limited_app, "192.0.2.200")
    assert sign_in(home, "owner@example.com", password).status_code == 200
    for n in range(LIMIT * 2):  # someone who knows the address, from many places
        attacker = from_ip(open_client, limited_app, f"198.51.100.{n + 1}")
        sign_in(attacker, "owner@example.com", "wrong password!")
    assert_throttled(
        sign_in(from_ip(open_client, limited_app, "198.51.100.99"), "owner@example.com", "x")
    )

    # The owner at home, where they signed in before, still gets in.
    assert sign_in(home, "owner@example.com", password).status_code == 200


def test_a_spent_ip_budget_does_not_lock_out_colleagues_behind_the_same_nat(
    limited_app: FastAPI, open_client: OpenClient, password: str
) -> None:
    office = "203.0.113.50"
    sign_up(open_client, limited_app, "colleague@example.com", password)
    sign_up(open_client, limited_app, "newcomer@example.com", password)
    colleague = from_ip(open_client, limited_app, office)
    assert sign_in(colleague, "colleague@example.com", password).status_code == 200
    guesser = from_ip(open_client, limited_app, office)
    for n in range(LIMIT):
        assert sign_in(guesser, f"guess{n}@example.com", "wrong password!").status_code == 401
    assert_throttled(sign_in(guesser, "newcomer@example.com", password))

    assert sign_in(colleague, "colleague@example.com", password).status_code == 200
