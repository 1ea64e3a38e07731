"""Email over SMTP with the standard library: one message built from an outbox payload, sent
with the security SMTP_SECURITY names (none, STARTTLS, TLS from the start)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from portfolio_tracker.db.models import utcnow
from portfolio_tracker.settings import Settings


def email_enabled(settings: Settings) -> bool:
    """Whether the server may send email at all (SMTP_HOST is set)."""
    return bool(settings.smtp_host)


def build_message(settings: Settings, payload: dict[str, Any]) -> EmailMessage:
    """An email from a payload ``{"to", "subject", "text", "html"?, "headers"?}``: a plain
    text part and, when given, an HTML alternative."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = str(payload["to"])
    message["Subject"] = str(payload["subject"])
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="portfolio-tracker")
    for name, value in dict(payload.get("headers") or {}).items():
        message[str(name)] = str(value)
    message.set_content(str(payload["text"]))
    html = payload.get("html")
    if html:
        message.add_alternative(str(html), subtype="html")
    return message


def send(settings: Settings, message: EmailMessage) -> None:
    """Send one message. Raises smtplib.SMTPException or OSError (refused, timed out, a
    4xx/5xx answer): the outbox records the error and retries."""
    if not settings.smtp_host:
        raise RuntimeError("SMTP_HOST is not set")
    timeout = settings.smtp_timeout_seconds
    smtp: smtplib.SMTP
    if settings.smtp_security == "tls":
        context = ssl.create_default_context()
        smtp = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            smtp.login(settings.smtp_username, password)
        smtp.send_message(message)
