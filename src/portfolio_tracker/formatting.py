"""Numbers, money, percentages and dates written the way the reader's locale writes them
(the pages, and the emails: one set of rules for both).

Babel (CLDR) does the work; two house choices sit on top, both asked for by the product:
- Turkish amounts put the currency after the number: 1.234,56 ₺ (CLDR's tr pattern is ₺1.234,56).
- A currency whose symbol the locale does not know (TRY in en-US is "TRY") is written with its
  home country's symbol (₺): ₺1,234.56. ISO 4217 codes of national currencies start with
  their ISO 3166 country code, which names that home.
- Short dates show two-digit days and months and four-digit years: 05.01.2026, 01/05/2026.
Display only: values are Decimals from the services and are rounded here, never before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Context, Decimal, localcontext
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.languages import get_official_languages
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    parse_pattern,
)

_SUFFIX_CURRENCY_LANGUAGES = frozenset({"tr"})


def babel_locale(locale: str) -> Locale:
    """A settings locale ("tr-TR") as a Babel Locale; en-US for anything Babel does not know."""
    try:
        return Locale.parse(locale, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_US")


@cache
def _home_symbol(currency: str) -> str | None:
    """The symbol `currency` has in its own country's first official language, if any."""
    territory = currency[:2]
    for language in get_official_languages(territory):
        try:
            home = Locale.parse(f"{language}_{territory}")
        except (UnknownLocaleError, ValueError):
            continue
        symbol = home.currency_symbols.get(currency)
        if isinstance(symbol, str) and symbol != currency:
            return symbol
    return None


@cache
def currency_symbol(currency: str, locale: str) -> str:
    symbol = str(get_currency_symbol(currency, babel_locale(locale)))
    if symbol == currency:
        return _home_symbol(currency) or currency
    return symbol


@cache
def _parsed(pattern: str) -> NumberPattern:
    """Babel parses a pattern string on every call; a page formats hundreds of figures."""
    return parse_pattern(pattern)


@cache
def _money_pattern(locale: str, currency: str) -> NumberPattern:
    """The locale's currency pattern with the symbol written out as a quoted literal."""
    where = babel_locale(locale)
    symbol = currency_symbol(currency, locale).replace("'", "''")
    standard = str(where.currency_formats["standard"].pattern).split(";")[0]
    digits = standard.replace("¤", "").replace("\xa0", "").strip()
    if where.language in _SUFFIX_CURRENCY_LANGUAGES:
        return _parsed(f"{digits}\xa0'{symbol}'")
    return _parsed(standard.replace("¤", f"'{symbol}'"))


# Babel rounds under the current decimal context (28 digits by default): an amount the API
# accepts (quantity and price up to 10^15 with 18 places each) has far more digits than that,
# and rounding it there raises InvalidOperation. Formatting runs under this wider one.
_FORMAT_CONTEXT = Context(prec=100)


@dataclass(frozen=True, slots=True)
class Formatter:
    """Formats for one locale ("tr-TR", "en-US", "en-GB", "de-DE"); used from templates."""

    locale: str
    _babel: Locale = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_babel", babel_locale(self.locale))

    def money(self, value: Decimal | None, currency: str, *, signed: bool = False) -> str:
        """1.234,56 ₺ (tr-TR) / ₺1,234.56 (en-US); the currency's own minor digits; '—' for None."""
        if value is None:
            return "—"
        with localcontext(_FORMAT_CONTEXT):
            pattern = _money_pattern(self.locale, currency)
            text = format_currency(value, currency, pattern, self._babel)
        return self._signed(value, text) if signed else text

    def money_affixes(self, currency: str) -> tuple[str, str]:
        """What goes before and after the digits of an amount ("₺", "") / ("", "\xa0₺"), for
        the chart script, which formats the digits with the browser's Intl in this locale."""
        text = self.money(Decimal(1), currency)
        digits = [i for i, char in enumerate(text) if char.isdigit()]
        return text[: digits[0]], text[digits[-1] + 1 :]

    def number(self, value: Decimal | None, *, max_places: int = 6, min_places: int = 0) -> str:
        """A quantity or price: grouped, up to `max_places` decimals, no trailing zeros."""
        if value is None:
            return "—"
        pattern = "#,##0" + ("." + "0" * min_places + "#" * (max_places - min_places))
        with localcontext(_FORMAT_CONTEXT):
            return format_decimal(value, _parsed(pattern.rstrip(".")), self._babel)

    def percent(self, ratio: Decimal | None, *, signed: bool = False) -> str:
        """A ratio (0.1234) as a percentage with two decimals: %12,34 (tr) / 12.34% (en)."""
        if ratio is None:
            return "—"
        with localcontext(_FORMAT_CONTEXT):
            text = format_percent(ratio, _percent_pattern(self.locale), self._babel)
        return self._signed(ratio, text) if signed else text

    def day(self, value: date | None) -> str:
        """24.11.2026 (tr-TR), 11/24/2026 (en-US), 24/11/2026 (en-GB), 24.11.2026 (de-DE)."""
        if value is None:
            return "—"
        return format_date(value, _short_date_pattern(self.locale), self._babel)

    def instant(self, value: datetime | None, tz: str) -> str:
        """A date and time in the reader's time zone (24.11.2026 14:05)."""
        if value is None:
            return "—"
        pattern = f"{_short_date_pattern(self.locale)} {self._babel.time_formats['short'].pattern}"
        return format_datetime(value, pattern, tzinfo=ZoneInfo(tz), locale=self._babel)

    def _signed(self, value: Decimal, text: str) -> str:
        return f"+{text}" if value > 0 else text


@cache
def _short_date_pattern(locale: str) -> str:
    """The locale's short date with two-digit days and months and four-digit years, so
    dates line up in tables: d.MM.y (tr) -> dd.MM.yyyy, M/d/yy (en-US) -> MM/dd/yyyy."""
    pattern = str(babel_locale(locale).date_formats["short"].pattern)
    pattern = re.sub(r"(?<!d)d{1,2}(?!d)", "dd", pattern)
    pattern = re.sub(r"(?<!M)M{1,2}(?!M)", "MM", pattern)
    return re.sub(r"y+", "yyyy", pattern)


@cache
def _percent_pattern(locale: str) -> NumberPattern:
    """The locale's percent pattern (%#,##0 in tr, #,##0 % in de) with two decimals."""
    pattern = str(babel_locale(locale).percent_formats[None].pattern).split(";")[0]
    return _parsed(pattern.replace("#,##0", "#,##0.00", 1))
