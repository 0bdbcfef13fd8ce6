"""The matching service's collections on MongoDB (production store).

Capacity under concurrency: MongoDB transactions use snapshot isolation, so two
accepts for the same mentor could both count the same accepted matches. Counting a
mentor's active matches therefore also writes a per-mentor guard document inside
the transaction: concurrent transactions touching the same guard conflict, and the
loser is aborted (the unit of work surfaces the write conflict), which gives the
same "exactly ``capacity`` accepts" as SQLite's single writer.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from matching_service.adapters.records import (
    NATIVE,
    applied_from,
    match_from,
    match_record,
    reply_times_from,
    saved_from,
)
from matching_service.domain.availability import ACTIVE_STATUSES
from matching_service.domain.matches import Match
from matching_service.domain.replies import ReplyTimes
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import AppliedEvent, MatchingUnitOfWork
from mentor_shared.bus.mongo_store import MongoUnitOfWork
from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from mentor_shared.events.schemas import ProfileUpserted
from mentor_shared.limits import key_digest

Document = dict[str, Any]


async def ensure_matching_indexes(db: AsyncDatabase[Document]) -> None:
    """Create the indexes the queries need (idempotent)."""
    await db.matches.create_index([("mentee_id", ASCENDING), ("status", ASCENDING)])
    await db.matches.create_index([("mentor_id", ASCENDING), ("status", ASCENDING)])
    # Covers the live-load scan every suggestion runs (status, then the fields it reads).
    await db.matches.create_index(
        [("status", ASCENDING), ("mentor_id", ASCENDING), ("created_at", ASCENDING)]
    )
    await db.matches.create_index([("created_at", DESCENDING)])
    await db.mentor_replies.create_index([("median_reply_hours", ASCENDING)])
    await db.shortlist.create_index(
        [("owner_id", ASCENDING), ("profile_id", ASCENDING)], unique=True
    )
    await db.shortlist.create_index([("profile_id", ASCENDING)])


def match_document(match: Match) -> Document:
    """A match's document (its id as ``_id``)."""
    doc = match_record(match, NATIVE)
    doc["_id"] = doc.pop("id")
    return doc


def match_from_document(doc: Document) -> Match:
    """The match a document holds."""
    return match_from(doc, NATIVE, key="_id")


def reply_times_from_document(doc: Document) -> ReplyTimes:
    """A mentor's reply times from their ``mentor_replies`` document."""
    return reply_times_from(doc["_id"], doc["recent_hours"])


class _Repo:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.db = db
        self.session = session


class MongoProfileRepository(_Repo):
    """Latest profile versions on MongoDB."""

    async def get(self, profile_id: str) -> ProfileUpserted | None:
        """The stored profile, or None."""
        doc = await self.db.profiles.find_one({"_id": profile_id}, session=self.session)
        return None if doc is None else ProfileUpserted.model_validate(doc["body"])

    async def save(self, profile: ProfileUpserted) -> bool:
        """Store if newer than the stored version."""
        held = await self.db.profiles.find_one(
            {"_id": profile.profile_id}, {"version": 1}, session=self.session
        )
        if held is not None and held["version"] >= profile.version:
            return False
        await self.db.profiles.replace_one(
            {"_id": profile.profile_id},
            {
                "version": profile.version,
                "department": profile.department,
                "body": profile.model_dump(mode="json"),
            },
            upsert=True,
            session=self.session,
        )
        return True

    async def delete(self, profile_id: str) -> bool:
        """Forget the profile, and the capacity guard document keyed by their id."""
        result = await self.db.profiles.delete_one({"_id": profile_id}, session=self.session)
        await self.db.mentor_guards.delete_one({"_id": profile_id}, session=self.session)
        return result.deleted_count == 1


