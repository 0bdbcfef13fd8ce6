"""The daily digest: one email a day summarising the emails held for someone.

For a person with the digest on, the notify pipeline stores digestible emails in the
``digest`` state instead of ``pending``. Once a day, at ``DIGEST_HOUR_UTC``,
each person's held emails become one ordinary email job (so retries, backoff
and the delivery log apply) and the held ones are marked ``digested``, in one
transaction per person. The digest job's id derives from the person and the
date: a second run on the same day (a restart, a second process) finds it
already there and leaves anything held since for the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from notifications_service.domain import messages
from notifications_service.domain.messages import DigestItem
from notifications_service.domain.model import Contact, EmailJob, digest_job_id
from notifications_service.service.notify import SOMEONE, NotifyConfig, personalisation
from notifications_service.service.ports import NotificationsUnitOfWork
from notifications_service.templates import render_html, render_text

log = structlog.get_logger(__name__)

PEOPLE_PER_PASS = 500


@dataclass(frozen=True, slots=True)
class DigestSummary:
    """What one digest run did."""

    digests: int = 0
    items: int = 0
    suppressed: int = 0


async def send_daily_digests(
    uow_factory: Callable[[], NotificationsUnitOfWork],
    config: NotifyConfig,
    now: datetime,
) -> DigestSummary:
    """Turn everyone's held emails into one digest job each (due at ``now``)."""
    digests = items = suppressed = 0
    done: set[str] = set()
    while True:
        async with uow_factory() as uow:
            people = [
                p
                for p in await uow.email_jobs.held_recipients(PEOPLE_PER_PASS + len(done))
                if p not in done
            ]
        if not people:
            break
        for person in people:
            done.add(person)
            included, dropped = await _digest_for(uow_factory, config, person, now)
            digests += included > 0
            items += included
            suppressed += dropped
    if digests or suppressed:
        log.info("digests_created", digests=digests, items=items, suppressed=suppressed)
    return DigestSummary(digests=digests, items=items, suppressed=suppressed)


async def _digest_for(
    uow_factory: Callable[[], NotificationsUnitOfWork],
    config: NotifyConfig,
    person: str,
    now: datetime,
) -> tuple[int, int]:
    async with uow_factory() as uow:
        job_id = digest_job_id(person, now.date())
        if await uow.email_jobs.get(job_id) is not None:
            # Today's digest exists: what was held since waits for tomorrow's.
            return 0, 0
        preferences = await uow.preferences.get(person)
        held = await uow.email_jobs.held_for(person)
        wanted: list[EmailJob] = []
        dropped = 0
        for job in held:
            # Preferences may have changed since the email was held.
            if job.kind != "digest" and preferences.wants_email(job.kind):
                if not job.digestible:
                    # Held before calendar entries were kept out of digests: it goes
                    # on its own, with its entry.
                    job.release(now)
                    await uow.email_jobs.save(job)
                    continue
                wanted.append(job)
            else:
                job.settle("suppressed", "preference")
                await uow.email_jobs.save(job)
                dropped += 1
        if wanted:
            contact = await uow.contacts.get(person)
            digest = _digest_job(config, job_id, person, contact, wanted, now)
            if not await uow.email_jobs.add(digest):
                # Another process made it meanwhile (and took these emails).
                return 0, 0
            for job in wanted:
                job.settle("digested")
                await uow.email_jobs.save(job)
        await uow.commit()
    return len(wanted), dropped


def _digest_job(
    config: NotifyConfig,
    job_id: str,
    person: str,
    contact: Contact | None,
    held: list[EmailJob],
    now: datetime,
) -> EmailJob:
    items = tuple(
        DigestItem(job.subject, job.personalisation.get("action_url") or config.public_url)
        for job in held
    )
    letter = messages.digest(config.public_url, items)
    name = contact.display_name if contact else SOMEONE
    unsubscribe_url = config.unsubscribe_url(person, "digest")
    return EmailJob(
        id=job_id,
        recipient_id=person,
        kind="digest",
        # Empty: the delivery worker looks the address up and waits for it.
        to_address=contact.email if contact else "",
        subject=letter.subject,
        text=render_text(letter, name, unsubscribe_url, items),
        html=render_html(letter, name, unsubscribe_url, items),
        unsubscribe_url=unsubscribe_url,
        created_at=now,
        next_attempt_at=now,
        personalisation=personalisation(
            letter,
            name,
            body="\n\n".join(
                [*letter.paragraphs, *(f"* {item.text}: {item.url}" for item in items)]
            ),
        ),
    )
