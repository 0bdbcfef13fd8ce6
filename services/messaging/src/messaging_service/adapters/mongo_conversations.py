"""MongoDB repositories of conversations, their messages, read marks and reports.

Every call passes ``session=self.session`` so it joins the unit of work's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Generic, TypeVar

from pymongo import DESCENDING

from mentor_shared.clock import as_utc
from mentor_shared.storage.records import MongoRepository, RecordMapper
from messaging_service.adapters.records import CONVERSATIONS, MESSAGES, REPORTS
from messaging_service.domain.model import Conversation, Message, Report


def read_state_key(conversation_id: str, reader_id: str) -> str:
    """The ``_id`` of a reader's mark in one conversation."""
    return f"{conversation_id}:{reader_id}"


T = TypeVar("T")


class MongoConversationRecords(MongoRepository, Generic[T]):
    """Records that belong to one conversation and have an ``id`` of their own
    (messages, sessions), in ``collection``; a subclass names it and the mapper."""

    collection: str
    mapper: RecordMapper[T]

    async def add(self, record: T) -> None:
        """Store a new one."""
        await self.db[self.collection].insert_one(
            self.mapper.to_document(record), session=self.session
        )

    async def get(self, conversation_id: str, record_id: str) -> T | None:
        """One of the conversation's, or None."""
        return await self.first(
            self.mapper, self.collection, {"_id": record_id, "conversation_id": conversation_id}
        )


class MongoConversationRepository(MongoRepository):
    """Conversations on MongoDB."""

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        return await self.first(CONVERSATIONS, "conversations", {"_id": conversation_id})

    async def get_by_match(self, match_id: str) -> Conversation | None:
        """The conversation of a match, or None."""
        return await self.first(CONVERSATIONS, "conversations", {"match_id": match_id})

    async def add(self, conversation: Conversation) -> None:
        """Store a new conversation."""
        await self.db.conversations.insert_one(
            CONVERSATIONS.to_document(conversation), session=self.session
        )

    async def update(self, conversation: Conversation) -> None:
        """Save status, participants, last sequence and activity time."""
        await self.db.conversations.replace_one(
            {"_id": conversation.id}, CONVERSATIONS.to_document(conversation), session=self.session
        )

    async def list_for_participant(self, person_id: str) -> list[Conversation]:
        """Every conversation the person takes part in."""
        return await self.every(
            CONVERSATIONS,
            "conversations",
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]},
        )

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation and everything in it."""
        for collection in ("reports", "read_states", "session_notes", "sessions", "messages"):
            await self.db[collection].delete_many(
                {"conversation_id": conversation_id}, session=self.session
            )
        await self.db.plans.delete_one({"_id": conversation_id}, session=self.session)
        await self.db.conversations.delete_one({"_id": conversation_id}, session=self.session)


class MongoMessageRepository(MongoConversationRecords[Message]):
    """Messages on MongoDB."""

    collection = "messages"
    mapper = MESSAGES

    async def delete_by_sender(self, person_id: str) -> list[str]:
        """Drop the person's messages; returns their ids."""
        cursor = self.db.messages.find({"sender_id": person_id}, {"_id": 1}, session=self.session)
        ids = [doc["_id"] async for doc in cursor]
        await self.db.messages.delete_many({"sender_id": person_id}, session=self.session)
        return ids

    async def last_sent_at(self, conversation_id: str) -> datetime | None:
        """When the latest message was sent."""
        doc = await self.db.messages.find_one(
            {"conversation_id": conversation_id},
            sort=[("seq", DESCENDING)],
            session=self.session,
        )
        return as_utc(doc["sent_at"]) if doc else None


class MongoReadStateRepository(MongoRepository):
    """Read marks on MongoDB."""

    async def mark_read(self, conversation_id: str, reader_id: str, seq: int) -> int:
        """Raise the reader's mark to ``seq``; returns the mark now held."""
        key = read_state_key(conversation_id, reader_id)
        await self.db.read_states.update_one(
            {"_id": key},
            {
                "$max": {"last_read_seq": seq},
                "$set": {"conversation_id": conversation_id, "reader_id": reader_id},
            },
            upsert=True,
            session=self.session,
        )
        doc = await self.db.read_states.find_one({"_id": key}, session=self.session)
        assert doc is not None  # just upserted in this transaction
        return int(doc["last_read_seq"])

    async def delete_reader(self, person_id: str) -> None:
        """Forget the person's marks."""
        await self.db.read_states.delete_many({"reader_id": person_id}, session=self.session)


class MongoReportRepository(MongoRepository):
    """Reports on MongoDB."""

    async def add(self, report: Report) -> None:
        """Store a new report."""
        await self.db.reports.insert_one(REPORTS.to_document(report), session=self.session)

    async def delete_by_reporter(self, person_id: str) -> int:
        """Drop the person's reports."""
        result = await self.db.reports.delete_many({"reporter_id": person_id}, session=self.session)
        return result.deleted_count

    async def delete_for_messages(self, message_ids: Sequence[str]) -> int:
        """Drop the reports of these messages."""
        result = await self.db.reports.delete_many(
            {"message_id": {"$in": list(message_ids)}}, session=self.session
        )
        return result.deleted_count
