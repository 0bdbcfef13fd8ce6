"""MongoDB adapters: the unit of work with its repositories, and the read model.

Conversations and messages are in :mod:`.mongo_conversations`, sessions, plans
and notes in :mod:`.mongo_sessions`; documents become domain objects through
:mod:`.records`. Every repository call passes ``session=self.session`` so it
joins the transaction. Times are stored as BSON dates (millisecond precision;
message order comes from ``seq``, never from times).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.bus.mongo_store import MongoUnitOfWork
from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from mentor_shared.storage.records import Document, MongoRepository
from messaging_service.adapters.mongo_conversations import (
    MongoConversationRepository,
    MongoMessageRepository,
    MongoReadStateRepository,
    MongoReportRepository,
    read_state_key,
)
from messaging_service.adapters.mongo_sessions import (
    MongoPlanRepository,
    MongoSessionNoteRepository,
    MongoSessionRepository,
)
from messaging_service.adapters.records import (
    CONVERSATIONS,
    MESSAGES,
    PEOPLE,
    PLANS,
    REPORTS,
    SESSION_NOTES,
    SESSIONS,
)
from messaging_service.domain.model import (
    Conversation,
    ConversationSummary,
    Message,
    Person,
    Report,
    Session,
)
from messaging_service.domain.plan import Plan, SessionNote
from messaging_service.service.ports import (
    MessagingUnitOfWork,
    ReportedMessage,
    sorted_newest_first,
)


class MongoPersonRepository(MongoRepository):
    """The directory of display names on MongoDB."""

    async def get(self, profile_id: str) -> Person | None:
        """The person, or None."""
        return await self.first(PEOPLE, "people", {"_id": profile_id})

    async def upsert(self, person: Person) -> bool:
        """Store unless an equal or newer version is held."""
        held = await self.get(person.profile_id)
        if held is not None and held.version >= person.version:
            return False
        await self.db.people.replace_one(
            {"_id": person.profile_id},
            PEOPLE.to_document(person),
            upsert=True,
            session=self.session,
        )
        return True

    async def delete(self, profile_id: str) -> None:
        """Forget the person."""
        await self.db.people.delete_one({"_id": profile_id}, session=self.session)


class MongoErasedSubjectRepository(MongoRepository):
    """The shared ``erased_subjects`` collection, in the unit of work's transaction."""

    async def add(self, subject_id: str) -> None:
        """Record the id as erased."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return bool(await is_erased_mongo(self.db, subject_id, session=self.session))


class MongoRetainedEventRepository(MongoRepository):
    """The outbox collection, as data about the people its events name."""

    async def forget(self, keys: Sequence[str]) -> int:
        """Drop the outbox documents keyed by ``keys``, sent or not."""
        result = await self.db.outbox.delete_many(
            {"key": {"$in": list(keys)}}, session=self.session
        )
        return result.deleted_count


class MongoMessagingUnitOfWork(MongoUnitOfWork, MessagingUnitOfWork):
    """The messaging service's multi-document transaction on MongoDB."""

    def open_repositories(self) -> None:
        """Build the repositories on the open session."""
        self.conversations = MongoConversationRepository(self.db, self.session)
        self.messages = MongoMessageRepository(self.db, self.session)
        self.read_states = MongoReadStateRepository(self.db, self.session)
        self.reports = MongoReportRepository(self.db, self.session)
        self.sessions = MongoSessionRepository(self.db, self.session)
        self.plans = MongoPlanRepository(self.db, self.session)
        self.session_notes = MongoSessionNoteRepository(self.db, self.session)
        self.people = MongoPersonRepository(self.db, self.session)
        self.erased = MongoErasedSubjectRepository(self.db, self.session)
        self.retained_events = MongoRetainedEventRepository(self.db, self.session)


