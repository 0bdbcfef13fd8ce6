"""`mentor-match run` (what `make run` calls) and the operator commands, as an operator uses them."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from mentor_match_ops.runner import RunnerSettings, service_env
from tests.conftest import BIN, System

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mentor-match"), *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_prints_urls_and_the_administrators_sign_in(
    running_system: System,
) -> None:
    env, log = running_system.env, running_system.log
    text = log.read_text()
    assert f"http://127.0.0.1:{env['PROFILE_PORT']}" in text
    assert "ops.admin@cabinetoffice.gov.uk" in text


def test_every_service_is_ready_and_status_says_so(
    running_system: System,
) -> None:
    env = running_system.env
    for name in ("PROFILE", "MESSAGING", "NOTIFICATIONS"):
        ready = httpx.get(f"http://127.0.0.1:{env[name + '_PORT']}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
    result = cli(env, "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "profile" in result.stdout


def test_coach_import_dry_run_reports_bad_rows_by_line(
    running_system: System, tmp_path: Path
) -> None:
    env = running_system.env
    sheet = tmp_path / "coaches.csv"
    sheet.write_text(
        "name,email,department,profession,grade,region,expertise,approach,capacity\n"
        "Cy Coach,cy.coach@cabinetoffice.gov.uk,co,policy,G6,london,Leadership,Listening,2\n"
        "Bad Row,someone@gmail.com,co,policy,G6,london,Leadership,Listening,2\n"
    )
    result = cli(env, "import-coaches", str(sheet), "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"line": 3' in result.stdout


def test_a_registered_person_can_be_erased_on_request(
    running_system: System,
) -> None:
    env = running_system.env
    profile = f"http://127.0.0.1:{env['PROFILE_PORT']}"
    email = "erase.me@cabinetoffice.gov.uk"
    created = httpx.post(
        f"{profile}/v1/accounts",
        json={
            "email": email,
            "password": "plum kettle harbour ninety lantern",
            "display_name": "Eri",
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    result = cli(env, "erase-user", email, "--yes")
    assert result.returncode == 0, result.stdout + result.stderr
    again = cli(env, "erase-user", email, "--yes")
    assert again.returncode == 1
    assert "404" in again.stdout


def test_verification_email_reaches_the_mail_sink(
    running_system: System,
) -> None:
    env = running_system.env
    profile = f"http://127.0.0.1:{env['PROFILE_PORT']}"
    httpx.post(
        f"{profile}/v1/accounts",
        json={
            "email": "mail.me@cabinetoffice.gov.uk",
            "password": "plum kettle harbour ninety lantern",
            "display_name": "Mai",
        },
        timeout=10,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        result = cli(env, "mail")
        if "mail.me@cabinetoffice.gov.uk" in result.stdout:
            break
        time.sleep(1)
    assert "mail.me@cabinetoffice.gov.uk" in result.stdout, result.stdout


def test_services_on_the_embedded_broker_fetch_every_100_ms_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_FETCH_MAX_WAIT_MS", raising=False)
    settings = RunnerSettings(data_dir=Path("unused"))
    admin = ("ops.admin@cabinetoffice.gov.uk", "a long passphrase")

    embedded = service_env(settings, "127.0.0.1:9092", admin, idle_friendly_fetch=True)
    external = service_env(settings, "kafka:9092", admin)
    monkeypatch.setenv("KAFKA_FETCH_MAX_WAIT_MS", "25")
    chosen = service_env(settings, "127.0.0.1:9092", admin, idle_friendly_fetch=True)

    assert embedded["KAFKA_FETCH_MAX_WAIT_MS"] == "100"
    assert "KAFKA_FETCH_MAX_WAIT_MS" not in external
    assert chosen["KAFKA_FETCH_MAX_WAIT_MS"] == "25"
