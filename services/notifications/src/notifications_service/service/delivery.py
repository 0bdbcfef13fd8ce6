"""The delivery worker: sends queued emails and webhook POSTs, with retries.

Reactions only queue (in the same transaction as the in-app notification and the
inbox record); this worker, a background task of the service process, claims
due rows, sends them outside any transaction, then records the outcome. A row
is claimed by moving its next attempt a lease into the future, so a second
worker leaves it alone and a crashed worker's rows come back after the lease.

Once a day, at ``digest_hour_utc``, a pass first turns the emails held for
people's daily digests into one digest job each (``service.digest``), which
this same loop then sends like any other.

Delivery to the mail server is at least once: a crash after the server accepted
an email and before the outcome is stored sends it again after the lease. Each
email carries its job id as ``Message-ID`` so receiving systems can drop such
a repeat.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog
from standardwebhooks import Webhook

from mentor_shared.background import BackgroundTask
from mentor_shared.clock import as_utc, to_epoch, utc_now
from mentor_shared.sealing import Sealer, SealError
from mentor_shared.tracing import span_under
from notifications_service.domain.model import (
    ADDRESS_WAIT,
    BULK_KINDS,
    EmailJob,
    RetryPolicy,
    WebhookDelivery,
)
from notifications_service.metrics import record_delivery
from notifications_service.service.digest import send_daily_digests
from notifications_service.service.notify import NotifyConfig, notification_sent
from notifications_service.service.ports import (
    DeliveryError,
    EmailSender,
    NotificationsUnitOfWork,
    SentSummary,
    WebhookPoster,
)

log = structlog.get_logger(__name__)

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


def webhook_headers(secret: str, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (https://www.standardwebhooks.com).

    ``webhook-signature`` is ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``
    keyed with the secret's bytes: the base64 after ``whsec_`` for the secrets this
    service generates, the text itself for a secret registered before it did.
    The id is the delivery's, the same on every retry, so receivers can drop repeats.
    """
    key: str | bytes = secret if secret.startswith("whsec_") else secret.encode()
    moment = as_utc(at)
    return {
        "Content-Type": "application/json",
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(int(to_epoch(moment))),
        SIGNATURE_HEADER: Webhook(key).sign(message_id, moment, body.decode()),
    }


def open_webhook_secret(sealer: Sealer | None, stored: str) -> str:
    """The signing secret of a subscription as stored: sealed (the service's own,
    opened with ``EVENT_SEAL_KEY``), or as given (registered before secrets were
    made and sealed here)."""
    if sealer is None or stored.startswith("whsec_"):
        return stored
    try:
        return sealer.open(stored)
    except SealError:
        if stored.startswith("gAAAAA"):
            # Sealed, but not with this key (EVENT_SEAL_KEY changed): signing with the
            # ciphertext would make every delivery fail at the receiver, unexplained.
            log.error("webhook_secret_unreadable")
            raise
        return stored


EMAIL_RETRY = RetryPolicy()
WEBHOOK_RETRY = RetryPolicy(max_attempts=6, base_s=2.0, max_s=600.0)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    """Tuning of the worker."""

    mail_from: str
    email_retry: RetryPolicy = EMAIL_RETRY
    webhook_retry: RetryPolicy = WEBHOOK_RETRY
    batch: int = 50
    concurrency: int = 8
    lease: timedelta = timedelta(seconds=120)
    poll_interval_s: float = 1.0
    address_wait: timedelta = ADDRESS_WAIT
    digest_hour_utc: int = 7
    bulk_per_minute: float | None = 600.0
    """Bulk mail (claim invitations) sent per minute at most; None: no bound."""


