"""Schemathesis over /openapi.json with a signed-in user: no input the schema allows (or
breaks) may produce a 5xx, and every response must match what the document says."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

if TYPE_CHECKING:
    from support import ApiUser

EXAMPLES_PER_OPERATION = 40
# Operations with business rules a schema cannot express, where schema-valid data may still
# be refused with a correct 422: a common password, a date in the future, an oversell, a
# range over 30 years or ending before it starts.
# Everywhere else the document says exactly what is accepted.
BUSINESS_RULES = {
    "POST /api/auth/signup",
    "POST /api/transactions",
    "PUT /api/transactions/{transaction_id}",
    "DELETE /api/transactions/{transaction_id}",
    "POST /api/prices/manual",
    "GET /api/portfolio/history",
    "POST /api/import",  # a schema-valid string is rarely a valid transactions CSV
    "POST /api/auth/password",  # the current password must be the right one
    "DELETE /api/account",  # the password must be the right one
}


def test_the_api_never_fails_and_keeps_its_contract(
    app: FastAPI, make_user: Callable[..., ApiUser]
) -> None:
    user = make_user()
    asset = user.create_asset()
    user.trade(asset["id"], "buy", "10", "2000", "2024-01-02")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    for operation in operations:
        label = operation.label

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case: schemathesis.Case) -> None:
            calls.append(label)  # noqa: B023 - runs before the loop moves on
            excluded = (
                [schemathesis.checks.positive_data_acceptance]
                if label in BUSINESS_RULES  # noqa: B023
                else []
            )
            case.call_and_validate(headers=user.headers, excluded_checks=excluded)

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert set(calls) == {operation.label for operation in operations}
    assert len(calls) >= 10 * len(operations)
