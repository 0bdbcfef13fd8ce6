"""One mapping between the domain and the records both stores keep.

SQLite rows and MongoDB documents hold the same fields under the same names;
they differ only in how a few values are written, which a :class:`Dialect`
says: the key field (MongoDB's ``_id``), moments (SQLite: epoch seconds;
MongoDB: dates), JSON values (SQLite: text) and flags (SQLite: 0 or 1). Each
aggregate has a ``*_record`` (domain -> record) and a ``*_from`` (record ->
domain); email jobs and webhook deliveries also have the fields an outcome
changes. Attachments are kept as a list of ``{filename, content_type,
content}`` with the content in base64.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mentor_shared.clock import as_utc, from_epoch, to_epoch
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import (
    Attachment,
    Contact,
    EmailJob,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    WebhookDelivery,
)

Record = dict[str, Any]


def _same(value: Any) -> Any:
    return value


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def _from_json_text(text: str | None) -> Any:
    return json.loads(text) if text else None


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one store writes the values a record holds."""

    key_field: str | None
    """The field every record is keyed by (``_id``); None: the aggregate's own id field."""
    moment: Callable[[datetime | None], Any]
    read_moment: Callable[[Any], datetime | None]
    json: Callable[[Any], Any]
    read_json: Callable[[Any], Any]
    flag: Callable[[bool], Any]

    def key(self, field: str) -> str:
        """The name the aggregate's id ``field`` is stored under."""
        return self.key_field or field

    def when(self, value: Any) -> datetime:
        """A moment that is always set."""
        moment = self.read_moment(value)
        assert moment is not None
        return moment


SQLITE = Dialect(None, to_epoch, from_epoch, _json_text, _from_json_text, int)
MONGO = Dialect("_id", _same, as_utc, _same, _same, bool)


def contact_record(contact: Contact, d: Dialect) -> Record:
    """An address as stored."""
    return {
        d.key("account_id"): contact.account_id,
        "email": contact.email,
        "display_name": contact.display_name,
        "verified": d.flag(contact.verified),
    }


def contact_from(record: Mapping[str, Any], d: Dialect) -> Contact:
    """An address from its record."""
    return Contact(
        record[d.key("account_id")],
        record["email"],
        record["display_name"],
        bool(record.get("verified")),
    )


CARD_FIELDS = ("version", "display_name", "department", "profession", "grade", "region")


def card_record(card: ProfileCard, d: Dialect) -> Record:
    """A profile card as stored."""
    return {d.key("profile_id"): card.profile_id, **{f: getattr(card, f) for f in CARD_FIELDS}}


def card_from(record: Mapping[str, Any], d: Dialect) -> ProfileCard:
    """A profile card from its record."""
    return ProfileCard(
        profile_id=record[d.key("profile_id")],
        version=record["version"],
        display_name=record["display_name"],
        department=record.get("department"),
        profession=record.get("profession"),
        grade=record.get("grade"),
        region=record.get("region"),
    )


def notification_record(notification: Notification, d: Dialect) -> Record:
    """An in-app notification as stored."""
    return {
        d.key("id"): notification.id,
        "recipient_id": notification.recipient_id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created_at": d.moment(notification.created_at),
        "read_at": d.moment(notification.read_at),
    }


def notification_from(record: Mapping[str, Any], d: Dialect) -> Notification:
    """An in-app notification from its record."""
    return Notification(
        id=record[d.key("id")],
        recipient_id=record["recipient_id"],
        kind=record["kind"],
        title=record["title"],
        body=record["body"],
        link=record.get("link"),
        created_at=d.when(record["created_at"]),
        read_at=d.read_moment(record.get("read_at")),
    )


def preferences_record(preferences: Preferences, d: Dialect) -> Record:
    """Preferences as stored (channels as one object)."""
    return {
        d.key("account_id"): preferences.account_id,
        "channels": d.json(dict(preferences.channels)),
        "daily_digest": d.flag(preferences.daily_digest),
    }


def preferences_from(record: Mapping[str, Any], d: Dialect) -> Preferences:
    """Preferences from their record."""
    return Preferences(
        record[d.key("account_id")],
        channels=dict(d.read_json(record["channels"]) or {}),
        daily_digest=bool(record["daily_digest"]),
    )


def attachments_record(attachments: list[Attachment], d: Dialect) -> Any:
    """Attachments as stored (content in base64)."""
    return d.json(
        [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "content": base64.b64encode(a.content).decode("ascii"),
            }
            for a in attachments
        ]
    )


def attachments_from(stored: Any, d: Dialect) -> list[Attachment]:
    """Attachments from their stored form."""
    return [
        Attachment(item["filename"], item["content_type"], base64.b64decode(item["content"]))
        for item in d.read_json(stored) or []
    ]


def replace_in_attachments(attachments: list[Attachment], old: str, new: str) -> list[Attachment]:
    """The attachments with ``new`` written for ``old`` in their content (erasure of
    a name from calendar entries)."""
    return [
        Attachment(a.filename, a.content_type, a.content.replace(old.encode(), new.encode()))
        for a in attachments
    ]


