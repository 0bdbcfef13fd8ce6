"""SQLite repositories of sessions, the shared plan and private session notes."""

from __future__ import annotations

from mentor_shared.storage.records import SqliteRepository, insert, update
from messaging_service.adapters.records import PLANS, SESSION_CHANGES, SESSION_NOTES, SESSIONS
from messaging_service.adapters.sqlite_conversations import SqliteConversationRecords
from messaging_service.domain.model import Session
from messaging_service.domain.plan import Plan, SessionNote


class SqliteSessionRepository(SqliteConversationRecords[Session]):
    """Sessions on SQLite."""

    table = "sessions"
    mapper = SESSIONS

    async def update(self, session: Session) -> None:
        """Save status, sequence and update time."""
        changes = SESSIONS.to_row(session, only=SESSION_CHANGES)
        await self.conn.execute(*update("sessions", changes, {"id": session.id}))

    async def count_confirmed(self, conversation_id: str) -> int:
        """How many sessions of the conversation are confirmed or held."""
        row = await self.one(
            "SELECT COUNT(*) AS n FROM sessions WHERE conversation_id = ? "
            "AND status IN ('confirmed', 'held')",
            (conversation_id,),
        )
        return int(row["n"]) if row else 0

    async def delete_for_participant(self, person_id: str) -> int:
        """Drop every session the person is part of."""
        cursor = await self.conn.execute(
            "DELETE FROM sessions WHERE proposer_id = ? OR other_id = ?", (person_id, person_id)
        )
        return cursor.rowcount


class SqlitePlanRepository(SqliteRepository):
    """Shared plans on SQLite."""

    async def get(self, conversation_id: str) -> Plan | None:
        """The saved plan, or None."""
        return await self.first(
            PLANS, "SELECT * FROM plans WHERE conversation_id = ?", (conversation_id,)
        )

    async def save(self, plan: Plan, expected_version: int) -> bool:
        """Store the plan if the stored version is still ``expected_version``."""
        if expected_version == 0:
            statement = insert(
                "plans", PLANS.to_row(plan), then="ON CONFLICT (conversation_id) DO NOTHING"
            )
        else:
            statement = update(
                "plans",
                PLANS.to_row(plan, skip=("conversation_id",)),
                {"conversation_id": plan.conversation_id, "version": expected_version},
            )
        cursor = await self.conn.execute(*statement)
        return cursor.rowcount == 1

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation's plan."""
        await self.conn.execute("DELETE FROM plans WHERE conversation_id = ?", (conversation_id,))


class SqliteSessionNoteRepository(SqliteRepository):
    """Private session notes on SQLite."""

    async def save(self, note: SessionNote) -> None:
        """Store or replace the author's notes on the session."""
        await self.conn.execute(
            *insert(
                "session_notes",
                SESSION_NOTES.to_row(note),
                then="ON CONFLICT (session_id, author_id) DO UPDATE SET "
                "body = excluded.body, updated_at = excluded.updated_at",
            )
        )

    async def delete_for_conversation(self, conversation_id: str) -> int:
        """Drop every note of the conversation."""
        cursor = await self.conn.execute(
            "DELETE FROM session_notes WHERE conversation_id = ?", (conversation_id,)
        )
        return cursor.rowcount

    async def delete_by_author(self, person_id: str) -> int:
        """Drop every note the person wrote."""
        cursor = await self.conn.execute(
            "DELETE FROM session_notes WHERE author_id = ?", (person_id,)
        )
        return cursor.rowcount
