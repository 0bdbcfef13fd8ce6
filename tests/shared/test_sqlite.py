"""The embedded store's SQLite file: the background WAL checkpoint never overlaps
a write transaction (SQLite before 3.51.3 can lose a commit that races with a
checkpoint on another connection), and a read after a commit sees the commit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mentor_shared.storage import sqlite
from mentor_shared.storage.sqlite import SqliteDatabase

SCHEMA = ["CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase(tmp_path / "store.db", SCHEMA).open()
    async with database.transaction() as conn:
        await conn.execute("INSERT INTO counter (id, value) VALUES (1, 0)")
    yield database
    await database.close()


async def test_a_checkpoint_waits_for_the_open_write_transaction(db: SqliteDatabase) -> None:
    conn = await db.begin()
    await conn.execute("UPDATE counter SET value = 1")
    checkpoint = asyncio.create_task(db.checkpoint())
    await asyncio.sleep(0.2)
    assert not checkpoint.done()

    await db.end(commit=True)
    await asyncio.wait_for(checkpoint, timeout=5)


async def test_a_write_waits_for_a_checkpoint_even_when_its_caller_is_cancelled(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished: list[float] = []
    real_checkpoint = db._checkpoint

    def slow_checkpoint() -> None:
        time.sleep(0.3)
        real_checkpoint()
        finished.append(time.monotonic())

    monkeypatch.setattr(db, "_checkpoint", slow_checkpoint)
    checkpoint = asyncio.create_task(db.checkpoint())
    await asyncio.sleep(0.05)
    checkpoint.cancel()

    async with db.transaction() as conn:
        began = time.monotonic()
        await conn.execute("UPDATE counter SET value = 2")
    assert finished
    assert finished[0] <= began
    with pytest.raises(asyncio.CancelledError):
        await checkpoint


async def test_every_read_after_a_commit_sees_it_while_checkpoints_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "CHECKPOINT_INTERVAL_S", 0.001)
    database = await SqliteDatabase(tmp_path / "busy.db", SCHEMA).open()
    try:
        async with database.transaction() as conn:
            await conn.execute("INSERT INTO counter (id, value) VALUES (1, 0)")
        stale = []
        for value in range(1, 3001):
            async with database.transaction() as conn:
                await conn.execute("UPDATE counter SET value = ? WHERE id = 1", (value,))
            row = await database.fetchone("SELECT value FROM counter WHERE id = 1")
            if row is None or row["value"] != value:
                stale.append((value, row and row["value"]))
        assert stale == []
    finally:
        await database.close()