def email_outcome_record(job: EmailJob, d: Dialect) -> Record:
    """What a delivery attempt or a settling changes: the state and the content,
    emptied once the job is final."""
    return {
        "state": job.state,
        "attempts": job.attempts,
        "next_attempt_at": d.moment(job.next_attempt_at),
        "last_error": job.last_error,
        "sent_at": d.moment(job.sent_at),
        "to_address": job.to_address,
        "text": job.text,
        "html": job.html,
        "unsubscribe_url": job.unsubscribe_url,
        "personalisation": d.json(job.personalisation),
        "attachments": attachments_record(job.attachments, d),
    }


def email_job_record(job: EmailJob, d: Dialect) -> Record:
    """An email job as stored."""
    return {
        d.key("id"): job.id,
        "recipient_id": job.recipient_id,
        "kind": job.kind,
        "subject": job.subject,
        "created_at": d.moment(job.created_at),
        "throttle_key": job.throttle_key,
        "notification_id": job.notification_id,
        "trace_context": job.trace_context,
        **email_outcome_record(job, d),
    }


def email_job_from(record: Mapping[str, Any], d: Dialect) -> EmailJob:
    """An email job from its record."""
    return EmailJob(
        id=record[d.key("id")],
        recipient_id=record["recipient_id"],
        kind=record["kind"],
        to_address=record["to_address"],
        subject=record["subject"],
        text=record["text"],
        html=record["html"],
        unsubscribe_url=record["unsubscribe_url"],
        created_at=d.when(record["created_at"]),
        state=record["state"],
        attempts=record["attempts"],
        next_attempt_at=d.read_moment(record.get("next_attempt_at")),
        last_error=record.get("last_error"),
        sent_at=d.read_moment(record.get("sent_at")),
        throttle_key=record.get("throttle_key"),
        notification_id=record.get("notification_id"),
        personalisation=dict(d.read_json(record.get("personalisation")) or {}),
        attachments=attachments_from(record.get("attachments"), d),
        trace_context=record.get("trace_context"),
    )


def subscription_record(subscription: Subscription, d: Dialect) -> Record:
    """A webhook subscription as stored."""
    return {
        d.key("id"): subscription.id,
        "url": subscription.url,
        "secret": subscription.secret,
        "created_at": d.moment(subscription.created_at),
        "department": subscription.department,
        "match_events": d.json(subscription.match_events),
    }


def subscription_from(record: Mapping[str, Any], d: Dialect) -> Subscription:
    """A webhook subscription from its record."""
    return Subscription(
        id=record[d.key("id")],
        url=record["url"],
        secret=record["secret"],
        created_at=d.when(record["created_at"]),
        department=record.get("department"),
        match_events=d.read_json(record.get("match_events")),
    )


def delivery_outcome_record(delivery: WebhookDelivery, d: Dialect) -> Record:
    """What a delivery attempt changes (the body goes once delivered)."""
    return {
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_attempt_at": d.moment(delivery.next_attempt_at),
        "last_error": delivery.last_error,
        "delivered_at": d.moment(delivery.delivered_at),
        "body": delivery.body,
    }


def delivery_record(delivery: WebhookDelivery, d: Dialect) -> Record:
    """A webhook delivery as stored."""
    return {
        d.key("id"): delivery.id,
        "subscription_id": delivery.subscription_id,
        "created_at": d.moment(delivery.created_at),
        **delivery_outcome_record(delivery, d),
    }


def delivery_from(record: Mapping[str, Any], d: Dialect) -> WebhookDelivery:
    """A webhook delivery from its record."""
    return WebhookDelivery(
        id=record[d.key("id")],
        subscription_id=record["subscription_id"],
        body=record["body"],
        created_at=d.when(record["created_at"]),
        state=record["state"],
        attempts=record["attempts"],
        next_attempt_at=d.read_moment(record.get("next_attempt_at")),
        last_error=record.get("last_error"),
        delivered_at=d.read_moment(record.get("delivered_at")),
    )


def checkin_answer_record(checkin: CheckIn, d: Dialect) -> Record:
    """What answering a check-in changes."""
    return {
        "rating": checkin.rating,
        "comment": checkin.comment,
        "answered_at": d.moment(checkin.answered_at),
    }


def checkin_record(checkin: CheckIn, d: Dialect) -> Record:
    """A check-in as stored."""
    return {
        d.key("id"): checkin.id,
        "recipient_id": checkin.recipient_id,
        "match_id": checkin.match_id,
        "conversation_id": checkin.conversation_id,
        "round": checkin.round,
        "created_at": d.moment(checkin.created_at),
        **checkin_answer_record(checkin, d),
    }


def checkin_from(record: Mapping[str, Any], d: Dialect) -> CheckIn:
    """A check-in from its record."""
    return CheckIn(
        id=record[d.key("id")],
        recipient_id=record["recipient_id"],
        match_id=record["match_id"],
        conversation_id=record["conversation_id"],
        round=record["round"],
        created_at=d.when(record["created_at"]),
        rating=record.get("rating"),
        comment=record.get("comment"),
        answered_at=d.read_moment(record.get("answered_at")),
    )