class MongoMessagingReadModel:
    """Read-only queries outside transactions."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db

    async def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        doc = await self.db.conversations.find_one({"_id": conversation_id})
        return CONVERSATIONS.from_document(doc) if doc else None

    async def conversations_of(self, person_id: str) -> list[ConversationSummary]:
        """The person's conversations, newest activity first, with unread counts.

        One count query per conversation: people have a handful of conversations.
        """
        cursor = self.db.conversations.find(
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}
        )
        summaries = [
            ConversationSummary(conversation, await self.unread_count(conversation.id, person_id))
            for conversation in [CONVERSATIONS.from_document(doc) async for doc in cursor]
        ]
        return sorted_newest_first(summaries)

    async def messages_before(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        """Messages with ``seq < before_seq``, newest first."""
        query: Document = {"conversation_id": conversation_id}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self.db.messages.find(query).sort("seq", DESCENDING).limit(limit)
        return [MESSAGES.from_document(doc) async for doc in cursor]

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int
    ) -> list[Message]:
        """Messages with ``seq > after_seq``, oldest first."""
        cursor = (
            self.db.messages.find({"conversation_id": conversation_id, "seq": {"$gt": after_seq}})
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [MESSAGES.from_document(doc) async for doc in cursor]

    async def unread_count(self, conversation_id: str, reader_id: str) -> int:
        """Messages by someone else after the reader's mark."""
        mark = await self.db.read_states.find_one(
            {"_id": read_state_key(conversation_id, reader_id)}
        )
        last_read = int(mark["last_read_seq"]) if mark else 0
        return await self.db.messages.count_documents(
            {
                "conversation_id": conversation_id,
                "seq": {"$gt": last_read},
                "sender_id": {"$ne": reader_id},
            }
        )

    async def sessions(self, conversation_id: str) -> list[Session]:
        """The conversation's sessions by start time."""
        cursor = self.db.sessions.find({"conversation_id": conversation_id}).sort(
            [("starts_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [SESSIONS.from_document(doc) async for doc in cursor]

    async def session(self, conversation_id: str, session_id: str) -> Session | None:
        """One session of the conversation, or None."""
        doc = await self.db.sessions.find_one(
            {"_id": session_id, "conversation_id": conversation_id}
        )
        return SESSIONS.from_document(doc) if doc else None

    async def reports(self, limit: int, before: datetime | None = None) -> list[ReportedMessage]:
        """Reports newest first, each with the reported message as it is now."""
        query: Document = {} if before is None else {"created_at": {"$lt": before}}
        cursor = self.db.reports.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        reports = [REPORTS.from_document(doc) async for doc in cursor.limit(limit)]
        ids = [r.message_id for r in reports]
        messages = {
            doc["_id"]: MESSAGES.from_document(doc)
            async for doc in self.db.messages.find({"_id": {"$in": ids}})
        }
        return [ReportedMessage(report=r, message=messages.get(r.message_id)) for r in reports]

    async def people(self, profile_ids: Iterable[str]) -> dict[str, Person]:
        """The directory entries known for the ids."""
        ids = sorted(set(profile_ids))
        if not ids:
            return {}
        return {
            doc["_id"]: PEOPLE.from_document(doc)
            async for doc in self.db.people.find({"_id": {"$in": ids}})
        }

    async def read_marks_of(self, reader_id: str) -> dict[str, int]:
        """How far the reader has read, by conversation id."""
        return {
            doc["conversation_id"]: int(doc["last_read_seq"])
            async for doc in self.db.read_states.find({"reader_id": reader_id})
        }

    async def reports_by(self, reporter_id: str) -> list[Report]:
        """The reports the person made, oldest first."""
        cursor = self.db.reports.find({"reporter_id": reporter_id}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [REPORTS.from_document(doc) async for doc in cursor]

    async def plan(self, conversation_id: str) -> Plan | None:
        """The saved plan of the conversation, or None."""
        doc = await self.db.plans.find_one({"_id": conversation_id})
        return PLANS.from_document(doc) if doc else None

    async def session_note(self, session_id: str, author_id: str) -> SessionNote | None:
        """The author's notes on the session, or None."""
        doc = await self.db.session_notes.find_one(
            {"session_id": session_id, "author_id": author_id}
        )
        return SESSION_NOTES.from_document(doc) if doc else None

    async def session_notes_by(self, author_id: str) -> list[SessionNote]:
        """Every note the author wrote, oldest first."""
        cursor = self.db.session_notes.find({"author_id": author_id}).sort(
            [("updated_at", ASCENDING), ("session_id", ASCENDING)]
        )
        return [SESSION_NOTES.from_document(doc) async for doc in cursor]
