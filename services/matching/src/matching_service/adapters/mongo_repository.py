"""The matching service's collections on MongoDB (production store).

Capacity under concurrency: MongoDB transactions use snapshot isolation, so two
accepts for the same mentor could both count the same accepted matches. Counting a
mentor's active matches therefore also writes a per-mentor guard document inside
the transaction: concurrent transactions touching the same guard conflict, and the
loser is aborted (the unit of work surfaces the write conflict), which gives the
same "exactly ``capacity`` accepts" as SQLite's single writer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from matching_service.domain.matches import PAIRED_STATUSES, Match
from matching_service.domain.model import OFFERING_ROLES, CandidateLoad, TargetRole
from matching_service.domain.replies import ReplyTimes, candidate_loads
from matching_service.domain.reports import RequestFact
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import (
    ActivityRepository,
    AppliedEvent,
    ErasedSubjectsRepository,
    FeedbackFigure,
    IndexStateRepository,
    MatchRepository,
    ProfileRepository,
    ReplyTimesRepository,
    ShortlistRepository,
    WeeklyFigure,
)
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


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _match_doc(match: Match) -> Document:
    doc = asdict(match)
    doc["_id"] = doc.pop("id")
    return doc


def _match(doc: Document) -> Match:
    fields = {key: value for key, value in doc.items() if key != "_id"}
    for key in ("created_at", "answered_at", "ended_at"):
        fields[key] = _aware(fields.get(key))
    return Match(id=doc["_id"], **fields)


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
        return [_match(doc) async for doc in cursor]

    async def get(self, match_id: str) -> Match | None:
        """The match, or None."""
        doc = await self.db.matches.find_one({"_id": match_id}, session=self.session)
        return None if doc is None else _match(doc)

    async def add(self, match: Match) -> None:
        """Insert a match."""
        await self.db.matches.insert_one(_match_doc(match), session=self.session)

    async def update(self, match: Match) -> None:
        """Replace a match."""
        await self.db.matches.replace_one(
            {"_id": match.id}, _match_doc(match), upsert=True, session=self.session
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
        """Accepted matches of the mentor (touching the mentor's guard document)."""
        await self.db.mentor_guards.update_one(
            {"_id": mentor_id}, {"$inc": {"checks": 1}}, upsert=True, session=self.session
        )
        return await self.db.matches.count_documents(
            {"mentor_id": mentor_id, "status": "accepted"}, session=self.session
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
        if doc is None:
            return None
        return ReplyTimes(mentor_id, tuple(float(h) for h in doc["recent_hours"]))

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


def _saved(doc: Document) -> SavedPerson:
    saved_at = _aware(doc["saved_at"])
    assert saved_at is not None
    return SavedPerson(owner_id=doc["owner_id"], profile_id=doc["profile_id"], saved_at=saved_at)


class MongoShortlistRepository(_Repo):
    """Saved people on MongoDB (``shortlist``, one document per entry)."""

    async def get(self, owner_id: str, profile_id: str) -> SavedPerson | None:
        """The entry, or None."""
        doc = await self.db.shortlist.find_one(
            {"owner_id": owner_id, "profile_id": profile_id}, session=self.session
        )
        return None if doc is None else _saved(doc)

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
        return None if doc is None else _applied(doc)


def _applied(doc: Document) -> AppliedEvent:
    occurred = _aware(doc["occurred_at"])
    assert occurred is not None
    return AppliedEvent(id=doc["event_id"], type=doc["event_type"], occurred_at=occurred)


class MongoMatchingUnitOfWork(MongoUnitOfWork):
    """A multi-document transaction with the matching repositories."""

    profiles: ProfileRepository
    matches: MatchRepository
    replies: ReplyTimesRepository
    index_state: IndexStateRepository
    erased: ErasedSubjectsRepository
    shortlist: ShortlistRepository
    activity: ActivityRepository

    def open_repositories(self) -> None:
        """Build the repositories on the open session."""
        self.profiles = MongoProfileRepository(self.db, self.session)
        self.matches = MongoMatchRepository(self.db, self.session)
        self.replies = MongoReplyTimesRepository(self.db, self.session)
        self.index_state = MongoIndexStateRepository(self.db, self.session)
        self.erased = MongoErasedSubjectsRepository(self.db, self.session)
        self.shortlist = MongoShortlistRepository(self.db, self.session)
        self.activity = MongoActivityRepository(self.db, self.session)


class MongoMatchingReadModel:
    """Read-only queries on MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db

    async def all_profiles(self) -> list[ProfileUpserted]:
        """Every stored profile."""
        return [
            ProfileUpserted.model_validate(doc["body"]) async for doc in self.db.profiles.find()
        ]

    async def profiles_by_id(self, profile_ids: Sequence[str]) -> dict[str, ProfileUpserted]:
        """Stored profiles of these ids."""
        cursor = self.db.profiles.find({"_id": {"$in": list(profile_ids)}})
        return {doc["_id"]: ProfileUpserted.model_validate(doc["body"]) async for doc in cursor}

    async def partners(
        self, person_id: str, role: TargetRole, *, refused_since: datetime | None = None
    ) -> frozenset[str]:
        """Whom the person has asked, or been asked by, in a way that excludes them."""
        column, other = (
            ("mentee_id", "mentor_id") if role in OFFERING_ROLES else ("mentor_id", "mentee_id")
        )
        excluded = set(
            await self.db.matches.distinct(
                other, {column: person_id, "status": {"$in": sorted(PAIRED_STATUSES)}}
            )
        )
        if refused_since is not None:
            excluded.update(
                await self.db.matches.distinct(
                    other,
                    {
                        column: person_id,
                        "status": {"$in": ["withdrawn", "expired"]},
                        "reason": {"$ne": "another_accepted"},
                        "answered_at": {"$gte": refused_since},
                    },
                )
            )
        return frozenset(excluded)

    async def mentor_loads(
        self, *, now: datetime, reply_ok_hours: float = 0.0
    ) -> dict[str, CandidateLoad]:
        """Every mentor's live load and the slow mentors' reply medians."""
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        oldest: dict[str, datetime] = {}
        async for doc in self.db.matches.find(
            {"status": {"$in": ["accepted", "requested"]}},
            {"_id": 0, "mentor_id": 1, "status": 1, "created_at": 1},
        ):
            mentor = doc["mentor_id"]
            if doc["status"] == "accepted":
                counts[mentor][0] += 1
                continue
            counts[mentor][1] += 1
            created = _aware(doc["created_at"])
            if created is not None and (mentor not in oldest or created < oldest[mentor]):
                oldest[mentor] = created
        medians = {
            doc["_id"]: float(doc["median_reply_hours"])
            async for doc in self.db.mentor_replies.find(
                {"median_reply_hours": {"$gt": reply_ok_hours}}, {"median_reply_hours": 1}
            )
        }
        return candidate_loads(
            ((mentor, n[0], n[1], oldest.get(mentor)) for mentor, n in counts.items()),
            medians,
            now,
        )

    async def matches_of(self, person_id: str) -> list[Match]:
        """The person's matches, newest first."""
        cursor = self.db.matches.find(
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}
        ).sort("created_at", DESCENDING)
        return [_match(doc) async for doc in cursor]

    async def last_event(self) -> AppliedEvent | None:
        """The last applied profile event."""
        doc = await self.db.index_state.find_one({"_id": 1})
        return None if doc is None else _applied(doc)

    async def reply_times_of(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's recent reply times, or None."""
        doc = await self.db.mentor_replies.find_one({"_id": mentor_id})
        if doc is None:
            return None
        return ReplyTimes(mentor_id, tuple(float(h) for h in doc["recent_hours"]))

    async def erased_among(self, subject_ids: Sequence[str]) -> set[str]:
        """Which of these people were erased."""
        return {
            subject_id
            for subject_id in dict.fromkeys(subject_ids)
            if await is_erased_mongo(self.db, subject_id)
        }

    async def shortlist_of(self, owner_id: str) -> list[SavedPerson]:
        """The owner's saved people, most recently saved first."""
        cursor = self.db.shortlist.find({"owner_id": owner_id}).sort(
            [("saved_at", DESCENDING), ("profile_id", ASCENDING)]
        )
        return [_saved(doc) async for doc in cursor]

    async def reply_times_among(self, mentor_ids: Sequence[str]) -> dict[str, ReplyTimes]:
        """Reply times of these mentors, for cards."""
        cursor = self.db.mentor_replies.find({"_id": {"$in": list(mentor_ids)}})
        return {
            doc["_id"]: ReplyTimes(doc["_id"], tuple(float(h) for h in doc["recent_hours"]))
            async for doc in cursor
        }

    async def active_months(self, person_ids: Sequence[str]) -> dict[str, str]:
        """The month each of these people was last active."""
        cursor = self.db.person_activity.find({"_id": {"$in": list(person_ids)}})
        return {doc["_id"]: doc["month"] async for doc in cursor}

    async def weekly(self) -> list[WeeklyFigure]:
        """Requests and acceptances per ISO week and mentee department."""
        departments = {
            doc["_id"]: doc.get("department")
            async for doc in self.db.profiles.find({}, {"department": 1})
        }
        counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
        async for doc in self.db.matches.find(
            {}, {"mentee_id": 1, "created_at": 1, "status": 1, "answered_at": 1}
        ):
            year, week, _ = doc["created_at"].isocalendar()
            key = (f"{year}-W{week:02d}", departments.get(doc["mentee_id"]))
            counts[key][0] += 1
            if doc["status"] == "accepted" or (
                doc["status"] == "ended" and doc.get("answered_at") is not None
            ):
                counts[key][1] += 1
        return [
            WeeklyFigure(week=week, department=department, requests=n[0], accepted=n[1])
            for (week, department), n in sorted(
                counts.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
        ]

    async def feedback(self) -> FeedbackFigure:
        """Feedback aggregates."""
        cursor = await self.db.matches.aggregate(
            [
                {"$match": {"rating": {"$ne": None}}},
                {"$group": {"_id": None, "n": {"$sum": 1}, "mean": {"$avg": "$rating"}}},
            ]
        )
        result = [doc async for doc in cursor]
        if not result:
            return FeedbackFigure(count=0, mean_rating=None)
        return FeedbackFigure(count=int(result[0]["n"]), mean_rating=float(result[0]["mean"]))

    async def request_facts(self) -> list[RequestFact]:
        """Every request with the mentee's department, profession and grade."""
        matches = [
            doc
            async for doc in self.db.matches.find(
                {}, {"mentee_id": 1, "created_at": 1, "status": 1, "answered_at": 1}
            )
        ]
        mentees = {doc["mentee_id"] for doc in matches}
        bodies = {
            doc["_id"]: doc["body"]
            async for doc in self.db.profiles.find({"_id": {"$in": list(mentees)}}, {"body": 1})
        }
        facts: list[RequestFact] = []
        for doc in matches:
            created = _aware(doc["created_at"])
            assert created is not None
            answered = _aware(doc.get("answered_at"))
            body = bodies.get(doc["mentee_id"], {})
            facts.append(
                RequestFact(
                    mentee_id=doc["mentee_id"],
                    created_at=created,
                    status=doc["status"],
                    answered_at=answered,
                    was_accepted=doc["status"] == "accepted"
                    or (doc["status"] == "ended" and answered is not None),
                    department=body.get("department"),
                    profession=body.get("profession"),
                    grade=body.get("grade"),
                )
            )
        return facts
