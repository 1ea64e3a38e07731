"""Delivery through the outbox to real local servers: alert emails and signed webhooks,
retries after a failing SMTP server or webhook, giving up, SSRF refusals, and the daily
summary email with its working unsubscribe link."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from alerts_seed import gold, price, today, yesterday
from notify_servers import Hook, MailBox, html_part, smtp_server, text_part, webhook_server
from portfolio_tracker.app import create_app
from portfolio_tracker.db.models import Delivery, utcnow
from portfolio_tracker.jobs.tasks import JobContext, daily_summaries, evaluate_alert_rules
from portfolio_tracker.notifications.outbox import process_due
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.settings import Settings
from support import ApiUser, free_port, make_settings


def context(settings: Settings, factory: sessionmaker[Session]) -> JobContext:
    # No job here asks a feed: the price service is never called.
    return JobContext(settings, factory, PriceService.__new__(PriceService))


def deliveries(engine: Engine) -> list[Delivery]:
    with Session(engine) as db:
        return list(db.scalars(select(Delivery).order_by(Delivery.id)))


def below_alert(user: ApiUser, level: str = "2500") -> dict[str, Any]:
    asset = gold(user)
    price(user, asset["id"], today(), "2400")
    body = {"kind": "price", "asset_id": asset["id"], "direction": "below", "level": level}
    answer = user.post("/api/alerts", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_fired_alert_is_emailed_and_posted_signed_to_the_webhook(
    alice: ApiUser,
    bob: ApiUser,
    mailbox: MailBox,
    settings: Settings,
    factory: sessionmaker[Session],
) -> None:
    hook = Hook()
    with webhook_server(hook) as url:
        prefs = alice.put("/api/notifications/settings", json={"webhook_url": url}).json()
        alert = below_alert(alice)
        below_alert(bob, level="1")  # bob's does not fire

        line = evaluate_alert_rules(context(settings, factory))
        assert (
            line
            == "2 alerts checked, 1 triggered, 0 failed; deliveries: 2 sent, 0 failed, 0 given up"
        )

    [message] = mailbox.messages
    assert mailbox.recipients == [["alice@example.com"]]
    assert message["To"] == "alice@example.com"
    assert "Gram gold" in message["Subject"]
    text = text_part(message)
    assert "2400 TRY" in text and "2500 TRY" in text and "http://testserver/notifications" in text

    [(headers, raw)] = hook.requests
    body = json.loads(raw)
    note = alice.get("/api/notifications").json()["items"][0]
    assert body["id"] == note["id"] and body["kind"] == "price_alert"
    assert body["data"]["alert_id"] == alert["id"] and body["data"]["price"] == "2400"
    timestamp = headers["x-pt-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(
        prefs["webhook_secret"].encode(), timestamp.encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    assert headers["x-pt-signature"] == f"sha256={expected}"
    assert headers["content-type"] == "application/json"


def test_a_down_smtp_server_breaks_nothing_and_the_mail_goes_out_later(
    alice: ApiUser, engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> None:
    closed = free_port()  # nothing listens here yet
    down = settings.model_copy(update={"smtp_port": closed})
    below_alert(alice)

    started = time.perf_counter()
    line = evaluate_alert_rules(context(down, factory))
    assert line.endswith("deliveries: 0 sent, 1 failed, 0 given up")
    # The API is not slowed by it: requests never send mail themselves.
    for _ in range(3):
        assert alice.get("/api/notifications").json()["unread_count"] == 1
        assert alice.get("/api/alerts").status_code == 200
    assert time.perf_counter() - started < 5

    [row] = deliveries(engine)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error and "Connection" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)  # backoff: 60 s
    assert process_due(factory, down).line() == "0 sent, 0 failed, 0 given up"  # not due yet

    box = MailBox()
    with smtp_server(box, port=closed):
        later = utcnow() + timedelta(minutes=2)
        assert process_due(factory, down, now=later).line() == "1 sent, 0 failed, 0 given up"
    [row] = deliveries(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(box.messages) == 1 and "Gram gold" in box.messages[0]["Subject"]


def test_a_4xx_answer_is_retried_with_backoff_then_given_up(
    alice: ApiUser,
    engine: Engine,
    mailbox: MailBox,
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    mailbox.answer = "451 4.3.0 Try again later"
    below_alert(alice)
    evaluate_alert_rules(context(settings, factory))
    waits = []
    for attempt in (2, 3):
        [row] = deliveries(engine)
        waits.append(row.next_attempt_at)
        line = process_due(factory, settings, now=row.next_attempt_at + timedelta(seconds=1))
        assert line.line() == (
            "0 sent, 1 failed, 0 given up" if attempt < 3 else "0 sent, 0 failed, 1 given up"
        )
    [row] = deliveries(engine)
    assert (row.status, row.attempts) == ("dead", 3)  # DELIVERY_MAX_ATTEMPTS=3 here
    assert "451" in (row.last_error or "")
    assert mailbox.refused == 3 and mailbox.messages == []
    assert process_due(factory, settings, now=utcnow() + timedelta(days=1)).line() == (
        "0 sent, 0 failed, 0 given up"
    )


def test_the_next_answer_after_a_4xx_delivers(
    alice: ApiUser,
    engine: Engine,
    mailbox: MailBox,
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    mailbox.answer = "421 4.7.0 Busy"
    below_alert(alice)
    evaluate_alert_rules(context(settings, factory))
    mailbox.answer = "250 OK"
    assert process_due(factory, settings, now=utcnow() + timedelta(hours=1)).sent == 1
    assert [d.status for d in deliveries(engine)] == ["sent"]
    assert len(mailbox.messages) == 1


def test_a_failing_webhook_is_retried(
    alice: ApiUser, engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> None:
    hook = Hook(status=503)
    alice.put("/api/notifications/settings", json={"email_alerts": False})
    with webhook_server(hook) as url:
        alice.put("/api/notifications/settings", json={"webhook_url": url})
        below_alert(alice)
        evaluate_alert_rules(context(settings, factory))
        [row] = deliveries(engine)
        assert (row.channel, row.status, row.last_error) == (
            "webhook",
            "failed",
            "RuntimeError: webhook answered HTTP 503",
        )
        hook.status = 204
        assert process_due(factory, settings, now=utcnow() + timedelta(hours=1)).sent == 1
    assert len(hook.requests) == 2
    assert hook.requests[0][1] == hook.requests[1][1]  # the same body, signed again


def test_webhooks_to_private_addresses_are_refused(
    engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> None:
    strict = settings.model_copy(update={"webhook_allow_private": False})
    with TestClient(create_app(strict, engine)) as client:
        signup = client.post(
            "/api/auth/signup", json={"email": "carol@example.com", "password": "a fine passphrase"}
        ).json()
        carol = ApiUser(client, signup["token"], signup["user"]["id"], "carol@example.com")
        for url in (
            "http://127.0.0.1:8080/x",
            "http://10.0.0.5/x",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/x",
            "http://localhost/x",
            "http://[::ffff:192.168.0.1]/x",
        ):
            answer = carol.put("/api/notifications/settings", json={"webhook_url": url})
            assert answer.status_code == 422, url
            assert answer.json()["detail"][0]["loc"] == ["body", "webhook_url"]


def test_a_webhook_that_became_private_is_given_up_unsent(
    alice: ApiUser, engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> None:
    """Saved while the server allowed private targets; the send checks the resolved address
    again under the server's current rule (here: strict) and gives up at once."""
    strict = settings.model_copy(update={"webhook_allow_private": False})
    hook = Hook()
    with webhook_server(hook) as url:
        alice.put("/api/notifications/settings", json={"webhook_url": url, "email_alerts": False})
        below_alert(alice)
        line = evaluate_alert_rules(context(strict, factory))
    assert line.endswith("deliveries: 0 sent, 0 failed, 1 given up")
    [row] = deliveries(engine)
    assert (row.channel, row.status, row.attempts) == ("webhook", "dead", 1)
    assert "127.0.0.1" in (row.last_error or "") and "not a public address" in (
        row.last_error or ""
    )
    assert hook.requests == []


