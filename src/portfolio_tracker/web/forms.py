"""Form values in, the server's validation messages out, next to the field they concern.

A page validates a form with the same Pydantic body and service as the API route, so the
rules cannot drift; this module only turns a form into that body's input and the 422
`detail` items ({loc, msg, type}) into {field name: [message, ...]} in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from portfolio_tracker.errors import InvalidInput
from portfolio_tracker.web import csrf

FORM = "__form__"  # messages about the whole form, shown above it
Errors = dict[str, list[str]]
Translate = Callable[..., str]

_LOCATION_PREFIXES = ("body", "query", "path")


def N_(message: str) -> str:
    """Marks a msgid for extraction; it is translated where it is shown."""
    return message


# The API validators' own words that forms show: their English text is the msgid.
SERVER_MESSAGES = (
    N_("this password is too common; choose another"),
    N_("not a valid email address"),
    N_("unknown IANA time zone (e.g. Europe/Istanbul, UTC)"),
    N_("not an IANA time zone name (e.g. Europe/Istanbul)"),
    N_("is not your current password"),
)


def form_values(
    form: FormData, fields: Iterable[str], *, optional: Iterable[str] = ()
) -> dict[str, Any]:
    """The named text fields of a submitted form; optional ones left out when blank."""
    values: dict[str, Any] = {}
    blank_means_absent = set(optional)
    for name in fields:
        value = form.get(name)
        if not isinstance(value, str):
            if name not in blank_means_absent:
                values[name] = ""
            continue
        if name in blank_means_absent and not value.strip():
            continue
        values[name] = value
    values.pop(csrf.FIELD, None)
    return values


def field_of(loc: Sequence[str | int]) -> str:
    """("body", "quantity") -> "quantity"; a loc naming no field -> the form itself."""
    parts = [str(p) for p in loc if p not in _LOCATION_PREFIXES]
    return parts[0] if parts else FORM


def errors_from_detail(detail: Iterable[Mapping[str, Any]], _: Translate) -> Errors:
    """The 422 `detail` items of the API (or ValidationError.errors()) grouped by field."""
    errors: Errors = {}
    for item in detail:
        message = _message(item, _)
        errors.setdefault(field_of(item.get("loc", ())), []).append(message)
    return errors


def errors_from_validation(exc: ValidationError, _: Translate) -> Errors:
    return errors_from_detail(exc.errors(include_url=False), _)


def errors_from_refusal(exc: InvalidInput, _: Translate) -> Errors:
    """A service's refusal of a valid-looking value (the API's 422 at `exc.loc`)."""
    return errors_from_detail([{"loc": exc.loc, "msg": exc.detail, "type": "value_error"}], _)


def _message(item: Mapping[str, Any], _: Translate) -> str:
    kind = item.get("type", "")
    ctx = item.get("ctx") or {}
    msg = str(item.get("msg", ""))
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _("This field is required.")
        return _("Use at least %(count)s characters.", count=ctx.get("min_length"))
    if kind == "string_too_long":
        return _("Use at most %(count)s characters.", count=ctx.get("max_length"))
    if kind == "value_error":
        text = msg.removeprefix("Value error, ")
        # Our validators say "what: why"; the catalogue translates the "what".
        head, sep, tail = text.partition(": ")
        translated = _(head)
        return f"{translated}{sep}{tail}" if translated != head else _(text)
    return _(msg)
