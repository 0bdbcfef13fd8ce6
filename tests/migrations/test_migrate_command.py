"""``mentor-match migrate``: --check reports and changes nothing; without it, steps run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mentor_match_ops import cli
from tests.migrations.sqlite_files import (
    SERVICES,
    contents,
    fill,
    frozen_v0,
    ladder_of,
    lost,
    opened,
    user_version,
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.glob("*.sqlite3"))
    }


def _invoke(*args: str, data_dir: Path) -> tuple[int, str]:
    env = {"COLUMNS": "200", "DATA_DIR": str(data_dir), "MONGODB_URI": ""}
    result = CliRunner().invoke(cli.app, ["migrate", *args], env=env)
    return result.exit_code, result.output


@pytest.fixture
def old_files(tmp_path: Path) -> Path:
    """Every service's file as the code before versions left it, with rows."""
    for service in SERVICES:
        path = tmp_path / f"{service}.sqlite3"
        frozen_v0(path, service)
        fill(path)
    return tmp_path


def test_check_says_what_would_run_and_changes_nothing(old_files: Path) -> None:
    before = _digests(old_files)
    code, output = _invoke("--check", data_dir=old_files)
    assert code == 0, output
    for service in SERVICES:
        ladder = ladder_of(service)
        line = next(line for line in output.splitlines() if f" {service} " in line)
        assert f"0 -> {ladder.target}" in line
        assert "adopts the tables made before versions" in line
        for name in (step.name for step in ladder.steps):
            assert name in output
    assert _digests(old_files) == before
    assert all(user_version(old_files / f"{s}.sqlite3") == 0 for s in SERVICES)


def test_migrate_runs_the_steps_then_check_finds_none(old_files: Path) -> None:
    rows = {service: contents(old_files / f"{service}.sqlite3") for service in SERVICES}
    code, output = _invoke(data_dir=old_files)
    assert code == 0, output
    for service in SERVICES:
        path = old_files / f"{service}.sqlite3"
        assert user_version(path) == ladder_of(service).target
        assert lost(rows[service], contents(path)) == {}
    code, output = _invoke("--check", data_dir=old_files)
    assert code == 0, output
    for service in SERVICES:
        target = ladder_of(service).target
        line = next(line for line in output.splitlines() if f" {service} " in line)
        assert f"{target} of {target}" in line
        assert "none" in line


def test_check_of_one_service_with_no_file_yet(tmp_path: Path) -> None:
    code, output = _invoke("--check", "--service", "matching", data_dir=tmp_path)
    assert code == 0, output
    assert "no file yet" in output
    assert "profile" not in output
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_service_is_a_bad_argument(tmp_path: Path) -> None:
    code, output = _invoke("--check", "--service", "web", data_dir=tmp_path)
    assert code == 2
    assert "unknown service web" in output


def test_a_file_newer_than_the_code_fails_with_one_line(old_files: Path) -> None:
    with opened(old_files / "messaging.sqlite3") as conn:
        conn.execute("PRAGMA user_version = 99")
    for args in (("--check",), ()):
        code, output = _invoke(*args, "--service", "messaging", data_dir=old_files)
        assert code == 1
        failures = [line for line in output.splitlines() if "Migration failed" in line]
        assert len(failures) == 1
        assert "version 99, newer than this code's" in failures[0]
    assert user_version(old_files / "messaging.sqlite3") == 99
