"""The email delivery log on SQLite (``email_jobs``)."""

from __future__ import annotations

from datetime import datetime

from mentor_shared.clock import to_epoch
from notifications_service.adapters.records import (
    EMAIL_JOB,
    EMAIL_OUTCOME,
    SQLITE,
    attachments_from,
    attachments_record,
    replace_in_attachments,
)
from notifications_service.adapters.sqlite_rows import SqliteTable
from notifications_service.domain.model import BULK_KINDS, EmailJob


class SqliteEmailJobRepository(SqliteTable[EmailJob], table="email_jobs", shape=EMAIL_JOB):
    """The email delivery log in ``email_jobs``."""

    async def emailed_since(self, recipient_id: str, throttle_key: str, since: datetime) -> bool:
        """Whether an email with this key was queued (not refused) since ``since``."""
        row = await self.fetch_row(
            "SELECT 1 FROM email_jobs WHERE recipient_id = ? AND throttle_key = ? "
            "AND created_at >= ? AND state IN ('pending', 'sent', 'digest', 'digested') LIMIT 1",
            (recipient_id, throttle_key, to_epoch(since)),
        )
        return row is not None

    async def held_recipients(self, limit: int) -> list[str]:
        """People with emails held for their digest."""
        rows = await self.fetch_rows(
            "SELECT DISTINCT recipient_id FROM email_jobs WHERE state = 'digest' "
            "ORDER BY recipient_id LIMIT ?",
            (limit,),
        )
        return [row["recipient_id"] for row in rows]

    async def held_for(self, recipient_id: str) -> list[EmailJob]:
        """Someone's held emails, oldest first."""
        return await self.read_all(
            "SELECT * FROM email_jobs WHERE recipient_id = ? AND state = 'digest' "
            "ORDER BY created_at, id",
            recipient_id,
        )

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, *, bulk_limit: int | None = None
    ) -> list[EmailJob]:
        """Due pending jobs, other kinds before bulk mail, leased until ``lease_until``."""
        bulk = sorted(BULK_KINDS)
        kinds = f"({', '.join('?' for _ in bulk)})"
        jobs = await self.lease_due(
            now, limit, lease_until, narrower=f"AND kind NOT IN {kinds}", params=bulk
        )
        room = limit - len(jobs) if bulk_limit is None else min(limit - len(jobs), bulk_limit)
        if room > 0:
            jobs += await self.lease_due(
                now, room, lease_until, narrower=f"AND kind IN {kinds}", params=bulk
            )
        return jobs

    async def save(self, job: EmailJob) -> None:
        """Store a job's outcome and its content, which is emptied once it is final
        (a job erased meanwhile stays erased)."""
        await self.update_rows(
            "email_jobs", EMAIL_JOB.record(job, SQLITE, EMAIL_OUTCOME), "id = ?", job.id
        )

    async def for_recipient(self, recipient_id: str) -> list[EmailJob]:
        """Someone's jobs, oldest first."""
        return await self.read_all(
            "SELECT * FROM email_jobs WHERE recipient_id = ? ORDER BY created_at, id",
            recipient_id,
        )

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every job's subject, text, HTML,
        personalisation and attachments; how many jobs changed."""
        changed = {
            row["id"]
            for row in await self.fetch_rows(
                "UPDATE email_jobs SET subject = replace(subject, ?1, ?2), "
                "text = replace(text, ?1, ?2), html = replace(html, ?1, ?2), "
                "personalisation = replace(personalisation, ?1, ?2) "
                "WHERE instr(subject, ?1) > 0 OR instr(text, ?1) > 0 OR instr(html, ?1) > 0 "
                "OR instr(personalisation, ?1) > 0 RETURNING id",
                (old, new),
            )
        }
        rows = await self.fetch_rows(
            "SELECT id, attachments FROM email_jobs WHERE attachments != '[]'"
        )
        for row in rows:
            attachments = attachments_from(row["attachments"], SQLITE)
            replaced = replace_in_attachments(attachments, old, new)
            if replaced != attachments:
                stored = attachments_record(replaced, SQLITE)
                await self.update_rows("email_jobs", {"attachments": stored}, "id = ?", row["id"])
                changed.add(row["id"])
        return len(changed)

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's jobs."""
        return await self.delete_rows("email_jobs", "recipient_id = ?", recipient_id)

    async def count_by_state(self) -> dict[str, int]:
        """Jobs per state."""
        rows = await self.fetch_rows("SELECT state, count(*) AS n FROM email_jobs GROUP BY state")
        return {row["state"]: row["n"] for row in rows}
