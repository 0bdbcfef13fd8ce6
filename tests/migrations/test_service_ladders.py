"""Each service's ladder on SQLite: old files upgrade with every row kept, steps re-run safely."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mentor_shared.schema import BASELINE
from mentor_shared.storage.migrations import migrate_sqlite, plan_sqlite
from tests.migrations.sqlite_files import (
    PROFILE_SIGN_IN_FAILURES,
    SERVICES,
    contents,
    fill,
    frozen_v0,
    ladder_of,
    lost,
    opened,
    shape,
    user_version,
)

LATER_LADDERS = [service for service in SERVICES if ladder_of(service).target > 1]


def test_every_ladder_starts_with_the_baseline_and_names_its_steps() -> None:
    for service in SERVICES:
        ladder = ladder_of(service)
        assert ladder.service == service
        assert ladder.steps[0].name == BASELINE
        names = [step.name for step in ladder.steps]
        assert len(set(names)) == len(names), f"{service}: two steps share a name"
        assert all(step.sqlite and step.mongo for step in ladder.steps[:1])


@pytest.mark.parametrize("service", SERVICES)
def test_a_file_from_before_versions_is_adopted_with_all_its_rows(
    tmp_path: Path, service: str
) -> None:
    path = tmp_path / f"{service}.sqlite3"
    frozen_v0(path, service)
    if service == "profile":
        with opened(path) as conn:
            conn.executescript(PROFILE_SIGN_IN_FAILURES)
    before = fill(path)
    ladder = ladder_of(service)

    plan = migrate_sqlite(path, ladder)

    assert plan.adopted
    assert plan.current == 0
    assert [version for version, _ in plan.pending] == list(range(1, ladder.target + 1))
    assert user_version(path) == ladder.target
    after = contents(path)
    if service == "profile":
        # Step 2: the table of addresses in clear is gone, with its rows.
        assert "sign_in_failures" not in after
        del before["sign_in_failures"]
    assert lost(before, after) == {}


@pytest.mark.parametrize("service", LATER_LADDERS)
def test_a_file_at_the_previous_version_gets_the_new_step_and_keeps_its_rows(
    tmp_path: Path, service: str
) -> None:
    path = tmp_path / f"{service}.sqlite3"
    ladder = ladder_of(service)
    previous = ladder.target - 1
    migrate_sqlite(path, ladder, target=previous)
    assert user_version(path) == previous
    before = fill(path)

    plan = migrate_sqlite(path, ladder)

    assert plan.pending == [(ladder.target, ladder.steps[-1].name)]
    assert user_version(path) == ladder.target
    assert lost(before, contents(path)) == {}


@pytest.mark.parametrize("service", SERVICES)
def test_an_upgraded_file_has_the_shape_of_a_fresh_one(tmp_path: Path, service: str) -> None:
    """Guards the rule that a change is a new step: editing the baseline's DDL alone
    would give new files a shape that old ones never reach."""
    ladder = ladder_of(service)
    fresh, old = tmp_path / "fresh.sqlite3", tmp_path / "old.sqlite3"
    migrate_sqlite(fresh, ladder)
    frozen_v0(old, service)
    migrate_sqlite(old, ladder)
    assert shape(old) == shape(fresh), (
        f"{service}: a file from before versions does not reach the schema of a new one; "
        "put the change in a new step at the end of the ladder"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_every_step_can_run_again_without_harm(tmp_path: Path, service: str) -> None:
    """As after a crash between a step and its version bump (possible on MongoDB)."""
    path = tmp_path / f"{service}.sqlite3"
    ladder = ladder_of(service)
    migrate_sqlite(path, ladder)
    before, schema = fill(path), shape(path)
    for version in range(1, ladder.target + 1):
        with opened(path) as conn:
            conn.execute(f"PRAGMA user_version = {version - 1}")
        plan = migrate_sqlite(path, ladder)
        assert [v for v, _ in plan.pending] == list(range(version, ladder.target + 1))
        assert contents(path) == before
        assert shape(path) == schema


@pytest.mark.parametrize("service", SERVICES)
def test_running_the_ladder_again_is_a_no_op(tmp_path: Path, service: str) -> None:
    path = tmp_path / f"{service}.sqlite3"
    ladder = ladder_of(service)
    assert len(migrate_sqlite(path, ladder).pending) == ladder.target
    before = fill(path)
    again = migrate_sqlite(path, ladder)
    assert again.pending == []
    assert again.current == ladder.target
    assert plan_sqlite(path, ladder).pending == []
    assert contents(path) == before


def test_a_failing_step_leaves_neither_its_changes_nor_its_version(tmp_path: Path) -> None:
    from mentor_shared.storage.migrations import Ladder, Step

    path = tmp_path / "s.sqlite3"
    ladder = Ladder(
        "test",
        [
            Step("one", sqlite=["CREATE TABLE a (x INTEGER);"]),
            Step("two", sqlite=["CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);"]),
        ],
    )
    with pytest.raises(sqlite3.OperationalError, match="nowhere"):
        migrate_sqlite(path, ladder)
    assert user_version(path) == 1
    assert "b" not in contents(path)


def test_profile_step_2_leaves_no_address_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "profile.sqlite3"
    frozen_v0(path, "profile")
    with opened(path) as conn:
        conn.executescript(PROFILE_SIGN_IN_FAILURES)
        conn.executemany(
            "INSERT INTO sign_in_failures (email_key, at) VALUES (?, 1.0)",
            [(f"failed.sign.in.{i}@cabinetoffice.gov.uk",) for i in range(500)],
        )
    assert b"failed.sign.in.7@" in path.read_bytes()
    migrate_sqlite(path, ladder_of("profile"))
    leftovers = [p.name for p in tmp_path.iterdir() if p.read_bytes().find(b"failed.sign.in.") >= 0]
    assert leftovers == []


async def test_a_service_refuses_to_open_a_store_newer_than_its_code(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    from mentor_shared.runtime import open_sqlite_store
    from mentor_shared.storage.migrations import MigrationError
    from tests.messaging.conftest import messaging_settings

    settings = messaging_settings("127.0.0.1:1", tmp_path)
    ladder = ladder_of("messaging")
    migrate_sqlite(settings.sqlite_path(), ladder)
    with opened(settings.sqlite_path()) as conn:
        conn.execute(f"PRAGMA user_version = {ladder.target + 1}")
    with capture_logs() as logs, pytest.raises(MigrationError, match="newer than this code"):
        await open_sqlite_store(settings, ladder)
    assert [entry["event"] for entry in logs if entry["log_level"] == "error"] == [
        "schema_migration_failed"
    ]
    assert user_version(settings.sqlite_path()) == ladder.target + 1


def test_the_shared_tables_come_out_the_same_in_every_service(tmp_path: Path) -> None:
    """A change to the outbox, inbox, limits or erased ids belongs in all four ladders."""
    shared = ("outbox", "outbox_marks", "inbox", "rate_limits", "erased_subjects")
    shapes = {}
    for service in SERVICES:
        path = tmp_path / f"{service}.sqlite3"
        migrate_sqlite(path, ladder_of(service))
        shapes[service] = {
            name: value
            for name, value in shape(path).items()
            if name in shared or (name.startswith("index ") and value[0] in shared)
        }
    assert shapes["profile"]
    for service in SERVICES[1:]:
        assert shapes[service] == shapes["profile"], f"{service} differs from profile"
