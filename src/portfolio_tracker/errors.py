"""Domain errors: what a service refuses, independent of how the refusal is delivered.

Services raise these; the HTTP kit maps each class to a status code and a JSON body in one
place (`portfolio_tracker.api.errors`). Nothing here knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence

from portfolio_tracker.engine.lots import OversellError


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

    def __init__(self, detail: str, loc: Sequence[str | int]) -> None:
        super().__init__(detail)
        self.loc = list(loc)


class TooLarge(DomainError):
    """The input is larger than the service accepts (e.g. an upload over its size limit)."""


class UnsupportedFormat(DomainError):
    """The input comes in a format the service does not read (e.g. a media type)."""


class HistoryBroken(OversellError):
    """An oversell refused with a place and a sentence for the caller: `loc` names what the
    request changed (["path", "transaction_id"] for a DELETE) and the message names the sell
    that would oversell and by how much. Still an OversellError, so its fields (sell_id, day,
    held, requested, shortfall) stay readable."""

    def __init__(self, cause: OversellError, message: str, loc: Sequence[str | int]) -> None:
        super().__init__(cause.sell_id, cause.day, cause.requested, cause.held)
        self.args = (message,)
        self.loc = list(loc)


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
