"""Composition root: builds the store, runtime, consumer, delivery worker and live stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from mentor_shared.runtime import ServiceRuntime, Store, open_store
from mentor_shared.sealing import Sealer
from mentor_shared.web.health import CheckResult
from notifications_service.adapters.notify_sender import NotifyEmailSender
from notifications_service.adapters.schema import LADDER
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from notifications_service.adapters.sqlite_repository import SqliteNotificationsUnitOfWork
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.adapters.webhook_poster import HttpxWebhookPoster
from notifications_service.consumers import GROUP_ID, TOPICS, make_event_handler
from notifications_service.domain.model import RetryPolicy
from notifications_service.service.delivery import DeliveryConfig, DeliveryWorker
from notifications_service.service.live import LiveNotifications
from notifications_service.service.notify import NotifyConfig
from notifications_service.service.ports import EmailSender, NotificationsUnitOfWork
from notifications_service.service.webhook_guard import WebhookGuard
from notifications_service.settings import NotificationsSettings

PUBLISHES = ["notification", "public.match-events"]
DATABASE = "notifications"
"""The MongoDB database's name."""


@dataclass
class NotificationsContext:
    """Everything the notifications process runs."""

    settings: NotificationsSettings
    store: Store
    runtime: ServiceRuntime
    uow_factory: Callable[[], NotificationsUnitOfWork]
    worker: DeliveryWorker
    live: LiveNotifications
    poster: HttpxWebhookPoster
    notify_config: NotifyConfig
    webhook_guard: WebhookGuard
    sealer: Sealer

    async def start_background(self) -> None:
        """Start the delivery worker (the runtime is started around it)."""
        await self.worker.start()

    async def stop_background(self) -> None:
        """Close the live streams, stop the worker and close its webhook client."""
        self.live.close_all()
        await self.worker.stop()
        await self.poster.close()

    async def check_worker(self) -> CheckResult:
        """The delivery worker is running (for /readyz)."""
        return CheckResult("delivery_worker", self.worker.running, dict(self.worker.totals))


def email_sender(settings: NotificationsSettings) -> EmailSender:
    """The configured email sender (EMAIL_SENDER=smtp|notify)."""
    if settings.email_sender == "notify":
        if not settings.notify_api_key:
            raise ValueError("EMAIL_SENDER=notify needs NOTIFY_API_KEY")
        return NotifyEmailSender(
            settings.notify_api_key,
            settings.notify_template_ids,
            base_url=settings.notify_base_url,
            timeout_s=settings.smtp_timeout_s,
        )
    return SmtpEmailSender(
        settings.smtp_host,
        settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        use_tls=settings.smtp_tls,
        start_tls=settings.smtp_starttls,
        timeout_s=settings.smtp_timeout_s,
    )


def units_of_work(store: Store, live: LiveNotifications) -> Callable[[], NotificationsUnitOfWork]:
    """New units of work on the store, telling the live stream what they commit."""
    hooks = CommitHooks(
        on_commit=live.publish, on_erased=live.close_for, after_erasure=store.after_erasure
    )
    if store.is_mongodb:
        from notifications_service.adapters.mongo_repository import (
            MongoNotificationsUnitOfWork,
        )

        client = store.handle.client
        return lambda: MongoNotificationsUnitOfWork(client, DATABASE, hooks)
    return lambda: SqliteNotificationsUnitOfWork(store.handle, hooks)


async def bootstrap(
    settings: NotificationsSettings, *, sender: EmailSender | None = None
) -> NotificationsContext:
    """Open the store and wire the service (nothing is started yet)."""
    live = LiveNotifications()
    store = await open_store(settings, DATABASE, LADDER)
    uow_factory = units_of_work(store, live)
    runtime = ServiceRuntime(settings, store, publishes=PUBLISHES, uow_factory=uow_factory)
    sealer = Sealer.from_settings(settings)
    notify_config = NotifyConfig(
        mail_from=settings.mail_from,
        public_url=settings.public_url.rstrip("/"),
        api_url=settings.api_url.rstrip("/"),
        unsubscribe_secret=settings.unsubscribe_secret,
        message_email_window=timedelta(seconds=settings.message_email_window_s),
        unsubscribe_link_ttl=timedelta(days=settings.unsubscribe_link_ttl_days),
    )
    runtime.add_consumer(
        group_id=GROUP_ID,
        topics=TOPICS,
        handler=make_event_handler(notify_config, sealer),
    )
    webhook_guard = WebhookGuard(allow_private=settings.webhook_allow_private)
    poster = HttpxWebhookPoster(webhook_guard, settings.webhook_timeout_s)
    wakeup = asyncio.Event()
    store.commit_signals.append(wakeup)
    worker = DeliveryWorker(
        uow_factory,
        sender or email_sender(settings),
        poster,
        DeliveryConfig(
            mail_from=settings.mail_from,
            email_retry=RetryPolicy(
                settings.email_max_attempts,
                settings.email_backoff_base_s,
                settings.email_backoff_max_s,
            ),
            webhook_retry=RetryPolicy(
                settings.webhook_max_attempts,
                settings.webhook_backoff_base_s,
                settings.webhook_backoff_max_s,
            ),
            batch=settings.delivery_batch,
            lease=timedelta(seconds=settings.delivery_lease_s),
            poll_interval_s=settings.delivery_poll_interval_s,
            digest_hour_utc=settings.digest_hour_utc,
            bulk_per_minute=settings.bulk_emails_per_minute,
        ),
        wakeup=wakeup,
        notify_config=notify_config,
        sealer=sealer,
    )
    return NotificationsContext(
        settings=settings,
        store=store,
        runtime=runtime,
        uow_factory=uow_factory,
        worker=worker,
        live=live,
        poster=poster,
        notify_config=notify_config,
        webhook_guard=webhook_guard,
        sealer=sealer,
    )
