"""`mentor-match run` (what `make run` calls) and the operator commands, as an operator uses them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mentor_shared.testing.broker import free_port

pytestmark = [pytest.mark.broker, pytest.mark.slow]

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def running_system(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, str], Path]]:
    data_dir = tmp_path_factory.mktemp("run")
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DEMO_DATA": "0",
        "EMBEDDED_KAFKA_PORT": str(free_port()),
        "SMTP_PORT": str(free_port()),
        "ADMIN_EMAIL": "ops.admin@cabinetoffice.gov.uk",
        "ADMIN_PASSWORD": "a long operator passphrase 2026",
    }
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("SMTP_HOST", None)
    for name in ("PROFILE", "MATCHING", "MESSAGING", "NOTIFICATIONS", "WEB"):
        env[f"{name}_PORT"] = str(free_port())
    log = data_dir / "runner.out"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "mentor-match"), "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 600
        while "Mentor Match is running" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "not ready in time"
            time.sleep(0.5)
        try:
            yield env, log
        finally:
            process.send_signal(signal.SIGINT)
            status = process.wait(timeout=60)
    assert status == 0, log.read_text(errors="replace")


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mentor-match"), *args],
        env={**env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_run_prints_urls_and_the_administrators_sign_in(
    running_system: tuple[dict[str, str], Path],
) -> None:
    env, log = running_system
    text = log.read_text()
    assert f"http://127.0.0.1:{env['PROFILE_PORT']}" in text
    assert "ops.admin@cabinetoffice.gov.uk" in text


def test_every_service_is_ready_and_status_says_so(
    running_system: tuple[dict[str, str], Path],
) -> None:
    env, _ = running_system
    for name in ("PROFILE", "MESSAGING", "NOTIFICATIONS"):
        ready = httpx.get(f"http://127.0.0.1:{env[name + '_PORT']}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
    result = cli(env, "status")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "profile" in result.stdout


def test_coach_import_dry_run_reports_bad_rows_by_line(
    running_system: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = running_system
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
    running_system: tuple[dict[str, str], Path],
) -> None:
    env, _ = running_system
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
    running_system: tuple[dict[str, str], Path],
) -> None:
    env, _ = running_system
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