def test_the_daily_summary_email_and_its_unsubscribe_link(
    alice: ApiUser,
    bob: ApiUser,
    client: TestClient,
    engine: Engine,
    mailbox: MailBox,
    factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    asset = gold(alice)
    price(alice, asset["id"], yesterday(), "2000")
    price(alice, asset["id"], today(), "2050")  # 10 g: 20 500 TRY, +500 TRY, +2.5 %
    fund = alice.create_asset(name="Tech fund", type="fund", ticker_symbol="TTE", currency="TRY")
    assert alice.trade(fund["id"], "buy", "100", "10", "2024-01-02").status_code == 201
    price(alice, fund["id"], yesterday(), "10")
    price(alice, fund["id"], today(), "9")  # 900 TRY, -100 TRY, -10 %
    assert alice.put("/api/settings", json={"locale": "en-US"}).status_code == 200
    alice.put("/api/notifications/settings", json={"daily_summary": True})
    bob.get("/api/notifications/settings")  # bob did not ask for one

    ctx = context(settings, factory)
    assert daily_summaries(ctx) == (
        "1 summaries queued, 0 failed; deliveries: 1 sent, 0 failed, 0 given up"
    )
    assert daily_summaries(ctx).startswith("0 summaries queued")  # once a day
    [message] = mailbox.messages
    assert mailbox.recipients == [["alice@example.com"]]
    text = text_part(message)
    assert "Portfolio value: ₺21,400.00" in text
    assert "Day change: +₺400.00 (+1.90%)" in text  # 400 / 21 000
    movers = text.split("Top movers:")[1].splitlines()
    assert movers[1].strip() == "Tech fund: -10.00% -₺100.00"
    assert movers[2].strip() == "Gram gold: +2.50% +₺500.00"
    html = html_part(message)
    assert "₺21,400.00" in html and "Tech fund" in html

    link = message["List-Unsubscribe"].strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in text and link.startswith("http://testserver/unsubscribe/")
    path = urlsplit(link).path
    page = client.get(path)  # signed out
    assert page.status_code == 200 and 'method="post"' in page.text
    assert alice.get("/api/notifications/settings").json()["daily_summary"] is True
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert alice.get("/api/notifications/settings").json()["daily_summary"] is False
    assert client.post(path).status_code == 200  # again: still unsubscribed

    forged = path[:-4] + ("AAAA" if not path.endswith("AAAA") else "BBBB")
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    assert client.get("/unsubscribe/nonsense").status_code == 404
    assert bob.get("/api/notifications/settings").json()["daily_summary"] is False


def test_the_summary_speaks_turkish_to_a_turkish_user(
    alice: ApiUser, mailbox: MailBox, factory: sessionmaker[Session], settings: Settings
) -> None:
    asset = gold(alice)
    price(alice, asset["id"], yesterday(), "2000")
    price(alice, asset["id"], today(), "2000.5")
    alice.put("/api/notifications/settings", json={"daily_summary": True})
    daily_summaries(context(settings, factory))
    text = text_part(mailbox.messages[0])
    assert "Portföy değeri: " in text and "20.005,00" in text
    assert "portföy özetiniz" in mailbox.messages[0]["Subject"]


def test_no_email_is_queued_without_smtp(
    alice: ApiUser, engine: Engine, factory: sessionmaker[Session]
) -> None:
    quiet = make_settings(engine)  # SMTP_HOST unset
    alice.put("/api/notifications/settings", json={"daily_summary": True})
    below_alert(alice)
    assert daily_summaries(context(quiet, factory)).startswith("SMTP_HOST is not set")
    evaluate_alert_rules(context(quiet, factory))
    assert deliveries(engine) == []
    assert alice.get("/api/notifications").json()["unread_count"] == 1


@pytest.mark.parametrize("attempts", [1, 2, 5, 30])
def test_backoff_doubles_up_to_six_hours(attempts: int) -> None:
    from portfolio_tracker.notifications.outbox import MAX_BACKOFF, backoff

    wait = backoff(attempts, 60)
    assert wait == min(timedelta(seconds=60 * 2 ** (attempts - 1)), MAX_BACKOFF)
    assert Decimal(wait.total_seconds()) > 0
