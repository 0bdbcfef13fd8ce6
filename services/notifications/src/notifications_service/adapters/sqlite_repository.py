"""The notifications repositories on SQLite (the embedded default store)."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.erasure import ERASED_SQL, is_erased_sqlite, mark_erased_sqlite
from mentor_shared.storage.sqlite import Connection, SqliteDatabase
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import (
    BULK_KINDS,
    Attachment,
    Contact,
    EmailJob,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    WebhookDelivery,
)
from notifications_service.service.ports import (
    CheckInRepository,
    ContactRepository,
    EmailJobRepository,
    ErasedRepository,
    NotificationPage,
    NotificationRepository,
    PreferenceRepository,
    ProfileCardRepository,
    SubscriptionRepository,
    WebhookDeliveryRepository,
)

SQLITE_SCHEMA: list[str] = [
    # The current shape, step 1 of the ladder for a new file; a change here also needs
    # a step in adapters/schema.py that brings older files to it.
    """
    CREATE TABLE IF NOT EXISTS contacts (
        account_id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        display_name TEXT NOT NULL,
        verified INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS profile_cards (
        profile_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        display_name TEXT NOT NULL,
        department TEXT,
        profession TEXT,
        grade TEXT,
        region TEXT
    );
    CREATE TABLE IF NOT EXISTS notifications (
        id TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        link TEXT,
        created_at REAL NOT NULL,
        read_at REAL
    );
    CREATE INDEX IF NOT EXISTS notifications_by_recipient
        ON notifications (recipient_id, created_at DESC, id DESC);
    CREATE TABLE IF NOT EXISTS preferences (
        account_id TEXT PRIMARY KEY,
        channels TEXT NOT NULL,
        daily_digest INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS email_jobs (
        id TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        to_address TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL,
        unsubscribe_url TEXT NOT NULL,
        created_at REAL NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_error TEXT,
        sent_at REAL,
        throttle_key TEXT,
        notification_id TEXT,
        personalisation TEXT NOT NULL DEFAULT '{}',
        attachments TEXT NOT NULL DEFAULT '[]',
        trace_context TEXT
    );
    CREATE INDEX IF NOT EXISTS email_jobs_due ON email_jobs (next_attempt_at)
        WHERE state = 'pending';
    CREATE INDEX IF NOT EXISTS email_jobs_held ON email_jobs (recipient_id, created_at)
        WHERE state = 'digest';
    CREATE INDEX IF NOT EXISTS email_jobs_throttle
        ON email_jobs (recipient_id, throttle_key, created_at);
    CREATE TABLE IF NOT EXISTS subscriptions (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,
        created_at REAL NOT NULL,
        department TEXT,
        match_events TEXT
    );
    CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id TEXT PRIMARY KEY,
        subscription_id TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at REAL NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_error TEXT,
        delivered_at REAL
    );
    CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE state = 'pending';
    """,
    # Whose event a delivery not yet made was built from, so that erasure can drop
    # it; the row goes once the delivery is made (and its body with it).
    """
    CREATE TABLE IF NOT EXISTS webhook_delivery_subjects (
        delivery_id TEXT PRIMARY KEY,
        subject_id TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS webhook_delivery_subjects_by_subject
        ON webhook_delivery_subjects (subject_id);
    """,
    # Also made by the shared store; here too so a bare database has it.
    ERASED_SQL,
    # "How is it going?" after the 3rd and 6th confirmed session of a match.
    """
    CREATE TABLE IF NOT EXISTS checkins (
        id TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        match_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        created_at REAL NOT NULL,
        rating INTEGER,
        comment TEXT,
        answered_at REAL
    );
    CREATE INDEX IF NOT EXISTS checkins_by_recipient ON checkins (recipient_id, created_at);
    """,
]


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _req_dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SqliteContactRepository:
    """Addresses in the ``contacts`` table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def upsert(self, contact: Contact) -> None:
        """Add or replace an address (``verified`` is kept once set)."""
        await self.conn.execute(
            "INSERT INTO contacts (account_id, email, display_name, verified) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account_id) DO UPDATE SET email = excluded.email, "
            "display_name = excluded.display_name, verified = max(verified, excluded.verified)",
            (contact.account_id, contact.email, contact.display_name, int(contact.verified)),
        )

    async def get(self, account_id: str) -> Contact | None:
        """An address, or None."""
        async with self.conn.execute(
            "SELECT * FROM contacts WHERE account_id = ?", (account_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return Contact(row["account_id"], row["email"], row["display_name"], bool(row["verified"]))

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        await self.conn.execute(
            "UPDATE contacts SET verified = 1 WHERE account_id = ?", (account_id,)
        )

    async def delete(self, account_id: str) -> None:
        """Forget the address."""
        await self.conn.execute("DELETE FROM contacts WHERE account_id = ?", (account_id,))


class SqliteProfileCardRepository:
    """Profile cards in ``profile_cards``; older versions never overwrite newer."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def upsert(self, card: ProfileCard) -> bool:
        """Store unless a newer version is stored."""
        cursor = await self.conn.execute(
            "INSERT INTO profile_cards (profile_id, version, display_name, department, "
            "profession, grade, region) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (profile_id) DO UPDATE SET version = excluded.version, "
            "display_name = excluded.display_name, department = excluded.department, "
            "profession = excluded.profession, grade = excluded.grade, region = excluded.region "
            "WHERE excluded.version > profile_cards.version",
            (
                card.profile_id,
                card.version,
                card.display_name,
                card.department,
                card.profession,
                card.grade,
                card.region,
            ),
        )
        return cursor.rowcount == 1

    async def get(self, profile_id: str) -> ProfileCard | None:
        """A card, or None."""
        async with self.conn.execute(
            "SELECT * FROM profile_cards WHERE profile_id = ?", (profile_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return ProfileCard(
            profile_id=row["profile_id"],
            version=row["version"],
            display_name=row["display_name"],
            department=row["department"],
            profession=row["profession"],
            grade=row["grade"],
            region=row["region"],
        )

    async def delete(self, profile_id: str) -> None:
        """Forget a card."""
        await self.conn.execute("DELETE FROM profile_cards WHERE profile_id = ?", (profile_id,))


def _notification(row: sqlite3.Row) -> Notification:
    return Notification(
        id=row["id"],
        recipient_id=row["recipient_id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        link=row["link"],
        created_at=_req_dt(row["created_at"]),
        read_at=_dt(row["read_at"]),
    )


class SqliteNotificationRepository:
    """In-app notifications in ``notifications``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, notification: Notification) -> bool:
        """Store; False if the id exists."""
        cursor = await self.conn.execute(
            "INSERT OR IGNORE INTO notifications (id, recipient_id, kind, title, body, link, "
            "created_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                notification.id,
                notification.recipient_id,
                notification.kind,
                notification.title,
                notification.body,
                notification.link,
                _ts(notification.created_at),
                _ts(notification.read_at),
            ),
        )
        return cursor.rowcount == 1

    async def get(self, notification_id: str) -> Notification | None:
        """By id, or None."""
        async with self.conn.execute(
            "SELECT * FROM notifications WHERE id = ?", (notification_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _notification(row)

    async def mark_read(self, notification_id: str, at: datetime) -> None:
        """Set ``read_at`` once."""
        await self.conn.execute(
            "UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL",
            (_ts(at), notification_id),
        )

    async def page(
        self, recipient_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> NotificationPage:
        """Newest first, older than ``before``."""
        sql = "SELECT * FROM notifications WHERE recipient_id = ?"
        params: list[Any] = [recipient_id]
        if before is not None:
            at = before[0].timestamp()
            sql += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            params += [at, at, before[1]]
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit + 1)
        async with self.conn.execute(sql, params) as cursor:
            rows = list(await cursor.fetchall())
        items = [_notification(row) for row in rows[:limit]]
        next_cursor = (items[-1].created_at, items[-1].id) if len(rows) > limit else None
        async with self.conn.execute(
            "SELECT count(*) FROM notifications WHERE recipient_id = ? AND read_at IS NULL",
            (recipient_id,),
        ) as cursor:
            count_row = await cursor.fetchone()
        unread = int(count_row[0]) if count_row else 0
        return NotificationPage(items=items, next_cursor=next_cursor, unread=unread)

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's notifications."""
        cursor = await self.conn.execute(
            "DELETE FROM notifications WHERE recipient_id = ?", (recipient_id,)
        )
        return cursor.rowcount

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every title and body."""
        cursor = await self.conn.execute(
            "UPDATE notifications SET title = replace(title, ?1, ?2), "
            "body = replace(body, ?1, ?2) WHERE instr(title, ?1) > 0 OR instr(body, ?1) > 0",
            (old, new),
        )
        return cursor.rowcount


class SqlitePreferenceRepository:
    """Preferences in ``preferences`` (channels as a JSON object)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, account_id: str) -> Preferences:
        """Stored preferences, or the defaults."""
        async with self.conn.execute(
            "SELECT * FROM preferences WHERE account_id = ?", (account_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return Preferences(account_id)
        return Preferences(
            account_id, channels=json.loads(row["channels"]), daily_digest=bool(row["daily_digest"])
        )

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        await self.conn.execute(
            "INSERT INTO preferences (account_id, channels, daily_digest) VALUES (?, ?, ?) "
            "ON CONFLICT (account_id) DO UPDATE SET channels = excluded.channels, "
            "daily_digest = excluded.daily_digest",
            (
                preferences.account_id,
                json.dumps(preferences.channels, sort_keys=True),
                int(preferences.daily_digest),
            ),
        )

    async def delete(self, account_id: str) -> None:
        """Forget preferences."""
        await self.conn.execute("DELETE FROM preferences WHERE account_id = ?", (account_id,))


def _attachments_json(attachments: list[Attachment]) -> str:
    return json.dumps(
        [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "content": base64.b64encode(a.content).decode("ascii"),
            }
            for a in attachments
        ]
    )


def attachments_from(raw: list[dict[str, str]]) -> list[Attachment]:
    """Attachments from their stored form (base64 content)."""
    return [
        Attachment(item["filename"], item["content_type"], base64.b64decode(item["content"]))
        for item in raw
    ]


def _email_job(row: sqlite3.Row) -> EmailJob:
    return EmailJob(
        id=row["id"],
        recipient_id=row["recipient_id"],
        kind=row["kind"],
        to_address=row["to_address"],
        subject=row["subject"],
        text=row["text"],
        html=row["html"],
        unsubscribe_url=row["unsubscribe_url"],
        created_at=_req_dt(row["created_at"]),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=_dt(row["next_attempt_at"]),
        last_error=row["last_error"],
        sent_at=_dt(row["sent_at"]),
        throttle_key=row["throttle_key"],
        notification_id=row["notification_id"],
        personalisation=json.loads(row["personalisation"]),
        attachments=attachments_from(json.loads(row["attachments"])),
        trace_context=row["trace_context"],
    )


class SqliteEmailJobRepository:
    """The email delivery log in ``email_jobs``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, job: EmailJob) -> bool:
        """Store; False if the id exists."""
        cursor = await self.conn.execute(
            "INSERT OR IGNORE INTO email_jobs (id, recipient_id, kind, to_address, subject, "
            "text, html, unsubscribe_url, created_at, state, attempts, next_attempt_at, "
            "last_error, sent_at, throttle_key, notification_id, personalisation, attachments, "
            "trace_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                job.id,
                job.recipient_id,
                job.kind,
                job.to_address,
                job.subject,
                job.text,
                job.html,
                job.unsubscribe_url,
                _ts(job.created_at),
                job.state,
                job.attempts,
                _ts(job.next_attempt_at),
                job.last_error,
                _ts(job.sent_at),
                job.throttle_key,
                job.notification_id,
                json.dumps(job.personalisation),
                _attachments_json(job.attachments),
                job.trace_context,
            ),
        )
        return cursor.rowcount == 1

    async def get(self, job_id: str) -> EmailJob | None:
        """By id, or None."""
        async with self.conn.execute("SELECT * FROM email_jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _email_job(row)

    async def emailed_since(self, recipient_id: str, throttle_key: str, since: datetime) -> bool:
        """Whether an email with this key was queued (not refused) since ``since``."""
        async with self.conn.execute(
            "SELECT 1 FROM email_jobs WHERE recipient_id = ? AND throttle_key = ? "
            "AND created_at >= ? AND state IN ('pending', 'sent', 'digest', 'digested') LIMIT 1",
            (recipient_id, throttle_key, since.timestamp()),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def held_recipients(self, limit: int) -> list[str]:
        """People with emails held for their digest."""
        async with self.conn.execute(
            "SELECT DISTINCT recipient_id FROM email_jobs WHERE state = 'digest' "
            "ORDER BY recipient_id LIMIT ?",
            (limit,),
        ) as cursor:
            return [row["recipient_id"] for row in await cursor.fetchall()]

    async def held_for(self, recipient_id: str) -> list[EmailJob]:
        """Someone's held emails, oldest first."""
        async with self.conn.execute(
            "SELECT * FROM email_jobs WHERE recipient_id = ? AND state = 'digest' "
            "ORDER BY created_at, id",
            (recipient_id,),
        ) as cursor:
            return [_email_job(row) for row in await cursor.fetchall()]

    async def release_held(self, recipient_id: str, now: datetime) -> int:
        """Held emails become pending, due now."""
        cursor = await self.conn.execute(
            "UPDATE email_jobs SET state = 'pending', next_attempt_at = ? "
            "WHERE recipient_id = ? AND state = 'digest'",
            (now.timestamp(), recipient_id),
        )
        return cursor.rowcount

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, *, bulk_limit: int | None = None
    ) -> list[EmailJob]:
        """Due pending jobs, other kinds before bulk mail, leased until ``lease_until``."""
        bulk = sorted(BULK_KINDS)
        marks = ", ".join("?" for _ in bulk)
        async with self.conn.execute(
            "SELECT * FROM email_jobs WHERE state = 'pending' AND next_attempt_at <= ? "  # noqa: S608 - placeholders only
            f"AND kind NOT IN ({marks}) ORDER BY next_attempt_at LIMIT ?",
            (now.timestamp(), *bulk, limit),
        ) as cursor:
            jobs = [_email_job(row) for row in await cursor.fetchall()]
        room = limit - len(jobs) if bulk_limit is None else min(limit - len(jobs), bulk_limit)
        if room > 0:
            async with self.conn.execute(
                "SELECT * FROM email_jobs WHERE state = 'pending' AND next_attempt_at <= ? "  # noqa: S608 - placeholders only
                f"AND kind IN ({marks}) ORDER BY next_attempt_at LIMIT ?",
                (now.timestamp(), *bulk, room),
            ) as cursor:
                jobs += [_email_job(row) for row in await cursor.fetchall()]
        await self.conn.executemany(
            "UPDATE email_jobs SET next_attempt_at = ? WHERE id = ?",
            [(lease_until.timestamp(), job.id) for job in jobs],
        )
        return jobs

    async def save(self, job: EmailJob) -> None:
        """Store a job's outcome and its content, which is emptied once it is final
        (a job erased meanwhile stays erased)."""
        await self.conn.execute(
            "UPDATE email_jobs SET state = ?, attempts = ?, next_attempt_at = ?, "
            "last_error = ?, sent_at = ?, to_address = ?, text = ?, html = ?, "
            "unsubscribe_url = ?, personalisation = ?, attachments = ? WHERE id = ?",
            (
                job.state,
                job.attempts,
                _ts(job.next_attempt_at),
                job.last_error,
                _ts(job.sent_at),
                job.to_address,
                job.text,
                job.html,
                job.unsubscribe_url,
                json.dumps(job.personalisation),
                _attachments_json(job.attachments),
                job.id,
            ),
        )

    async def for_recipient(self, recipient_id: str) -> list[EmailJob]:
        """Someone's jobs, oldest first."""
        async with self.conn.execute(
            "SELECT * FROM email_jobs WHERE recipient_id = ? ORDER BY created_at, id",
            (recipient_id,),
        ) as cursor:
            return [_email_job(row) for row in await cursor.fetchall()]

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every job's subject, text, HTML,
        personalisation and attachments; how many jobs changed."""
        async with self.conn.execute(
            "UPDATE email_jobs SET subject = replace(subject, ?1, ?2), "
            "text = replace(text, ?1, ?2), html = replace(html, ?1, ?2), "
            "personalisation = replace(personalisation, ?1, ?2) "
            "WHERE instr(subject, ?1) > 0 OR instr(text, ?1) > 0 OR instr(html, ?1) > 0 "
            "OR instr(personalisation, ?1) > 0 RETURNING id",
            (old, new),
        ) as cursor:
            changed = {row["id"] for row in await cursor.fetchall()}
        async with self.conn.execute(
            "SELECT id, attachments FROM email_jobs WHERE attachments != '[]'"
        ) as found:
            rows = list(await found.fetchall())
        for row in rows:
            attachments = attachments_from(json.loads(row["attachments"]))
            replaced = [
                Attachment(
                    a.filename, a.content_type, a.content.replace(old.encode(), new.encode())
                )
                for a in attachments
            ]
            if replaced != attachments:
                await self.conn.execute(
                    "UPDATE email_jobs SET attachments = ? WHERE id = ?",
                    (_attachments_json(replaced), row["id"]),
                )
                changed.add(row["id"])
        return len(changed)

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's jobs."""
        cursor = await self.conn.execute(
            "DELETE FROM email_jobs WHERE recipient_id = ?", (recipient_id,)
        )
        return cursor.rowcount

    async def count_by_state(self) -> dict[str, int]:
        """Jobs per state."""
        async with self.conn.execute(
            "SELECT state, count(*) AS n FROM email_jobs GROUP BY state"
        ) as cursor:
            return {row["state"]: row["n"] for row in await cursor.fetchall()}


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        url=row["url"],
        secret=row["secret"],
        created_at=_req_dt(row["created_at"]),
        department=row["department"],
        match_events=json.loads(row["match_events"]) if row["match_events"] else None,
    )


class SqliteSubscriptionRepository:
    """Webhook subscriptions in ``subscriptions``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, subscription: Subscription) -> None:
        """Store a subscription."""
        await self.conn.execute(
            "INSERT INTO subscriptions (id, url, secret, created_at, department, match_events) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                subscription.id,
                subscription.url,
                subscription.secret,
                _ts(subscription.created_at),
                subscription.department,
                None
                if subscription.match_events is None
                else json.dumps(subscription.match_events),
            ),
        )

    async def list(self) -> list[Subscription]:
        """All, oldest first."""
        async with self.conn.execute("SELECT * FROM subscriptions ORDER BY created_at") as cur:
            return [_subscription(row) for row in await cur.fetchall()]

    async def get(self, subscription_id: str) -> Subscription | None:
        """By id, or None."""
        async with self.conn.execute(
            "SELECT * FROM subscriptions WHERE id = ?", (subscription_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else _subscription(row)

    async def delete(self, subscription_id: str) -> bool:
        """Remove it and its pending deliveries."""
        cursor = await self.conn.execute(
            "DELETE FROM subscriptions WHERE id = ?", (subscription_id,)
        )
        await self.conn.execute(
            "DELETE FROM webhook_deliveries WHERE subscription_id = ? AND state = 'pending'",
            (subscription_id,),
        )
        await self.conn.execute(
            "DELETE FROM webhook_delivery_subjects WHERE delivery_id NOT IN "
            "(SELECT id FROM webhook_deliveries)"
        )
        return cursor.rowcount == 1


def _delivery(row: sqlite3.Row) -> WebhookDelivery:
    return WebhookDelivery(
        id=row["id"],
        subscription_id=row["subscription_id"],
        body=row["body"],
        created_at=_req_dt(row["created_at"]),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=_dt(row["next_attempt_at"]),
        last_error=row["last_error"],
        delivered_at=_dt(row["delivered_at"]),
    )


class SqliteWebhookDeliveryRepository:
    """Webhook deliveries in ``webhook_deliveries``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store, remembering whose event it came from; False if the id exists."""
        cursor = await self.conn.execute(
            "INSERT OR IGNORE INTO webhook_deliveries (id, subscription_id, body, created_at, "
            "state, attempts, next_attempt_at, last_error, delivered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                delivery.id,
                delivery.subscription_id,
                delivery.body,
                _ts(delivery.created_at),
                delivery.state,
                delivery.attempts,
                _ts(delivery.next_attempt_at),
                delivery.last_error,
                _ts(delivery.delivered_at),
            ),
        )
        if cursor.rowcount != 1:
            return False
        if subject_id is not None:
            await self.conn.execute(
                "INSERT OR IGNORE INTO webhook_delivery_subjects (delivery_id, subject_id) "
                "VALUES (?, ?)",
                (delivery.id, subject_id),
            )
        return True

    async def delete_for_subject(self, subject_id: str) -> int:
        """Remove the deliveries not yet made of events about someone (erasure)."""
        cursor = await self.conn.execute(
            "DELETE FROM webhook_deliveries WHERE id IN "
            "(SELECT delivery_id FROM webhook_delivery_subjects WHERE subject_id = ?)",
            (subject_id,),
        )
        await self.conn.execute(
            "DELETE FROM webhook_delivery_subjects WHERE subject_id = ?", (subject_id,)
        )
        return cursor.rowcount

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[WebhookDelivery]:
        """Due pending deliveries, leased until ``lease_until``."""
        async with self.conn.execute(
            "SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at LIMIT ?",
            (now.timestamp(), limit),
        ) as cursor:
            deliveries = [_delivery(row) for row in await cursor.fetchall()]
        await self.conn.executemany(
            "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?",
            [(lease_until.timestamp(), d.id) for d in deliveries],
        )
        return deliveries

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store an outcome."""
        await self.conn.execute(
            "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, "
            "last_error = ?, delivered_at = ?, body = ? WHERE id = ?",
            (
                delivery.state,
                delivery.attempts,
                _ts(delivery.next_attempt_at),
                delivery.last_error,
                _ts(delivery.delivered_at),
                delivery.body,
                delivery.id,
            ),
        )
        if delivery.state == "delivered":
            await self.conn.execute(
                "DELETE FROM webhook_delivery_subjects WHERE delivery_id = ?", (delivery.id,)
            )

    async def for_subscription(self, subscription_id: str) -> list[WebhookDelivery]:
        """A subscription's deliveries, oldest first."""
        async with self.conn.execute(
            "SELECT * FROM webhook_deliveries WHERE subscription_id = ? ORDER BY created_at",
            (subscription_id,),
        ) as cursor:
            return [_delivery(row) for row in await cursor.fetchall()]


class SqliteErasedRepository:
    """Erased ids in ``erased_subjects`` (created by the shared store)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        return await is_erased_sqlite(self.conn, subject_id)

    async def mark(self, subject_id: str) -> None:
        """Record an erasure in this transaction."""
        await mark_erased_sqlite(self.conn, subject_id)


def _checkin(row: Any) -> CheckIn:
    created_at = _dt(row["created_at"])
    assert created_at is not None
    return CheckIn(
        id=row["id"],
        recipient_id=row["recipient_id"],
        match_id=row["match_id"],
        conversation_id=row["conversation_id"],
        round=row["round"],
        created_at=created_at,
        rating=row["rating"],
        comment=row["comment"],
        answered_at=_dt(row["answered_at"]),
    )


class SqliteCheckInRepository:
    """Check-ins in ``checkins``."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, checkin: CheckIn) -> bool:
        """Store; False if the id exists."""
        cursor = await self.conn.execute(
            "INSERT OR IGNORE INTO checkins (id, recipient_id, match_id, conversation_id, "
            "round, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                checkin.id,
                checkin.recipient_id,
                checkin.match_id,
                checkin.conversation_id,
                checkin.round,
                _ts(checkin.created_at),
            ),
        )
        return cursor.rowcount == 1

    async def get(self, checkin_id: str) -> CheckIn | None:
        """By id, or None."""
        async with self.conn.execute("SELECT * FROM checkins WHERE id = ?", (checkin_id,)) as cur:
            row = await cur.fetchone()
        return _checkin(row) if row else None

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        cursor = await self.conn.execute(
            "UPDATE checkins SET rating = ?, comment = ?, answered_at = ? "
            "WHERE id = ? AND answered_at IS NULL",
            (checkin.rating, checkin.comment, _ts(checkin.answered_at), checkin.id),
        )
        return cursor.rowcount == 1

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        async with self.conn.execute(
            "SELECT * FROM checkins WHERE recipient_id = ? ORDER BY created_at DESC, id",
            (recipient_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [_checkin(row) for row in rows]

    async def round_figures(self, round_: int) -> tuple[int, list[int]]:
        """How many were sent in a round, and the ratings given."""
        async with self.conn.execute(
            "SELECT rating FROM checkins WHERE round = ?", (round_,)
        ) as cur:
            rows = await cur.fetchall()
        return len(rows), [int(row["rating"]) for row in rows if row["rating"] is not None]

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's check-ins; returns how many."""
        cursor = await self.conn.execute(
            "DELETE FROM checkins WHERE recipient_id = ?", (recipient_id,)
        )
        return cursor.rowcount


class SqliteNotificationsUnitOfWork(SqliteUnitOfWork):
    """One SQLite transaction over every notifications repository, outbox and inbox."""

    contacts: ContactRepository
    cards: ProfileCardRepository
    notifications: NotificationRepository
    preferences: PreferenceRepository
    email_jobs: EmailJobRepository
    subscriptions: SubscriptionRepository
    webhook_deliveries: WebhookDeliveryRepository
    erased: ErasedRepository
    checkins: CheckInRepository

    def __init__(self, db: SqliteDatabase, hooks: CommitHooks | None = None) -> None:
        super().__init__(db)
        self.hooks = hooks or CommitHooks()
        self.created_notifications: list[Notification] = []
        self.erased_now: list[str] = []

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's connection."""
        conn = self.conn
        self.contacts = SqliteContactRepository(conn)
        self.cards = SqliteProfileCardRepository(conn)
        self.notifications = SqliteNotificationRepository(conn)
        self.preferences = SqlitePreferenceRepository(conn)
        self.email_jobs = SqliteEmailJobRepository(conn)
        self.subscriptions = SqliteSubscriptionRepository(conn)
        self.webhook_deliveries = SqliteWebhookDeliveryRepository(conn)
        self.erased = SqliteErasedRepository(conn)
        self.checkins = SqliteCheckInRepository(conn)
        self.created_notifications = []
        self.erased_now = []

    async def commit(self) -> None:
        """Commit, then run the hooks (live stream, erasure follow-ups)."""
        await super().commit()
        await self.hooks.committed(self)
