"""One mapping between the domain and the records both stores keep.

SQLite rows and MongoDB documents hold each aggregate's fields under the
fields' own names. What differs is how a few values are written, which a
:class:`Dialect` says (the key's name: MongoDB's ``_id``; moments: epoch seconds
or dates; JSON values: text or native; flags: 0/1 or booleans), and which
fields need converting, which a :class:`Shape` per aggregate says. Attachments
are kept as a list of ``{filename, content_type, content}``, content in base64.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Generic, TypeVar

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
Convert = Callable[[Any], Any]
T = TypeVar("T")


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
    """The field every record is keyed by (``_id``); None: the aggregate's own."""
    moment: Callable[[datetime | None], Any]
    read_moment: Callable[[Any], datetime | None]
    json: Callable[[Any], Any]
    read_json: Callable[[Any], Any]
    flag: Callable[[bool], Any]


SQLITE = Dialect(None, to_epoch, from_epoch, _json_text, _from_json_text, int)
MONGO = Dialect("_id", _same, as_utc, _same, _same, bool)


def attachments_record(attachments: list[Attachment], d: Dialect) -> Any:
    """Attachments as stored."""
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


@dataclass(frozen=True, slots=True)
class Shape(Generic[T]):
    """How one aggregate (a dataclass) is stored: its key and the fields to convert.

    A field absent or null in a record takes the dataclass's default when it has
    one (a document written before the field existed).
    """

    kind: type[T]
    key: str
    moments: frozenset[str] = frozenset()
    json: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    attachments: frozenset[str] = frozenset()

    def name(self, field: str, d: Dialect) -> str:
        """The name ``field`` is stored under."""
        return (d.key_field or field) if field == self.key else field

    def record(self, item: T, d: Dialect, fields: Sequence[str] = ()) -> Record:
        """``item`` as stored (only ``fields`` when given)."""
        names = fields or [f.name for f in dataclasses.fields(self.kind)]  # type: ignore[arg-type]
        return {self.name(n, d): self._write(n, getattr(item, n), d) for n in names}

    def read(self, record: Mapping[str, Any], d: Dialect) -> T:
        """The aggregate a record holds."""
        values: dict[str, Any] = {}
        for field in dataclasses.fields(self.kind):  # type: ignore[arg-type]
            stored = record.get(self.name(field.name, d))
            optional = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if stored is None and optional:
                continue
            values[field.name] = self._read(field.name, stored, d)
        return self.kind(**values)

    def _write(self, field: str, value: Any, d: Dialect) -> Any:
        conversion = self._conversion(field, d)
        return value if conversion is None else conversion[0](value)

    def _read(self, field: str, stored: Any, d: Dialect) -> Any:
        conversion = self._conversion(field, d)
        return stored if conversion is None else conversion[1](stored)

    def _conversion(self, field: str, d: Dialect) -> tuple[Convert, Convert] | None:
        """How ``field`` is written and read back in ``d``; None: as it is."""
        if field in self.moments:
            return d.moment, d.read_moment
        if field in self.json:
            return d.json, d.read_json
        if field in self.flags:
            return d.flag, bool
        if field in self.attachments:
            return partial(attachments_record, d=d), partial(attachments_from, d=d)
        return None


class ShapedRepository(Generic[T]):
    """A repository of one aggregate stored a record each, by ``shape`` (given
    as ``shape=`` in the class statement of a repository, not of a base)."""

    shape: Shape[T]

    def __init_subclass__(cls, *, shape: Shape[Any] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if shape is not None:
            setattr(cls, "shape", shape)  # noqa: B010 - a generic attribute, set once per subclass


CONTACT = Shape(Contact, "account_id", flags=frozenset({"verified"}))
CARD = Shape(ProfileCard, "profile_id")
NOTIFICATION = Shape(Notification, "id", moments=frozenset({"created_at", "read_at"}))
PREFERENCES = Shape(
    Preferences, "account_id", json=frozenset({"channels"}), flags=frozenset({"daily_digest"})
)
EMAIL_JOB = Shape(
    EmailJob,
    "id",
    moments=frozenset({"created_at", "next_attempt_at", "sent_at"}),
    json=frozenset({"personalisation"}),
    attachments=frozenset({"attachments"}),
)
SUBSCRIPTION = Shape(
    Subscription, "id", moments=frozenset({"created_at"}), json=frozenset({"match_events"})
)
DELIVERY = Shape(
    WebhookDelivery, "id", moments=frozenset({"created_at", "next_attempt_at", "delivered_at"})
)
CHECKIN = Shape(CheckIn, "id", moments=frozenset({"created_at", "answered_at"}))

EMAIL_OUTCOME = (
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
    "to_address",
    "text",
    "html",
    "unsubscribe_url",
    "personalisation",
    "attachments",
)
"""What a delivery attempt or a settling changes: the state and the content,
emptied once the job is final."""
DELIVERY_OUTCOME = ("state", "attempts", "next_attempt_at", "last_error", "delivered_at", "body")
"""What a delivery attempt changes (the body goes once delivered)."""
CHECKIN_ANSWER = ("rating", "comment", "answered_at")
"""What answering a check-in changes."""
