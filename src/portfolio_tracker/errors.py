"""Domain errors: what a service refuses, independent of how the refusal is delivered.

Services raise these; the HTTP kit maps each class to a status code and a JSON body in one
place (`portfolio_tracker.api.errors`). Nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base class: `detail` is a human-readable sentence saying what is wrong."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The row does not exist or is not the caller's (the two are indistinguishable)."""


class Conflict(DomainError):
    """The request clashes with what is stored (e.g. an email already registered)."""


class Unauthorized(DomainError):
    """No valid credentials came with the request."""


class Forbidden(DomainError):
    """Credentials are valid but the request is refused (e.g. an untrusted Origin)."""


class InvalidInput(DomainError):
    """A value that passed its own validation but breaks a rule across fields or rows.

    `loc` says where, as in a validation error: e.g. ("body", "quantity") or ("query", "from").
    """

    error_type = "value_error"  # the `type` of the 422's detail entry

    def __init__(self, detail: str, loc: Sequence[str | int]) -> None:
        super().__init__(detail)
        self.loc = list(loc)


class TooLarge(DomainError):
    """The input is larger than the service accepts (e.g. an upload over its size limit)."""


class UnsupportedFormat(DomainError):
    """The input comes in a format the service does not read (e.g. a media type)."""


class HistoryBroken(InvalidInput):
    """A write that would make a sell, at its place in the order of trades, sell more than
    is held then; `loc` names what the request changed (the path id for a DELETE)."""

    error_type = "oversell"


class RateLimited(DomainError):
    """Too many requests; `retry_after` is whole seconds until the next one may pass."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """A dependency (a price feed, Redis) is down and nothing stored can answer instead;
    `retry_after` is whole seconds after which asking again may succeed."""

    def __init__(self, detail: str, retry_after: int = 30) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)
