"""SQLite files as older code left them, filled with rows, and ways to compare them."""

from __future__ import annotations

import importlib
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from mentor_shared.storage.migrations import Ladder

SERVICES = ("profile", "matching", "messaging", "notifications")
FROZEN = Path(__file__).parent / "v0"

# profile before commit f8d2592 counted sign-in failures in its own table (addresses in
# clear); files from then still hold it, and step 2 drops it.
PROFILE_SIGN_IN_FAILURES = """
CREATE TABLE IF NOT EXISTS sign_in_failures (
    email_key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_by_email ON sign_in_failures (email_key, at);
"""

ROWS_PER_TABLE = 3


def ladder_of(service: str) -> Ladder:
    """The service's ladder, as the service itself runs it."""
    ladder: Ladder = importlib.import_module(f"{service}_service.adapters.schema").LADDER
    return ladder


def connect(path: Path) -> sqlite3.Connection:
    """A plain connection, as an operator's sqlite3 shell would have."""
    return sqlite3.connect(path, isolation_level=None)


def opened(path: Path) -> closing[sqlite3.Connection]:
    """A plain connection closed at the end of the ``with`` block (the last one to close
    checkpoints the WAL into the file)."""
    return closing(connect(path))


def frozen_v0(path: Path, service: str) -> None:
    """A file as the code before versions made it (user_version 0, tables there)."""
    with opened(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript((FROZEN / f"{service}.sql").read_text())


def tables(conn: sqlite3.Connection) -> list[str]:
    """The user tables, by name."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]


def fill(path: Path) -> Rows:
    """Put rows in every table (typed by column affinity); returns every table's rows."""
    conn = connect(path)
    try:
        conn.execute("BEGIN")
        for table in tables(conn):
            columns = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
            for i in range(ROWS_PER_TABLE):
                values = [_value(table, name, kind, i) for _, name, kind, *_ in columns]
                marks = ", ".join("?" * len(values))
                try:
                    conn.execute(f'INSERT INTO "{table}" VALUES ({marks})', values)
                except sqlite3.IntegrityError:
                    # index_state holds one row only (CHECK id = 1).
                    assert i > 0, f"no row fits {table}"
        conn.execute("COMMIT")
    finally:
        conn.close()
    return contents(path)


def _value(table: str, column: str, kind: str, i: int) -> Any:
    kind = kind.upper()
    if "INT" in kind:
        return i + 1
    if "REAL" in kind:
        return 1_700_000_000.5 + i
    if "BLOB" in kind:
        return f"{table}.{column}.{i}".encode()
    return f"{table}.{column}.{i}"


Rows = dict[str, list[dict[str, Any]]]


def contents(path: Path) -> Rows:
    """Every table's rows as column -> value, in a stable order."""
    conn = connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return {
            table: sorted(
                (dict(row) for row in conn.execute(f'SELECT * FROM "{table}"')),
                key=repr,
            )
            for table in tables(conn)
        }
    finally:
        conn.close()


def lost(before: Rows, after: Rows) -> dict[str, int]:
    """Per table, how many rows of ``before`` are not in ``after``, compared on the
    columns they had (a step may add columns)."""
    losses: dict[str, int] = {}
    for table, rows in before.items():
        columns = list(rows[0]) if rows else []
        remaining = [tuple(row.get(c) for c in columns) for row in after.get(table, [])]
        for row in rows:
            values = tuple(row[c] for c in columns)
            if values in remaining:
                remaining.remove(values)
            else:
                losses[table] = losses.get(table, 0) + 1
        if table not in after:
            losses.setdefault(table, 0)
    return losses


def shape(path: Path) -> dict[str, Any]:
    """Tables with their columns, and indexes with their columns, uniqueness and filter."""
    conn = connect(path)
    try:
        result: dict[str, Any] = {}
        for table in tables(conn):
            result[table] = [
                tuple(row[1:]) for row in conn.execute(f'PRAGMA table_info("{table}")')
            ]
        # Unique constraints show as sqlite_autoindex_* indexes (without SQL).
        for name, table, sql in conn.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"
        ):
            columns = [row[2] for row in conn.execute(f'PRAGMA index_xinfo("{name}")')]
            where = sql.split(" WHERE ", 1)[1].strip() if sql and " WHERE " in sql else None
            result[f"index {name}"] = (table, columns, where)
        return result
    finally:
        conn.close()


def user_version(path: Path) -> int:
    """The file's schema version."""
    conn = connect(path)
    try:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        return version
    finally:
        conn.close()
