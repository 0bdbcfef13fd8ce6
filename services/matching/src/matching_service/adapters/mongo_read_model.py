"""Read-only queries of the matching service on MongoDB."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from matching_service.adapters.mongo_repository import (
    Document,
    match_from_document,
    reply_times_from_document,
)
from matching_service.adapters.records import (
    NATIVE,
    applied_from,
    erased_among,
    request_fact,
    saved_from,
    weekly_figures,
)
from matching_service.domain.matches import PAIRED_STATUSES, Match
from matching_service.domain.model import OFFERING_ROLES, CandidateLoad, TargetRole
from matching_service.domain.replies import ReplyTimes, candidate_loads
from matching_service.domain.reports import RequestFact
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import AppliedEvent, FeedbackFigure, WeeklyFigure
from mentor_shared.clock import as_utc
from mentor_shared.erasure import MongoErasedSubjects
from mentor_shared.events.schemas import ProfileUpserted


class MongoMatchingReadModel:
    """Read-only queries on MongoDB."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.erased = MongoErasedSubjects(db)

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
            created = as_utc(doc["created_at"])
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
        return [match_from_document(doc) async for doc in cursor]

    async def last_event(self) -> AppliedEvent | None:
        """The last applied profile event."""
        doc = await self.db.index_state.find_one({"_id": 1})
        return None if doc is None else applied_from(doc, NATIVE)

    async def reply_times_of(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's recent reply times, or None."""
        doc = await self.db.mentor_replies.find_one({"_id": mentor_id})
        return None if doc is None else reply_times_from_document(doc)

    async def erased_among(self, subject_ids: Sequence[str]) -> set[str]:
        """Which of these people were erased."""
        return await erased_among(self.erased, subject_ids)

    async def shortlist_of(self, owner_id: str) -> list[SavedPerson]:
        """The owner's saved people, most recently saved first."""
        cursor = self.db.shortlist.find({"owner_id": owner_id}).sort(
            [("saved_at", DESCENDING), ("profile_id", ASCENDING)]
        )
        return [saved_from(doc, NATIVE) async for doc in cursor]

    async def reply_times_among(self, mentor_ids: Sequence[str]) -> dict[str, ReplyTimes]:
        """Reply times of these mentors, for cards."""
        cursor = self.db.mentor_replies.find({"_id": {"$in": list(mentor_ids)}})
        return {doc["_id"]: reply_times_from_document(doc) async for doc in cursor}

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
        requests = [
            (
                as_utc(doc["created_at"]),
                doc["status"],
                doc.get("answered_at"),
                departments.get(doc["mentee_id"]),
            )
            async for doc in self.db.matches.find(
                {}, {"mentee_id": 1, "created_at": 1, "status": 1, "answered_at": 1}
            )
        ]
        return weekly_figures(requests)

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
        mentee_fields = ("department", "profession", "grade")
        return [
            request_fact(
                {"answered_at": None, **doc},
                NATIVE,
                {name: bodies.get(doc["mentee_id"], {}).get(name) for name in mentee_fields},
            )
            for doc in matches
        ]
