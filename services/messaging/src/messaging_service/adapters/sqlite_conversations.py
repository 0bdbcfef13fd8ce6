"""SQLite repositories of conversations, their messages, read marks and reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Generic, TypeVar

from mentor_shared.clock import from_epoch
from mentor_shared.storage.records import (
    RecordMapper,
    SqliteRepository,
    delete_in,
    insert,
    update,
)
from messaging_service.adapters.records import (
    CONVERSATION_CHANGES,
    CONVERSATIONS,
    MESSAGES,
    REPORTS,
)
from messaging_service.domain.model import Conversation, Message, Report

T = TypeVar("T")


class SqliteConversationRecords(SqliteRepository, Generic[T]):
    """Records that belong to one conversation and have an ``id`` of their own
    (messages, sessions), in ``table``; a subclass names the table and the mapper."""

    table: str
    mapper: RecordMapper[T]

    async def add(self, record: T) -> None:
        """Store a new one."""
        await self.conn.execute(*insert(self.table, self.mapper.to_row(record)))

    async def get(self, conversation_id: str, record_id: str) -> T | None:
        """One of the conversation's, or None."""
        return await self.first(
            self.mapper,
            f"SELECT * FROM {self.table} WHERE id = ? AND conversation_id = ?",  # noqa: S608
            (record_id, conversation_id),
        )


class SqliteConversationRepository(SqliteRepository):
    """Conversations on SQLite."""

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        return await self.first(
            CONVERSATIONS, "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        )

    async def get_by_match(self, match_id: str) -> Conversation | None:
        """The conversation of a match, or None."""
        return await self.first(
            CONVERSATIONS, "SELECT * FROM conversations WHERE match_id = ?", (match_id,)
        )

    async def add(self, conversation: Conversation) -> None:
        """Store a new conversation."""
        await self.conn.execute(*insert("conversations", CONVERSATIONS.to_row(conversation)))

    async def update(self, conversation: Conversation) -> None:
        """Save status, participants, last sequence and activity time."""
        changes = CONVERSATIONS.to_row(conversation, only=CONVERSATION_CHANGES)
        await self.conn.execute(*update("conversations", changes, {"id": conversation.id}))

    async def list_for_participant(self, person_id: str) -> list[Conversation]:
        """Every conversation the person takes part in."""
        return await self.every(
            CONVERSATIONS,
            "SELECT * FROM conversations WHERE mentee_id = ? OR mentor_id = ?",
            (person_id, person_id),
        )

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation and everything in it."""
        for table in ("reports", "read_states", "session_notes", "plans", "sessions", "messages"):
            await self.conn.execute(
                f"DELETE FROM {table} WHERE conversation_id = ?",  # noqa: S608 - constant
                (conversation_id,),
            )
        await self.conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))


class SqliteMessageRepository(SqliteConversationRecords[Message]):
    """Messages on SQLite."""

    table = "messages"
    mapper = MESSAGES

    async def delete_by_sender(self, person_id: str) -> list[str]:
        """Drop the person's messages; returns their ids."""
        rows = await self.all("SELECT id FROM messages WHERE sender_id = ?", (person_id,))
        await self.conn.execute("DELETE FROM messages WHERE sender_id = ?", (person_id,))
        return [row["id"] for row in rows]

    async def last_sent_at(self, conversation_id: str) -> datetime | None:
        """When the latest message was sent."""
        row = await self.one(
            "SELECT max(sent_at) AS last FROM messages WHERE conversation_id = ?",
            (conversation_id,),
        )
        return from_epoch(row["last"]) if row else None


class SqliteReadStateRepository(SqliteRepository):
    """Read marks on SQLite."""

    async def mark_read(self, conversation_id: str, reader_id: str, seq: int) -> int:
        """Raise the reader's mark to ``seq``; returns the mark now held."""
        await self.conn.execute(
            "INSERT INTO read_states (conversation_id, reader_id, last_read_seq) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id, reader_id) DO UPDATE SET "
            "last_read_seq = max(last_read_seq, excluded.last_read_seq)",
            (conversation_id, reader_id, seq),
        )
        row = await self.one(
            "SELECT last_read_seq FROM read_states WHERE conversation_id = ? AND reader_id = ?",
            (conversation_id, reader_id),
        )
        return int(row["last_read_seq"])

    async def delete_reader(self, person_id: str) -> None:
        """Forget the person's marks."""
        await self.conn.execute("DELETE FROM read_states WHERE reader_id = ?", (person_id,))


class SqliteReportRepository(SqliteRepository):
    """Reports on SQLite."""

    async def add(self, report: Report) -> None:
        """Store a new report."""
        await self.conn.execute(*insert("reports", REPORTS.to_row(report)))

    async def delete_by_reporter(self, person_id: str) -> int:
        """Drop the person's reports."""
        cursor = await self.conn.execute("DELETE FROM reports WHERE reporter_id = ?", (person_id,))
        return cursor.rowcount

    async def delete_for_messages(self, message_ids: Sequence[str]) -> int:
        """Drop the reports of these messages."""
        return await delete_in(self.conn, "reports", "message_id", message_ids)
