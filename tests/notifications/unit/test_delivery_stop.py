"""Stopping the delivery worker: the wake-up that comes with a stop must not keep it going."""

from __future__ import annotations

import asyncio
from pathlib import Path

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.service.delivery import DeliveryConfig, DeliveryWorker
from notifications_service.service.ports import DeliveryError


class NoPoster:
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        raise DeliveryError("no receiver in this test")


async def test_a_stop_that_comes_with_a_wake_up_always_stops_the_worker(tmp_path: Path) -> None:
    # asyncio.wait_for on Python 3.11 could return the wake-up and drop the
    # cancellation that came with it: stop() then waited forever (a service that
    # never shut down). Here the two arrive together, at every phase of the loop.
    db = await SqliteDatabase(tmp_path / "n.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    try:
        for attempt in range(300):
            worker = DeliveryWorker(
                lambda: SqliteNotificationsUnitOfWork(db),
                SmtpEmailSender("127.0.0.1", 9, timeout_s=1),
                NoPoster(),
                DeliveryConfig(mail_from="Mentor Match <no-reply@test>", poll_interval_s=5),
            )
            await worker.start()
            await asyncio.sleep(0.005 if attempt % 10 == 0 else 0)
            for _ in range(attempt % 5):
                await asyncio.sleep(0)
            worker.wakeup.set()
            await asyncio.wait_for(worker.stop(), timeout=5)
            assert not worker.running
    finally:
        await db.close()