class MongoMatchRepository(_Repo):
    """Matches on MongoDB."""

    async def _find(self, query: Document) -> list[Match]:
        cursor = self.db.matches.find(query, session=self.session).sort("created_at", ASCENDING)
        return [match_from_document(doc) async for doc in cursor]

    async def get(self, match_id: str) -> Match | None:
        """The match, or None."""
        doc = await self.db.matches.find_one({"_id": match_id}, session=self.session)
        return None if doc is None else match_from_document(doc)

    async def add(self, match: Match) -> None:
        """Insert a match."""
        await self.db.matches.insert_one(match_document(match), session=self.session)

    async def update(self, match: Match) -> None:
        """Replace a match."""
        await self.db.matches.replace_one(
            {"_id": match.id}, match_document(match), upsert=True, session=self.session
        )

    async def open_for_mentee(self, mentee_id: str) -> list[Match]:
        """The mentee's waiting requests."""
        return await self._find({"mentee_id": mentee_id, "status": "requested"})

    async def open_for_mentor(self, mentor_id: str) -> list[Match]:
        """Requests waiting for the mentor's answer."""
        return await self._find({"mentor_id": mentor_id, "status": "requested"})

    async def live_between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Requested or accepted matches of the pair."""
        return await self._find(
            {
                "mentee_id": mentee_id,
                "mentor_id": mentor_id,
                "status": {"$in": ["requested", "accepted"]},
            }
        )

    async def between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Every match of the pair."""
        return await self._find({"mentee_id": mentee_id, "mentor_id": mentor_id})

    async def active_count(self, mentor_id: str) -> int:
        """Matches holding one of the mentor's places (the capacity rule's count).

        Also writes the mentor's guard document, so that two transactions counting
        for the same mentor conflict (:mod:`matching_service.domain.availability`).
        """
        await self.db.mentor_guards.update_one(
            {"_id": mentor_id}, {"$inc": {"checks": 1}}, upsert=True, session=self.session
        )
        return await self.db.matches.count_documents(
            {"mentor_id": mentor_id, "status": {"$in": sorted(ACTIVE_STATUSES)}},
            session=self.session,
        )

    async def involving(self, person_id: str) -> list[Match]:
        """Every match of the person."""
        return await self._find({"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]})

    async def open_requests(self) -> list[Match]:
        """Every waiting request."""
        return await self._find({"status": "requested"})

    async def delete_involving(self, person_id: str) -> int:
        """Delete the person's matches and their retained outbox events (keyed by match id)."""
        query = {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}
        ids = [
            doc["_id"]
            async for doc in self.db.matches.find(query, {"_id": 1}, session=self.session)
        ]
        if ids:
            await self.db.outbox.delete_many({"key": {"$in": ids}}, session=self.session)
            await self.db.matches.delete_many({"_id": {"$in": ids}}, session=self.session)
        return len(ids)


class MongoErasedSubjectsRepository(_Repo):
    """``erased_subjects`` in the open transaction."""

    async def add(self, subject_id: str) -> None:
        """Record the erasure."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)

    async def contains(self, subject_id: str) -> bool:
        """True when the person was erased."""
        return bool(await is_erased_mongo(self.db, subject_id, session=self.session))

    async def drop_counters(self, subject_id: str) -> None:
        """Delete the rate-limit counters keyed by the id (ids ``name:digest:window``)."""
        await self.db.rate_limits.delete_many(
            {"_id": {"$regex": f"^[^:]+:{key_digest(subject_id)}:"}}, session=self.session
        )


class MongoReplyTimesRepository(_Repo):
    """Mentors' recent reply times on MongoDB (``mentor_replies``, one document each).

    The median is stored beside the list so that suggestions read one indexed
    number per slow mentor instead of every list.
    """

    async def get(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's reply times, or None."""
        doc = await self.db.mentor_replies.find_one({"_id": mentor_id}, session=self.session)
        return None if doc is None else reply_times_from_document(doc)

    async def save(self, replies: ReplyTimes) -> None:
        """Store the reply times and their median."""
        median = replies.median_hours
        if median is None:
            await self.delete(replies.mentor_id)
            return
        await self.db.mentor_replies.replace_one(
            {"_id": replies.mentor_id},
            {"recent_hours": list(replies.recent_hours), "median_reply_hours": median},
            upsert=True,
            session=self.session,
        )

    async def delete(self, mentor_id: str) -> bool:
        """Forget the mentor's reply times."""
        result = await self.db.mentor_replies.delete_one({"_id": mentor_id}, session=self.session)
        return result.deleted_count == 1


class MongoShortlistRepository(_Repo):
    """Saved people on MongoDB (``shortlist``, one document per entry)."""

    async def get(self, owner_id: str, profile_id: str) -> SavedPerson | None:
        """The entry, or None."""
        doc = await self.db.shortlist.find_one(
            {"owner_id": owner_id, "profile_id": profile_id}, session=self.session
        )
        return None if doc is None else saved_from(doc, NATIVE)

    async def add(self, saved: SavedPerson) -> None:
        """Insert an entry."""
        await self.db.shortlist.insert_one(
            {
                "owner_id": saved.owner_id,
                "profile_id": saved.profile_id,
                "saved_at": saved.saved_at,
            },
            session=self.session,
        )

    async def remove(self, owner_id: str, profile_id: str) -> bool:
        """Delete an entry."""
        result = await self.db.shortlist.delete_one(
            {"owner_id": owner_id, "profile_id": profile_id}, session=self.session
        )
        return result.deleted_count == 1

    async def count(self, owner_id: str) -> int:
        """How many people the owner saved."""
        return await self.db.shortlist.count_documents({"owner_id": owner_id}, session=self.session)

    async def delete_involving(self, person_id: str) -> int:
        """Delete the person's list and every entry saving them."""
        result = await self.db.shortlist.delete_many(
            {"$or": [{"owner_id": person_id}, {"profile_id": person_id}]}, session=self.session
        )
        return result.deleted_count


class MongoActivityRepository(_Repo):
    """The month each person was last active, on MongoDB (``person_activity``)."""

    async def touch(self, person_id: str, month: str) -> None:
        """Record activity in the month (``$max``: a later month wins)."""
        await self.db.person_activity.update_one(
            {"_id": person_id}, {"$max": {"month": month}}, upsert=True, session=self.session
        )

    async def delete(self, person_id: str) -> bool:
        """Forget the person's activity."""
        result = await self.db.person_activity.delete_one({"_id": person_id}, session=self.session)
        return result.deleted_count == 1


class MongoIndexStateRepository(_Repo):
    """The last applied profile event on MongoDB."""

    async def record(self, event: AppliedEvent) -> None:
        """Remember the event as the last applied."""
        await self.db.index_state.update_one(
            {"_id": 1},
            {
                "$set": {
                    "event_id": event.id,
                    "event_type": event.type,
                    "occurred_at": event.occurred_at,
                },
                "$inc": {"applied": 1},
            },
            upsert=True,
            session=self.session,
        )

    async def last(self) -> AppliedEvent | None:
        """The last applied event."""
        doc = await self.db.index_state.find_one({"_id": 1}, session=self.session)
        return None if doc is None else applied_from(doc, NATIVE)


class MongoMatchingUnitOfWork(MongoUnitOfWork, MatchingUnitOfWork):
    """A multi-document transaction with the matching repositories."""

    def open_repositories(self) -> None:
        """Build the repositories on the open session."""
        self.profiles = MongoProfileRepository(self.db, self.session)
        self.matches = MongoMatchRepository(self.db, self.session)
        self.replies = MongoReplyTimesRepository(self.db, self.session)
        self.index_state = MongoIndexStateRepository(self.db, self.session)
        self.erased = MongoErasedSubjectsRepository(self.db, self.session)
        self.shortlist = MongoShortlistRepository(self.db, self.session)
        self.activity = MongoActivityRepository(self.db, self.session)
