"""Two migrators on one SQLite file: the step runs once, the other waits and skips it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mentor_shared.storage.migrations import Ladder, MigrationError, Plan, Step, migrate_sqlite
from tests.migrations.sqlite_files import opened, user_version


def _record_run(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO step_runs (thread) VALUES (?)", (threading.current_thread().name,))
    # Long enough for the rival to arrive while the step is under way.
    time.sleep(0.3)


LADDER = Ladder(
    "test",
    [
        Step(
            "record the run",
            sqlite=["CREATE TABLE IF NOT EXISTS step_runs (thread TEXT);", _record_run],
        ),
        Step(
            "an index", sqlite=["CREATE INDEX IF NOT EXISTS runs_by_thread ON step_runs (thread);"]
        ),
    ],
)


def test_two_migrators_at_once_run_a_step_only_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    with opened(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    start = threading.Barrier(2)
    plans: dict[str, Plan] = {}

    def migrator() -> None:
        start.wait()
        plans[threading.current_thread().name] = migrate_sqlite(path, LADDER)

    threads = [threading.Thread(target=migrator, name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with opened(path) as conn:
        runs = [row[0] for row in conn.execute("SELECT thread FROM step_runs")]
    assert len(runs) == 1
    assert user_version(path) == 2
    assert plans[runs[0]].pending == [(1, "record the run"), (2, "an index")]
    other = "second" if runs[0] == "first" else "first"
    assert plans[other].pending == []


def test_a_file_newer_than_the_code_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    migrate_sqlite(path, LADDER)
    with opened(path) as conn:
        conn.execute("PRAGMA user_version = 3")
    with pytest.raises(MigrationError, match="version 3, newer than this code's 2"):
        migrate_sqlite(path, LADDER)
    assert user_version(path) == 3


def test_add_column_adds_once_and_keeps_the_rows(tmp_path: Path) -> None:
    from mentor_shared.storage.migrations import add_column, sqlite_columns

    path = tmp_path / "s.sqlite3"
    column = add_column("outbox", "traceparent", "TEXT")
    ladder = Ladder(
        "test",
        [
            Step("outbox", sqlite=["CREATE TABLE outbox (seq INTEGER PRIMARY KEY);"]),
            Step("trace context", sqlite=[column]),
        ],
    )
    migrate_sqlite(path, ladder, target=1)
    with opened(path) as conn:
        conn.execute("INSERT INTO outbox (seq) VALUES (1)")
    migrate_sqlite(path, ladder)
    with opened(path) as conn:
        conn.execute("PRAGMA user_version = 1")
    migrate_sqlite(path, ladder)  # the step again, as after a crash: no duplicate column
    with opened(path) as conn:
        assert sqlite_columns(conn, "outbox") == ["seq", "traceparent"]
        assert conn.execute("SELECT seq, traceparent FROM outbox").fetchall() == [(1, None)]
