"""What the SQLite store keeps of what people see in the service: in-app
notifications and check-ins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mentor_shared.clock import to_epoch
from notifications_service.adapters.records import (
    CHECKIN,
    CHECKIN_ANSWER,
    NOTIFICATION,
    SQLITE,
)
from notifications_service.adapters.sqlite_rows import SqliteTable
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import Notification
from notifications_service.service.ports import NotificationPage


class SqliteNotificationRepository(
    SqliteTable[Notification], table="notifications", shape=NOTIFICATION
):
    """In-app notifications in ``notifications``."""

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
        found = await self.read_all(sql, *params)
        items = found[:limit]
        next_cursor = (items[-1].created_at, items[-1].id) if len(found) > limit else None
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


class SqliteCheckInRepository(SqliteTable[CheckIn], table="checkins", shape=CHECKIN):
    """Check-ins in ``checkins``."""

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        answer = CHECKIN.record(checkin, SQLITE, CHECKIN_ANSWER)
        return (
            await self.update_rows("checkins", answer, "id = ? AND answered_at IS NULL", checkin.id)
            == 1
        )

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        return await self.read_all(
            "SELECT * FROM checkins WHERE recipient_id = ? ORDER BY created_at DESC, id",
            recipient_id,
        )

    async def round_figures(self, round_: int) -> tuple[int, list[int]]:
        """How many were sent in a round, and the ratings given."""
        rows = await self.fetch_rows("SELECT rating FROM checkins WHERE round = ?", (round_,))
        return len(rows), [int(row["rating"]) for row in rows if row["rating"] is not None]

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's check-ins; returns how many."""
        return await self.delete_rows("checkins", "recipient_id = ?", recipient_id)
