"""The Jinja2 environment of the pages (autoescaped, with gettext) and static file URLs."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
STATIC_PREFIX = "/static"


@cache
def static_url(path: str) -> str:
    """/static/<path>?v=<content hash>: browsers may cache it for good, a new build busts it."""
    try:
        digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    except OSError:  # a vendor file not built yet: the page still renders
        return f"{STATIC_PREFIX}/{path}"
    return f"{STATIC_PREFIX}/{path}?v={digest}"


templates = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
# gettext/ngettext/_ come with each render, in the visitor's language (see page.Page).
templates.newstyle_gettext = True  # type: ignore[attr-defined]
templates.globals["static_url"] = static_url