class DeliveryWorker:
    """Sends what the reactions queued; one instance per service process."""

    def __init__(
        self,
        uow_factory: Callable[[], NotificationsUnitOfWork],
        sender: EmailSender,
        poster: WebhookPoster,
        config: DeliveryConfig,
        wakeup: asyncio.Event | None = None,
        *,
        notify_config: NotifyConfig | None = None,
        sealer: Sealer | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Args:
        uow_factory: New units of work.
        sender: Sends emails.
        poster: Posts webhooks.
        config: Tuning.
        wakeup: Set after commits that may have queued something.
        notify_config: Links for digests; without it no digest is made.
        sealer: Opens the webhook signing secrets, stored sealed.
        clock: The current time (tests move it).
        """
        self._uow_factory = uow_factory
        self._sealer = sealer
        self._notify_config = notify_config
        self.clock = clock
        self._digest_day: date | None = None
        self._bulk_tokens = float(config.bulk_per_minute or 0.0)
        self._bulk_checked: datetime | None = None
        self._sender = sender
        self._poster = poster
        self.config = config
        self.wakeup = wakeup or asyncio.Event()
        self._loop = BackgroundTask("notifications-delivery", self._run)
        self._limit = asyncio.Semaphore(config.concurrency)
        self.totals = {
            "sent": 0,
            "failed": 0,
            "retried": 0,
            "delivered": 0,
            "parked": 0,
            "digests": 0,
        }

    async def start(self) -> None:
        """Start the background loop."""
        self._loop.start()
        log.info("delivery_worker_started")

    async def stop(self) -> None:
        """Stop the loop; rows being sent come back after their lease."""
        await self._loop.stop()

    @property
    def running(self) -> bool:
        """Whether the loop is alive (for /readyz)."""
        return self._loop.running

    async def _run(self) -> None:
        while True:
            self.wakeup.clear()
            try:
                summary = await self.run_once(self.clock())
            except Exception as exc:  # noqa: BLE001 - the store may be briefly unavailable; keep going
                log.error("delivery_pass_failed", error=type(exc).__name__, detail=str(exc)[:200])
                summary = SentSummary()
            busy = summary.sent + summary.failed + summary.webhooks_delivered >= self.config.batch
            if busy:
                continue
            # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that
            # arrives as the wake-up does, and stop() would then wait forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.config.poll_interval_s):
                    await self.wakeup.wait()

    async def digest_if_due(self, now: datetime) -> int:
        """Make today's digests once ``now`` is past the digest hour; how many.

        Remembered per process; a run after a restart finds the day's digests
        already made (their ids derive from person and date) and adds none.
        """
        if self._notify_config is None or now.hour < self.config.digest_hour_utc:
            return 0
        today = now.date()
        if self._digest_day == today:
            return 0
        summary = await send_daily_digests(self._uow_factory, self._notify_config, now)
        self._digest_day = today
        self.totals["digests"] += summary.digests
        return summary.digests

    def _bulk_allowance(self, now: datetime) -> int | None:
        """Bulk emails this batch may take: a token bucket refilled at
        ``bulk_per_minute``, holding at most one minute's worth."""
        rate = self.config.bulk_per_minute
        if rate is None:
            return None
        if self._bulk_checked is not None:
            elapsed = max(0.0, (now - self._bulk_checked).total_seconds())
            self._bulk_tokens = min(rate, self._bulk_tokens + elapsed * rate / 60.0)
        self._bulk_checked = now
        return int(self._bulk_tokens)

    def _bulk_spent(self, count: int) -> None:
        if self.config.bulk_per_minute is not None:
            self._bulk_tokens = max(0.0, self._bulk_tokens - count)

    async def run_once(self, now: datetime | None = None) -> SentSummary:
        """Make the day's digests when due, then claim, send and record one batch
        of emails and one of webhooks."""
        now = now or self.clock()
        await self.digest_if_due(now)
        lease_until = now + self.config.lease
        async with self._uow_factory() as uow:
            claimed = await uow.email_jobs.claim_due(
                now, self.config.batch, lease_until, bulk_limit=self._bulk_allowance(now)
            )
            self._bulk_spent(sum(1 for job in claimed if job.kind in BULK_KINDS))
            jobs: list[EmailJob] = []
            waiting: list[EmailJob] = []
            for job in claimed:
                if not job.to_address:
                    contact = await uow.contacts.get(job.recipient_id)
                    if contact is not None:
                        job.address_found(contact.email)
                (jobs if job.to_address else waiting).append(job)
            for job in waiting:
                job.wait_for_address(now, give_up_after=self.config.address_wait)
                await uow.email_jobs.save(job)
            deliveries = await uow.webhook_deliveries.claim_due(now, self.config.batch, lease_until)
            secrets = {}
            for delivery in deliveries:
                subscription = await uow.subscriptions.get(delivery.subscription_id)
                if subscription is not None:
                    try:
                        secret: str | None = open_webhook_secret(self._sealer, subscription.secret)
                    except SealError:
                        secret = None
                    secrets[delivery.subscription_id] = (subscription.url, secret)
            if not claimed and not deliveries:
                # Nothing to record; committing would signal the commit listeners,
                # this worker's own wake-up among them, and the loop would spin.
                return SentSummary()
            await uow.commit()
        if not jobs and not deliveries:
            return SentSummary()
        await asyncio.gather(
            *(self._send_email(job) for job in jobs),
            *(self._post_webhook(d, secrets.get(d.subscription_id)) for d in deliveries),
        )
        async with self._uow_factory() as uow:
            for job in jobs:
                await uow.email_jobs.save(job)
                # Erased while it was being sent: nothing is published about them.
                if job.state == "sent" and not await uow.erased.contains(job.recipient_id):
                    uow.add_event(notification_sent(job.id, job.recipient_id, job.kind, "email"))
            for delivery in deliveries:
                await uow.webhook_deliveries.save(delivery)
            await uow.commit()
        summary = SentSummary(
            sent=sum(j.state == "sent" for j in jobs),
            retried=sum(j.state == "pending" for j in jobs),
            failed=sum(j.state == "failed" for j in jobs),
            webhooks_delivered=sum(d.state == "delivered" for d in deliveries),
            webhooks_retried=sum(d.state == "pending" for d in deliveries),
            webhooks_parked=sum(d.state == "parked" for d in deliveries),
        )
        self.totals["sent"] += summary.sent
        self.totals["failed"] += summary.failed
        self.totals["retried"] += summary.retried
        self.totals["delivered"] += summary.webhooks_delivered
        self.totals["parked"] += summary.webhooks_parked
        return summary

    async def _send_email(self, job: EmailJob) -> None:
        # Traced under the event that queued it: one trace from the request that
        # caused the email to its delivery. Ids and kinds only, never the address.
        attributes = {"mentor.email.job_id": job.id, "mentor.email.kind": job.kind}
        async with self._limit:
            try:
                with span_under("send email", job.trace_context, attributes):
                    await self._sender.send(job, mail_from=self.config.mail_from)
            except DeliveryError as exc:
                job.record_failure(
                    self.clock(), str(exc), permanent=exc.permanent, policy=self.config.email_retry
                )
                record_delivery("email", str(job.state))
                log.warning(
                    "email_send_failed",
                    job_id=job.id,
                    kind=job.kind,
                    attempts=job.attempts,
                    state=job.state,
                    permanent=exc.permanent,
                )
                return
            job.record_success(self.clock())
            record_delivery("email", "delivered")
            log.info("email_sent", job_id=job.id, kind=job.kind, attempts=job.attempts)

    async def _post_webhook(
        self, delivery: WebhookDelivery, target: tuple[str, str | None] | None
    ) -> None:
        if target is None:
            # The subscription was deleted after the row was claimed.
            delivery.record_failure(
                self.clock(), "subscription_deleted", RetryPolicy(max_attempts=1)
            )
            return
        url, secret = target
        if secret is None:
            # Kept for retrying: it goes out once the right EVENT_SEAL_KEY is back.
            delivery.record_failure(self.clock(), "secret_unreadable", WEBHOOK_RETRY)
            return
        body = delivery.body.encode()
        # The real time, not the worker's clock: receivers compare it with theirs.
        headers = webhook_headers(secret, delivery.id, utc_now(), body)
        async with self._limit:
            try:
                status = await self._poster.post(url, body, headers)
            except DeliveryError as exc:
                error = str(exc)
            else:
                if 200 <= status < 300:
                    delivery.record_success(self.clock())
                    record_delivery("webhook", "delivered")
                    log.info("webhook_delivered", delivery_id=delivery.id)
                    return
                error = f"status {status}"
        delivery.record_failure(self.clock(), error, self.config.webhook_retry)
        record_delivery("webhook", str(delivery.state))
        log.warning(
            "webhook_failed",
            delivery_id=delivery.id,
            attempts=delivery.attempts,
            state=delivery.state,
            error=error[:100],
        )
