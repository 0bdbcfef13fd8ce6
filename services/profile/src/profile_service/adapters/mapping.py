"""How the profile service's domain objects are stored: one mapper for both stores.

A SQLite row and a MongoDB document hold the same fields (SQLite's primary key
column is MongoDB's ``_id``); they differ only in how times are kept (ISO text in
SQLite, native dates in MongoDB) and in how a profile's JSON document is kept (text
in SQLite, an embedded document in MongoDB). Each :class:`Stored` says how one
model maps to both, so the two adapters never convert by hand. The on-disk formats
are the ones the stores always had: no data migration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from mentor_shared.clock import as_utc, from_text, to_text
from profile_service.domain.account_tokens import AccountToken, PendingCredential
from profile_service.domain.accounts import Account
from profile_service.domain.directory import sort_key
from profile_service.domain.grants import ContactGrant
from profile_service.domain.invitations import CoachImportRecord, ImportProgress
from profile_service.domain.profiles import Profile
from profile_service.domain.tokens import RefreshToken

Record = dict[str, Any]
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Stored(Generic[ModelT]):
    """How one model is stored as a SQLite row and as a MongoDB document.

    Attributes:
        model: The domain model.
        key: The model's id field: the row's primary key, the document's ``_id``.
        keep_key: MongoDB documents keep ``key`` beside ``_id`` (as they always did).
        lookups: Fields stored for lookups only (both stores), by name, dropped when read.
        row_times: Fields SQLite keeps as :func:`~mentor_shared.clock.to_text` text
            rather than pydantic's JSON form (the format their column always had).
    """

    model: type[ModelT]
    key: str
    keep_key: bool = False
    lookups: Mapping[str, Callable[[ModelT], Any]] = field(default_factory=dict)
    row_times: tuple[str, ...] = field(default=())

    def row(self, item: ModelT) -> Record:
        """The SQLite row: column name -> value."""
        row = {**item.model_dump(mode="json"), **self._lookups(item)}
        for name in self.row_times:
            row[name] = to_text(getattr(item, name))
        return row

    def document(self, item: ModelT) -> Record:
        """The MongoDB document (``_id`` = the key)."""
        doc = {**item.model_dump(), **self._lookups(item), "_id": getattr(item, self.key)}
        if not self.keep_key:
            doc.pop(self.key)
        return doc

    def load(self, record: Mapping[str, Any]) -> ModelT:
        """The model from a SQLite row or a MongoDB document."""
        data = dict(record)
        if "_id" in data:
            identifier = data.pop("_id")
            data.setdefault(self.key, identifier)
        for name in self.lookups:
            data.pop(name, None)
        return self.model.model_validate(data)

    def _lookups(self, item: ModelT) -> Record:
        return {name: value_of(item) for name, value_of in self.lookups.items()}


def _email_key(account: Account) -> str:
    return account.email_key


ACCOUNT = Stored(
    Account,
    "id",
    lookups={"email_key": _email_key},
    row_times=("email_verified_at", "created_at"),
)
REFRESH_TOKEN = Stored(RefreshToken, "id")
ACCOUNT_TOKEN = Stored(AccountToken, "id")
CONTACT_GRANT = Stored(ContactGrant, "match_id", keep_key=True)
PENDING_CREDENTIAL = Stored(PendingCredential, "token_id")


# --- profiles: the JSON document beside the fields the directory searches on -----


def profile_search_fields(profile: Profile) -> Record:
    """What the directory filters and sorts on, stored beside the profile's document."""
    return {
        "name_key": sort_key(profile),
        "anonymous": profile.anonymous,
        "department": profile.department,
        "profession": profile.profession,
        "grade": profile.grade,
        "region": profile.region,
        "is_mentor": profile.roles.mentor,
        "is_mentee": profile.roles.mentee,
        "is_coach": profile.roles.coach,
    }


def profile_row(profile: Profile) -> Record:
    """The SQLite row: search columns and the document as JSON text."""
    return {
        "id": profile.id,
        **profile_search_fields(profile),
        "document": profile.model_dump_json(),
    }


def profile_document(profile: Profile) -> Record:
    """The MongoDB document: search fields and the embedded document."""
    return {
        "_id": profile.id,
        **profile_search_fields(profile),
        "document": profile.model_dump(mode="json"),
    }


def load_profile(stored: str | Mapping[str, Any]) -> Profile:
    """The profile from its stored document (SQLite's text or MongoDB's document)."""
    if isinstance(stored, str):
        return Profile.model_validate_json(stored)
    return Profile.model_validate(stored)


# --- coach imports ------------------------------------------------------------------


def _moment(value: str | datetime | None) -> datetime | None:
    """A stored time: SQLite's ISO text or MongoDB's date."""
    if value is None or isinstance(value, datetime):
        return as_utc(value)
    return from_text(value)


def import_record_fields(record: CoachImportRecord) -> Record:
    """An import's stored fields (its id apart); times as each store keeps them."""
    return {
        "created_at": record.created_at,
        "created": record.created,
        "updated": record.updated,
        "unchanged": record.unchanged,
    }


def load_import_progress(stored: Mapping[str, Any], counts: Mapping[str, int]) -> ImportProgress:
    """An import (a ``coach_imports`` row or document) with its invitations per state."""
    data = dict(stored)
    created_at = _moment(data["created_at"])
    assert created_at is not None
    return ImportProgress(
        record=CoachImportRecord(
            id=data["_id"] if "_id" in data else data["id"],
            created_at=created_at,
            created=data["created"],
            updated=data["updated"],
            unchanged=data["unchanged"],
        ),
        send_requested_at=_moment(data.get("send_requested_at")),
        pending=counts.get("pending", 0),
        queued=counts.get("queued", 0),
        sent=counts.get("sent", 0),
        skipped=counts.get("skipped", 0),
    )
