"""What both stores' units of work do once a transaction has committed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from notifications_service.service.ports import (
    CommitListener,
    ErasureListener,
    NotificationsUnitOfWork,
)


@dataclass(frozen=True, slots=True)
class CommitHooks:
    """Who hears of a committed transaction's new notifications and erasures.

    Attributes:
        on_commit: Gets the notifications added (the live stream).
        on_erased: Gets the people erased (their live streams end).
        after_erasure: What the store needs once rows are deleted
            (``Store.after_erasure``: SQLite empties its WAL, whose pages
            still hold the deleted rows).
    """

    on_commit: CommitListener | None = None
    on_erased: ErasureListener | None = None
    after_erasure: Callable[[], Awaitable[None]] | None = None

    async def committed(self, uow: NotificationsUnitOfWork) -> None:
        """Hand on, and clear, what ``uow`` noted in the transaction it committed."""
        created, uow.created_notifications = uow.created_notifications, []
        erased, uow.erased_now = uow.erased_now, []
        if created and self.on_commit is not None:
            self.on_commit(created)
        if erased:
            if self.after_erasure is not None:
                await self.after_erasure()
            if self.on_erased is not None:
                self.on_erased(erased)
