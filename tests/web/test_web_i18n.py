"""Languages and formats of the pages: Babel's figures per locale, the browser's language,
and catalogues that translate every string the pages show."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from portfolio_tracker.usersettings.schemas import SUPPORTED_LOCALES
from portfolio_tracker.web import i18n
from portfolio_tracker.web.formatting import Formatter

WEB = Path(i18n.__file__).parents[1]


@pytest.mark.parametrize(
    ("locale", "money", "day"),
    [
        ("tr-TR", "1.234,56\xa0₺", "24.11.2026"),
        ("en-US", "₺1,234.56", "11/24/2026"),
        ("en-GB", "₺1,234.56", "24/11/2026"),
        ("de-DE", "1.234,56\xa0₺", "24.11.2026"),
    ],
)
def test_money_and_dates_are_written_the_locales_way(locale: str, money: str, day: str) -> None:
    formatter = Formatter(locale)
    assert formatter.money(Decimal("1234.56"), "TRY") == money
    assert formatter.day(date(2026, 11, 24)) == day


def test_amounts_keep_their_sign_and_the_currencys_digits() -> None:
    tr, us = Formatter("tr-TR"), Formatter("en-US")
    assert tr.money(Decimal("-1234.5"), "USD") == "-1.234,50\xa0$"
    assert us.money(Decimal("1234.5"), "USD", signed=True) == "+$1,234.50"
    assert us.money(Decimal("1000"), "JPY") == "¥1,000"
    assert us.money(Decimal("0.005"), "TRY") == "₺0.00"
    assert us.money(None, "TRY") == "—"


def test_quantities_percentages_and_instants() -> None:
    tr, us = Formatter("tr-TR"), Formatter("en-US")
    assert tr.number(Decimal("1234.123456789")) == "1.234,123457"
    assert us.number(Decimal("12.500000")) == "12.5"
    assert tr.percent(Decimal("0.1234"), signed=True) == "+%12,34"
    assert us.percent(Decimal("-0.1234")) == "-12.34%"
    moment = datetime(2026, 11, 24, 11, 5, tzinfo=UTC)
    assert tr.instant(moment, "Europe/Istanbul") == "24.11.2026 14:05"


def test_money_affixes_tell_the_chart_where_the_symbol_goes() -> None:
    assert Formatter("tr-TR").money_affixes("TRY") == ("", "\xa0₺")
    assert Formatter("en-US").money_affixes("USD") == ("$", "")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("tr-TR,tr;q=0.9,en-US;q=0.8", "tr"),
        ("tr", "tr"),
        ("en-US,en;q=0.9,tr;q=0.8", "en"),
        ("de-DE,de;q=0.9", "en"),
        ("de;q=0.9,tr;q=0.8,en;q=0.5", "tr"),
        ("tr;q=0,en", "en"),
        ("", "en"),
        (None, "en"),
        ("garbage;q=x,,;", "en"),
    ],
)
def test_the_browser_language_is_turkish_only_when_preferred(
    header: str | None, language: str
) -> None:
    assert i18n.browser_language(header) == language


def test_every_settings_locale_has_a_page_language() -> None:
    assert {i18n.language_of(locale) for locale in SUPPORTED_LOCALES} == {"tr", "en"}


def test_every_string_the_pages_show_is_translated_into_turkish() -> None:
    """Extracts the strings from the templates and page modules, as pybabel would."""
    method_map = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), method_map, options, keywords=keywords
        )
    }
    with (WEB / "i18n" / "tr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and (m.string if isinstance(m.string, str) else m.string[0])
    }
    assert len(found) > 50
    assert found - translated == set()


def test_catalogues_load_from_the_committed_po_files() -> None:
    assert i18n.translations("tr").gettext("Sign in") == "Giriş yap"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"
