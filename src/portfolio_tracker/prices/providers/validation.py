"""Checks shared by all providers: a feed's answer is untrusted input.

Numbers are read as ``Decimal`` from the text of the answer (never through ``float``),
non-finite and implausible values are refused, and bodies that are not what the source
documents (HTML walls with status 200, empty bodies, broken JSON/XML) are rejected.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from portfolio_tracker.prices.providers.base import FeedDataError

logger = logging.getLogger(__name__)

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class PriceBounds:
    """Plausible range of a price, exclusive low and inclusive high.

    A value outside is a broken feed (a unit change, a decimal shifted), not a market move.
    """

    low: Decimal = Decimal(0)
    high: Decimal = Decimal("1e9")


DEFAULT_BOUNDS = PriceBounds()


def as_decimal(value: object) -> Decimal:
    """A finite Decimal from a JSON number (already Decimal/int) or numeric text."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value[:40]!r}") from None
    else:
        # A float here means someone parsed without parse_float=Decimal: refuse it.
        raise ValueError(f"unexpected number type {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"not finite: {number}")
    return number


def check_price(value: object, bounds: PriceBounds = DEFAULT_BOUNDS) -> Decimal:
    """A price we are willing to store, or ValueError saying why not."""
    price = as_decimal(value)
    if price <= bounds.low:
        raise ValueError(f"price {price} not above {bounds.low}")
    if price > bounds.high:
        raise ValueError(f"price {price} above plausible maximum {bounds.high}")
    return price


def check_currency(value: object, expected: str | None = None) -> str:
    """An ISO 4217-looking code, equal to ``expected`` when the caller knows it."""
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise ValueError(f"invalid currency {str(value)[:20]!r}")
    if expected is not None and value != expected:
        raise ValueError(f"currency {value} where {expected} was expected")
    return value


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<head", "<body")) or "<html" in head


def response_text(response: httpx.Response, source: str, symbol: str) -> str:
    """The body as text, refusing empty bodies and HTML pages served with status 200."""
    text = response.text
    if not text.strip():
        logger.debug("%s: empty body (HTTP %d) for %s", source, response.status_code, symbol)
        raise FeedDataError(source, symbol, "empty response body")
    content_type = response.headers.get("content-type", "").lower()
    if "text/html" in content_type or looks_like_html(text):
        logger.debug(
            "%s: HTML page instead of data (HTTP %d) for %s: %.80r",
            source,
            response.status_code,
            symbol,
            text.strip(),
        )
        raise FeedDataError(source, symbol, "HTML page instead of data (blocked or maintenance)")
    return text


def _keep_constant(name: str) -> Decimal:
    # NaN/Infinity are not JSON but Python's parser accepts them; keep them as Decimal so
    # the point-level check can skip that one value instead of rejecting the whole series.
    return Decimal(name)


def load_json(response: httpx.Response, source: str, symbol: str) -> Any:
    """Parse a JSON body with every number as Decimal/int, never float."""
    text = response_text(response, source, symbol)
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_keep_constant)
    except ValueError:
        logger.debug("%s: invalid JSON for %s: %.80r", source, symbol, text.strip())
        raise FeedDataError(source, symbol, "invalid JSON") from None


def load_xml(response: httpx.Response, source: str, symbol: str) -> ET.Element:
    """Parse an XML body; document type declarations are refused (entity expansion)."""
    text = response_text(response, source, symbol)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        logger.debug("%s: XML with a DTD refused for %s", source, symbol)
        raise FeedDataError(source, symbol, "XML with a document type declaration")
    try:
        return ET.fromstring(response.content)
    except ET.ParseError:
        logger.debug("%s: invalid XML for %s: %.80r", source, symbol, text.strip())
        raise FeedDataError(source, symbol, "invalid XML") from None


def reject(source: str, symbol: str, detail: str) -> FeedDataError:
    """Log (debug: the caller logs the failure once) and build the error for an answer we
    will not use (never a price)."""
    logger.debug("%s: rejected answer for %s: %s", source, symbol, detail)
    return FeedDataError(source, symbol, detail)


def skip_point(source: str, symbol: str, where: str, reason: str) -> None:
    logger.warning("%s: skipped point %s of %s: %s", source, where, symbol, reason)
