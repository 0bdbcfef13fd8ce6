"""The notifications store on SQLite (the embedded default): its schema and the
unit of work over the repositories (``sqlite_people``, ``sqlite_notifications``,
``sqlite_email_jobs``, ``sqlite_webhooks``), which read and write through the
shared mapper (``records``)."""

from __future__ import annotations

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.erasure import ERASED_SQL
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.sqlite_email_jobs import SqliteEmailJobRepository
from notifications_service.adapters.sqlite_notifications import (
    SqliteCheckInRepository,
    SqliteNotificationRepository,
)
from notifications_service.adapters.sqlite_people import (
    SqliteContactRepository,
    SqliteErasedRepository,
    SqlitePreferenceRepository,
    SqliteProfileCardRepository,
)
from notifications_service.adapters.sqlite_webhooks import (
    SqliteSubscriptionRepository,
    SqliteWebhookDeliveryRepository,
)
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.service.ports import NotificationsUnitOfWork

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


class SqliteNotificationsUnitOfWork(SqliteUnitOfWork, NotificationsUnitOfWork):
    """One SQLite transaction over every notifications repository, outbox and inbox
    (the repositories' types are the port's)."""

    def __init__(self, db: SqliteDatabase, hooks: CommitHooks | None = None) -> None:
        super().__init__(db)
        self.hooks = hooks or CommitHooks()
        self.created_notifications = []
        self.erased_now = []

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
