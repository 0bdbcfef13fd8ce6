"""Claim invitations of a coach import: held until an administrator sends them.

An import creates accounts and profiles at once (the directory and matching need
them) but emails nobody: each new coach gets a claim invitation in the state
``pending``. Sending an import's invitations (``POST
/v1/admin/imports/{id}/invitations``) moves them to ``queued``; the profile
service's invitation sender then releases them at ``CLAIM_INVITATIONS_PER_MINUTE``,
each as its ``account.registered`` and ``account.claim_requested`` events written in
the same transaction that marks it ``sent``. So invitations never crowd out the
events a person is waiting for (a sign-up's verification email), and a restart
neither loses nor repeats one. An invitation whose coach has meanwhile claimed the
account (through a claim link sent on their own request) or confirmed the address
is ``skipped``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

InvitationState = Literal["pending", "queued", "sent", "skipped"]


@dataclass(frozen=True, slots=True)
class CoachImportRecord:
    """One real (not dry) run of the coach import."""

    id: str
    created_at: datetime
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """An import and where its claim invitations stand."""

    record: CoachImportRecord
    send_requested_at: datetime | None
    pending: int = 0
    queued: int = 0
    sent: int = 0
    skipped: int = 0

    @property
    def invitations(self) -> int:
        """Invitations the import made (one per new coach, less any erased since)."""
        return self.pending + self.queued + self.sent + self.skipped

    @property
    def done(self) -> bool:
        """Every invitation was sent or skipped."""
        return self.pending == 0 and self.queued == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready progress."""
        return {
            "id": self.record.id,
            "created_at": self.record.created_at.isoformat(),
            "created": self.record.created,
            "updated": self.record.updated,
            "unchanged": self.record.unchanged,
            "invitations": {
                "total": self.invitations,
                "pending": self.pending,
                "queued": self.queued,
                "sent": self.sent,
                "skipped": self.skipped,
                "send_requested_at": (
                    self.send_requested_at.isoformat() if self.send_requested_at else None
                ),
                "done": self.done,
            },
        }
