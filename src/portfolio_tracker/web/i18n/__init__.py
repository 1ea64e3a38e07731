"""Languages of the pages: Turkish and English gettext catalogues, and which one a request gets.

The catalogues are the committed `.po` files beside this module (`<language>/LC_MESSAGES/
messages.po`), compiled in memory the first time they are used, so a fresh clone needs no
build step. Source strings are English; `en/messages.po` exists so both languages are real
catalogues (an empty msgstr falls back to the English msgid).

After changing a template or a page module: `make messages` (extracts every string into
messages.pot and adds the new ones to each .po), then translate the empty Turkish msgstr;
tests/web/test_web_i18n.py fails while one is missing.
"""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Literal

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from portfolio_tracker.formatting import babel_locale as babel_locale

Language = Literal["tr", "en"]
LANGUAGES: tuple[Language, ...] = ("tr", "en")
# What the sign-up page stores as the new account's locale, by the browser's language.
LOCALE_OF_LANGUAGE: dict[Language, str] = {"tr": "tr-TR", "en": "en-US"}
DOMAIN = "messages"
_HERE = Path(__file__).parent


@cache
def translations(language: Language) -> Translations:
    """The compiled catalogue of `language` (read from its .po once per process)."""
    with (_HERE / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def language_of(locale: str) -> Language:
    """The page language of a settings locale (tr-TR -> tr; en-US, en-GB, de-DE -> en)."""
    return "tr" if locale.lower().startswith("tr") else "en"


def preferred_languages(accept_language: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most preferred first (q=0 dropped).

    "tr-TR,tr;q=0.9,en;q=0.8" -> ["tr_TR", "tr", "en"]; a malformed entry is skipped.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or len(tag) > 35:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, position, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def browser_language(accept_language: str | None) -> Language:
    """Turkish when the browser prefers it to English, else English."""
    found = negotiate_locale(preferred_languages(accept_language), list(LANGUAGES), sep="_")
    return "tr" if found == "tr" else "en"
