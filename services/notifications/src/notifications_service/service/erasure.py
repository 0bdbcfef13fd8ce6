"""Erasure: forgetting a person who asked to be forgotten (``profile.deleted``)."""

from __future__ import annotations

import html
import json

import structlog

from notifications_service.service.notify import SOMEONE
from notifications_service.service.ports import NotificationsUnitOfWork

log = structlog.get_logger(__name__)


async def erase_person(uow: NotificationsUnitOfWork, profile_id: str) -> None:
    """Erase everything held about the person, and remember that they were erased.

    Removes their notifications, email jobs (and so the delivery log), preferences,
    address and card, the webhook deliveries not yet made of events about them and
    this service's own retained events keyed by them (``notification.sent``, kept
    for re-publishing); writes "Someone" for their name wherever others' notifications and
    emails show it; records the id in ``erased_subjects`` (same transaction), so
    that events about them arriving later create nothing. Running it again (a
    replayed event) finds nothing more to remove.
    """
    card = await uow.cards.get(profile_id)
    contact = await uow.contacts.get(profile_id)
    removed = await uow.notifications.delete_for(profile_id)
    checkins = await uow.checkins.delete_for(profile_id)
    jobs = await uow.email_jobs.delete_for(profile_id)
    deliveries = await uow.webhook_deliveries.delete_for_subject(profile_id)
    await uow.preferences.delete(profile_id)
    await uow.contacts.delete(profile_id)
    await uow.cards.delete(profile_id)
    events = await uow.drop_outbox_for_subject(profile_id)
    names = {n for n in (card and card.display_name, contact and contact.display_name) if n}
    scrubbed = 0
    for written in sorted({w for name in names for w in name_forms(name)}, key=len, reverse=True):
        scrubbed += await uow.notifications.replace_text(written, SOMEONE)
        scrubbed += await uow.email_jobs.replace_text(written, SOMEONE)
    await uow.erased.mark(profile_id)
    uow.erased_now.append(profile_id)
    log.info(
        "person_erased",
        profile_id=profile_id,
        notifications=removed,
        checkins=checkins,
        email_jobs=jobs,
        webhook_deliveries=deliveries,
        events_dropped=events,
        mentions_replaced=scrubbed,
    )


def name_forms(name: str) -> set[str]:
    """How a name can be written in stored text: as is, HTML-escaped, JSON-escaped.

    Names shorter than three characters are left alone: replacing them would
    change unrelated words.
    """
    if len(name.strip()) < 3:
        return set()
    return {name, html.escape(name), json.dumps(name)[1:-1]}


async def any_erased(uow: NotificationsUnitOfWork, *person_ids: str) -> bool:
    """Whether any of these people was erased here (events about them are ignored)."""
    for person_id in person_ids:
        if person_id and await uow.erased.contains(person_id):
            return True
    return False
