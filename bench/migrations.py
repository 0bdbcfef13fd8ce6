"""Schema ladder figures on SQLite: --check, an upgrade from before versions, an idle start.

Prints JSON. The file is a profile database as the code before versions left it
(tests/migrations/v0) with ROWS accounts, profiles and old sign-in failures (the
table step 2 drops); it is then checked, upgraded from version 0 to the ladder's
version, and opened again with nothing left to do (what every later start costs).
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import structlog

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.migrations.sqlite_files import (
    PROFILE_SIGN_IN_FAILURES,
    frozen_v0,
    ladder_of,
    opened,
)

from mentor_shared.storage.migrations import migrate_sqlite, plan_sqlite


def build(path: Path, rows: int) -> None:
    """A version-0 profile file with ``rows`` accounts, profiles and sign-in failures."""
    frozen_v0(path, "profile")
    with opened(path) as conn:
        conn.executescript(PROFILE_SIGN_IN_FAILURES)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO accounts VALUES (?, ?, ?, 1, NULL, NULL, 0, '2026-01-01', 1)",
            ((f"a{i}", f"p{i}@example.gov.uk", f"p{i}@example.gov.uk") for i in range(rows)),
        )
        conn.executemany(
            "INSERT INTO profiles VALUES (?, ?, 0, 'co', 'policy', 'G6', 'london', 1, 0, 0, '{}')",
            ((f"a{i}", f"name {i}") for i in range(rows)),
        )
        conn.executemany(
            "INSERT INTO sign_in_failures VALUES (?, 1.0)",
            ((f"p{i}@example.gov.uk",) for i in range(rows)),
        )
        conn.execute("COMMIT")


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    ladder = ladder_of("profile")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.sqlite3"
        build(path, args.rows)
        size_mib = round(path.stat().st_size / 2**20, 1)
        started = time.perf_counter()
        plan = plan_sqlite(path, ladder)
        check_ms = _ms(started)
        started = time.perf_counter()
        migrate_sqlite(path, ladder)
        upgrade_ms = _ms(started)
        started = time.perf_counter()
        idle = migrate_sqlite(path, ladder)
        idle_ms = _ms(started)
        with opened(path) as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            accounts = conn.execute("SELECT count(*) FROM accounts").fetchone()[0]
            try:
                conn.execute("SELECT count(*) FROM sign_in_failures")
                dropped = False
            except sqlite3.OperationalError:
                dropped = True
    print(
        json.dumps(
            {
                "bench": "migrations",
                "rows": args.rows,
                "file_mib": size_mib,
                "check_ms": check_ms,
                "steps_pending": len(plan.pending),
                "upgrade_0_to_target_ms": upgrade_ms,
                "start_with_nothing_to_do_ms": idle_ms,
                "steps_at_idle_start": len(idle.pending),
                "version": version,
                "accounts_kept": accounts,
                "sign_in_failures_dropped": dropped,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
