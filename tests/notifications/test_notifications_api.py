"""GET /api/notifications (unread count, newest first, unread filter, cursor pages),
POST /api/notifications/{id}/read and /read-all, and the delivery settings API."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.notifications.service import notify
from portfolio_tracker.settings import Settings
from support import ApiUser, row_counts

URL = "/api/notifications"


def add(factory: sessionmaker[Session], settings: Settings, user: ApiUser, n: int) -> None:
    for i in range(n):
        with factory() as db:
            notify(
                db, settings, uuid.UUID(user.id), "price_alert", f"title {i}", f"body {i}", {"i": i}
            )
            db.commit()
        time.sleep(0.002)  # distinct created_at, so "newest first" is observable


def test_list_newest_first_with_the_unread_count(
    alice: ApiUser, bob: ApiUser, factory: sessionmaker[Session], settings: Settings
) -> None:
    add(factory, settings, alice, 3)
    body = alice.get(URL).json()
    assert body["unread_count"] == 3
    assert [n["title"] for n in body["items"]] == ["title 2", "title 1", "title 0"]
    assert body["items"][0]["data"] == {"i": 2} and body["items"][0]["read_at"] is None
    assert body["next_cursor"] is None
    assert bob.get(URL).json() == {"unread_count": 0, "items": [], "next_cursor": None}


def test_pages_follow_the_cursor_without_gaps_or_repeats(
    alice: ApiUser, factory: sessionmaker[Session], settings: Settings
) -> None:
    add(factory, settings, alice, 7)
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        query = f"{URL}?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = alice.get(query).json()
        seen += [n["title"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"title {i}" for i in range(6, -1, -1)]
    bad = alice.get(f"{URL}?cursor=not-a-cursor")
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "cursor"]
    for query in ("limit=0", "limit=101", "unread=maybe"):
        answer = alice.get(f"{URL}?{query}")
        assert answer.status_code == 422
        assert answer.json()["detail"][0]["loc"][0] == "query"


def test_mark_read_is_idempotent_and_read_all_reads_the_rest(
    alice: ApiUser, factory: sessionmaker[Session], settings: Settings
) -> None:
    add(factory, settings, alice, 3)
    newest = alice.get(URL).json()["items"][0]
    first = alice.post(f"{URL}/{newest['id']}/read")
    assert first.status_code == 200 and first.json()["read_at"] is not None
    again = alice.post(f"{URL}/{newest['id']}/read")
    assert again.json()["read_at"] == first.json()["read_at"]
    unread = alice.get(f"{URL}?unread=true").json()
    assert unread["unread_count"] == 2
    assert [n["title"] for n in unread["items"]] == ["title 1", "title 0"]
    assert alice.post(f"{URL}/read-all").json() == {"marked": 2}
    assert alice.post(f"{URL}/read-all").json() == {"marked": 0}
    assert alice.get(URL).json()["unread_count"] == 0
    assert alice.get(f"{URL}?unread=true").json()["items"] == []


def test_another_users_notification_is_404_and_stays_unread(
    alice: ApiUser, bob: ApiUser, engine: Engine, factory: sessionmaker[Session], settings: Settings
) -> None:
    add(factory, settings, alice, 1)
    note = alice.get(URL).json()["items"][0]
    before = row_counts(engine)
    assert bob.post(f"{URL}/{note['id']}/read").status_code == 404
    assert bob.post(f"{URL}/{uuid.uuid4()}/read").status_code == 404
    assert bob.post(f"{URL}/read-all").json() == {"marked": 0}
    assert row_counts(engine) == before
    assert alice.get(URL).json()["unread_count"] == 1


def test_delivery_settings_defaults_changes_and_secret(alice: ApiUser) -> None:
    first = alice.get(f"{URL}/settings").json()
    assert (first["email_alerts"], first["daily_summary"], first["webhook_url"]) == (
        True,
        False,
        None,
    )
    assert first["email_available"] is True and len(first["webhook_secret"]) == 64
    assert alice.get(f"{URL}/settings").json() == first  # stable secret
    changed = alice.put(
        f"{URL}/settings",
        json={"daily_summary": True, "webhook_url": "https://hooks.example.com/pt?x=1"},
    ).json()
    assert changed["daily_summary"] is True and changed["email_alerts"] is True
    assert changed["webhook_url"] == "https://hooks.example.com/pt?x=1"
    kept = alice.put(f"{URL}/settings", json={"email_alerts": False}).json()
    assert kept["webhook_url"] == "https://hooks.example.com/pt?x=1"
    removed = alice.put(f"{URL}/settings", json={"webhook_url": None}).json()
    assert removed["webhook_url"] is None and removed["email_alerts"] is False
    rotated = alice.post(f"{URL}/settings/webhook-secret").json()
    assert rotated["webhook_secret"] != first["webhook_secret"]


def test_bad_webhook_urls_are_422_at_the_field(
    alice: ApiUser, make_user: object, engine: Engine
) -> None:
    for url in (
        "ftp://example.com/x",
        "https://user:pw@example.com/",
        "https:///nohost",
        "not a url",
        "https://example.com/" + "x" * 2100,
        "javascript:alert(1)",
    ):
        answer = alice.put(f"{URL}/settings", json={"webhook_url": url})
        assert answer.status_code == 422, url
        assert answer.json()["detail"][0]["loc"] == ["body", "webhook_url"], url
    for field, value in (("email_alerts", None), ("daily_summary", "sometimes"), ("x", 1)):
        answer = alice.put(f"{URL}/settings", json={field: value})
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"][-1] == field
