"""What the SQLite store keeps of what people see in the service: in-app
notifications and check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentor_shared.clock import to_epoch
from notifications_service.adapters.records import (
    SQLITE,
    checkin_answer_record,
    checkin_from,
    checkin_record,
    notification_from,
    notification_record,
)
from notifications_service.adapters.sqlite_rows import SqliteRepository
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import Notification
from notifications_service.service.ports import NotificationPage


class SqliteNotificationRepository(SqliteRepository):
    """In-app notifications in ``notifications``."""

    async def add(self, notification: Notification) -> bool:
        """Store; False if the id exists."""
        return await self.insert_record("notifications", notification_record(notification, SQLITE))

    async def get(self, notification_id: str) -> Notification | None:
        """By id, or None."""
        row = await self.fetch_row("SELECT * FROM notifications WHERE id = ?", (notification_id,))
        return None if row is None else notification_from(row, SQLITE)

    async def mark_read(self, notification_id: str, at: datetime) -> None:
        """Set ``read_at`` once."""
        await self.update_rows(
            "notifications",
            {"read_at": to_epoch(at)},
            "id = ? AND read_at IS NULL",
            notification_id,
        )

    async def page(
        self, recipient_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> NotificationPage:
        """Newest first, older than ``before``."""
        sql = "SELECT * FROM notifications WHERE recipient_id = ?"
        params: list[Any] = [recipient_id]
        if before is not None:
            at = to_epoch(before[0])
            sql += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            params += [at, at, before[1]]
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit + 1)
        rows = await self.fetch_rows(sql, params)
        items = [notification_from(row, SQLITE) for row in rows[:limit]]
        next_cursor = (items[-1].created_at, items[-1].id) if len(rows) > limit else None
        count = await self.fetch_row(
            "SELECT count(*) AS n FROM notifications WHERE recipient_id = ? AND read_at IS NULL",
            (recipient_id,),
        )
        unread = int(count["n"]) if count else 0
        return NotificationPage(items=items, next_cursor=next_cursor, unread=unread)

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's notifications."""
        return await self.delete_rows("notifications", "recipient_id = ?", recipient_id)

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every title and body."""
        cursor = await self.conn.execute(
            "UPDATE notifications SET title = replace(title, ?1, ?2), "
            "body = replace(body, ?1, ?2) WHERE instr(title, ?1) > 0 OR instr(body, ?1) > 0",
            (old, new),
        )
        return cursor.rowcount


class SqliteCheckInRepository(SqliteRepository):
    """Check-ins in ``checkins``."""

    async def add(self, checkin: CheckIn) -> bool:
        """Store; False if the id exists."""
        return await self.insert_record("checkins", checkin_record(checkin, SQLITE))

    async def get(self, checkin_id: str) -> CheckIn | None:
        """By id, or None."""
        row = await self.fetch_row("SELECT * FROM checkins WHERE id = ?", (checkin_id,))
        return None if row is None else checkin_from(row, SQLITE)

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        answer = checkin_answer_record(checkin, SQLITE)
        return (
            await self.update_rows("checkins", answer, "id = ? AND answered_at IS NULL", checkin.id)
            == 1
        )

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        rows = await self.fetch_rows(
            "SELECT * FROM checkins WHERE recipient_id = ? ORDER BY created_at DESC, id",
            (recipient_id,),
        )
        return [checkin_from(row, SQLITE) for row in rows]

    async def round_figures(self, round_: int) -> tuple[int, list[int]]:
        """How many were sent in a round, and the ratings given."""
        rows = await self.fetch_rows("SELECT rating FROM checkins WHERE round = ?", (round_,))
        return len(rows), [int(row["rating"]) for row in rows if row["rating"] is not None]

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's check-ins; returns how many."""
        return await self.delete_rows("checkins", "recipient_id = ?", recipient_id)
