"""MongoDB repositories of sessions, the shared plan and private session notes.

Every call passes ``session=self.session`` so it joins the unit of work's transaction.
"""

from __future__ import annotations

from mentor_shared.storage.records import MongoRepository
from messaging_service.adapters.mongo_conversations import MongoConversationRecords
from messaging_service.adapters.records import PLANS, SESSION_CHANGES, SESSION_NOTES, SESSIONS
from messaging_service.domain.model import Session
from messaging_service.domain.plan import Plan, SessionNote


class MongoSessionRepository(MongoConversationRecords[Session]):
    """Sessions on MongoDB."""

    collection = "sessions"
    mapper = SESSIONS

    async def update(self, session: Session) -> None:
        """Save status, sequence and update time."""
        await self.db.sessions.update_one(
            {"_id": session.id},
            {"$set": SESSIONS.to_document(session, only=SESSION_CHANGES)},
            session=self.session,
        )

    async def count_confirmed(self, conversation_id: str) -> int:
        """How many sessions of the conversation are confirmed or held."""
        return int(
            await self.db.sessions.count_documents(
                {"conversation_id": conversation_id, "status": {"$in": ["confirmed", "held"]}},
                session=self.session,
            )
        )

    async def delete_for_participant(self, person_id: str) -> int:
        """Drop every session the person is part of."""
        result = await self.db.sessions.delete_many(
            {"$or": [{"proposer_id": person_id}, {"other_id": person_id}]}, session=self.session
        )
        return result.deleted_count


class MongoPlanRepository(MongoRepository):
    """Shared plans on MongoDB, one document per conversation (``_id``)."""

    async def get(self, conversation_id: str) -> Plan | None:
        """The saved plan, or None."""
        return await self.first(PLANS, "plans", {"_id": conversation_id})

    async def save(self, plan: Plan, expected_version: int) -> bool:
        """Store the plan if the stored version is still ``expected_version``."""
        if expected_version == 0:
            # An upsert that only inserts: a duplicate-key error would abort the
            # whole transaction, this leaves it usable and says whether it inserted.
            inserted = await self.db.plans.update_one(
                {"_id": plan.conversation_id},
                {"$setOnInsert": PLANS.to_document(plan, skip=("conversation_id",))},
                upsert=True,
                session=self.session,
            )
            return inserted.upserted_id is not None
        result = await self.db.plans.replace_one(
            {"_id": plan.conversation_id, "version": expected_version},
            PLANS.to_document(plan),
            session=self.session,
        )
        return result.matched_count == 1

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation's plan."""
        await self.db.plans.delete_one({"_id": conversation_id}, session=self.session)


class MongoSessionNoteRepository(MongoRepository):
    """Private session notes on MongoDB."""

    async def save(self, note: SessionNote) -> None:
        """Store or replace the author's notes on the session."""
        await self.db.session_notes.replace_one(
            {"session_id": note.session_id, "author_id": note.author_id},
            SESSION_NOTES.to_document(note),
            upsert=True,
            session=self.session,
        )

    async def delete_for_conversation(self, conversation_id: str) -> int:
        """Drop every note of the conversation."""
        result = await self.db.session_notes.delete_many(
            {"conversation_id": conversation_id}, session=self.session
        )
        return result.deleted_count

    async def delete_by_author(self, person_id: str) -> int:
        """Drop every note the person wrote."""
        result = await self.db.session_notes.delete_many(
            {"author_id": person_id}, session=self.session
        )
        return result.deleted_count
