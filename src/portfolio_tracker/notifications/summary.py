"""The daily summary email: the portfolio's value, its day change (amount and percent) and
the top movers, in the user's base currency and locale (Babel), as plain text and HTML, with
a one-click unsubscribe link (RFC 8058: `List-Unsubscribe` and `List-Unsubscribe-Post`).

The figures are the portfolio service's (`compute_summary`): nothing is valued here.
"""

from __future__ import annotations

import html
import logging
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.db.models import NotificationSettings, User
from portfolio_tracker.engine.valuation import PortfolioSummary
from portfolio_tracker.formatting import Formatter, babel_locale
from portfolio_tracker.notifications import mailer, outbox
from portfolio_tracker.notifications.service import unsubscribe_token
from portfolio_tracker.portfolio.cache import PortfolioCache
from portfolio_tracker.portfolio.service import compute_summary, viewer
from portfolio_tracker.settings import Settings
from portfolio_tracker.usersettings.service import get_settings

logger = logging.getLogger(__name__)

TOP_MOVERS = 5

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Your portfolio on {day}",
        "value": "Portfolio value",
        "change": "Day change",
        "movers": "Top movers",
        "no_movers": "No holding moved today.",
        "open": "Open Portfolio Tracker",
        "unsubscribe": "Stop these daily emails",
        "why": "You get this email because you asked for a daily summary.",
    },
    "tr": {
        "subject": "{day} portföy özetiniz",
        "value": "Portföy değeri",
        "change": "Günlük değişim",
        "movers": "En çok hareket edenler",
        "no_movers": "Bugün hareket eden varlık yok.",
        "open": "Portfolio Tracker'ı aç",
        "unsubscribe": "Bu günlük e-postaları durdur",
        "why": "Bu e-postayı günlük özet istediğiniz için alıyorsunuz.",
    },
}


@dataclass(frozen=True, slots=True)
class Mover:
    name: str
    change: Decimal | None  # base currency
    change_pct: Decimal  # ratio


def top_movers(summary: PortfolioSummary, limit: int = TOP_MOVERS) -> list[Mover]:
    """Up to ``limit`` holdings with the largest absolute day change ratio (unknown and zero
    moves left out), largest first; ties by name."""
    movers = [
        Mover(h.name, h.day_change, h.day_change_pct)
        for h in summary.holdings
        if h.day_change_pct is not None and h.day_change_pct != 0
    ]
    movers.sort(key=lambda m: (-abs(m.change_pct), m.name))
    return movers[:limit]


@dataclass(frozen=True, slots=True)
class SummaryEmail:
    subject: str
    text: str
    html: str


def render_summary(
    summary: PortfolioSummary, locale_name: str, today: date, unsubscribe_url: str, app_url: str
) -> SummaryEmail:
    """The email's subject and its plain text and HTML parts."""
    language = babel_locale(locale_name).language
    words = _TEXT.get(language, _TEXT["en"])
    fmt = Formatter(locale_name)
    base = summary.base_currency
    day = fmt.day(today)
    value = fmt.money(summary.total_market_value, base)
    change = fmt.money(summary.day_change, base, signed=True)
    change_pct = (
        ""
        if summary.day_change_pct is None
        else f" ({fmt.percent(summary.day_change_pct, signed=True)})"
    )
    movers = [
        (
            m.name,
            fmt.percent(m.change_pct, signed=True),
            "" if m.change is None else fmt.money(m.change, base, signed=True),
        )
        for m in top_movers(summary)
    ]
    lines = [
        f"{words['value']}: {value}",
        f"{words['change']}: {change}{change_pct}",
        "",
        f"{words['movers']}:",
        *(
            [f"  {name}: {pct} {amount}".rstrip() for name, pct, amount in movers]
            or [f"  {words['no_movers']}"]
        ),
        "",
        f"{words['open']}: {app_url}",
        "",
        words["why"],
        f"{words['unsubscribe']}: {unsubscribe_url}",
    ]
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{e(pct)}</td><td>{e(amount)}</td></tr>"
        for name, pct, amount in movers
    )
    movers_html = f"<table>{rows}</table>" if movers else f"<p>{e(words['no_movers'])}</p>"
    body_html = (
        f'<!doctype html><html lang="{e(language)}"><body>'
        f"<p>{e(words['value'])}: <strong>{e(value)}</strong></p>"
        f"<p>{e(words['change'])}: <strong>{e(change + change_pct)}</strong></p>"
        f"<h2>{e(words['movers'])}</h2>{movers_html}"
        f'<p><a href="{e(app_url)}">{e(words["open"])}</a></p>'
        f"<p><small>{e(words['why'])} "
        f'<a href="{e(unsubscribe_url)}">{e(words["unsubscribe"])}</a></small></p>'
        "</body></html>"
    )
    return SummaryEmail(words["subject"].format(day=day), "\n".join(lines) + "\n", body_html)


def unsubscribe_url(settings: Settings, prefs: NotificationSettings) -> str:
    return f"{settings.app_base_url.rstrip('/')}/unsubscribe/{unsubscribe_token(prefs)}"


def summary_payload(
    db: Session, settings: Settings, cache: PortfolioCache, prefs: NotificationSettings
) -> tuple[dict[str, Any], date]:
    """The outbox payload of one user's summary email, and the day it is for (theirs)."""
    who = viewer(db, prefs.user_id, None)
    summary = compute_summary(db, cache, who)
    locale = get_settings(db, prefs.user_id).locale
    link = unsubscribe_url(settings, prefs)
    email = render_summary(summary, locale, who.today, link, settings.app_base_url)
    to = db.scalar(select(User.email).where(User.id == prefs.user_id))
    payload = {
        "to": to,
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "headers": {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    return payload, who.today


def send_daily_summaries(session_factory: sessionmaker[Session], settings: Settings) -> str:
    """Queue today's summary of every user who wants one and is not disabled (once a user a
    day: the outbox's dedupe key); a summary line. Nothing is queued when the server sends
    no email."""
    if not mailer.email_enabled(settings):
        return "SMTP_HOST is not set: no summaries"
    with session_factory() as db:
        user_ids: list[uuid.UUID] = list(
            db.scalars(
                select(NotificationSettings.user_id)
                .join(User, User.id == NotificationSettings.user_id)
                .where(NotificationSettings.daily_summary, User.disabled_at.is_(None))
            )
        )
    cache = PortfolioCache.from_redis_url(None)
    queued = failed = 0
    for user_id in user_ids:
        with session_factory() as db:
            try:
                prefs = db.get(NotificationSettings, user_id)
                if prefs is None or not prefs.daily_summary:
                    continue
                payload, day = summary_payload(db, settings, cache, prefs)
                key = f"summary:{user_id.hex}:{day.isoformat()}"
                if outbox.enqueue(db, user_id, outbox.EMAIL, payload, dedupe_key=key):
                    queued += 1
                db.commit()
            except Exception:
                db.rollback()
                failed += 1
                logger.exception("summary: the daily summary of user %s failed", user_id)
    return f"{queued} summaries queued, {failed} failed"
