"""`mentor-match run` (what `make run` calls) and the operator commands, as an operator uses them."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from mentor_match_ops.demo.people import demo_people
from mentor_match_ops.runner import RunnerSettings, service_env
from profile_service.settings import DEMO_DEFAULT_PASSWORD
from tests.conftest import BIN, System, eventually, run_system

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


def test_run_with_demo_data_creates_the_demo_people_and_requests_between_them(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    count = 60
    people = demo_people(count)
    mentee = next(p for p in people if p.profile.roles.mentee)
    mentor = next(p for p in people if not p.profile.roles.mentee)
    with run_system(
        tmp_path_factory.mktemp("demo"), {"DEMO_DATA": "1", "DEMO_COUNT": str(count)}
    ) as system:
        # Printed once the demo requests are made, after "Mentor Match is running".
        eventually(lambda: "a mentor:" in system.log.read_text(), timeout=600)
        text = system.log.read_text()
        assert "Demo data: on (DEMO_DATA=0 turns it off)" in text
        assert f"Demo people sign in with the password {DEMO_DEFAULT_PASSWORD!r}" in text
        assert f"a mentee: {mentee.email}" in text
        assert f"a mentor: {mentor.email}" in text
        made = re.search(r"Demo data: (\d+) requests between demo people", text)
        assert made is not None, text
        assert int(made.group(1)) > 0
        assert (system.data_dir / "demo-activity.done").exists()
        handed = (system.data_dir / "demo-people.jsonl").read_text().splitlines()
        assert len(handed) == count
        signed_in = httpx.post(
            f"{system.url('profile')}/v1/auth/token",
            data={"username": mentee.email, "password": DEMO_DEFAULT_PASSWORD},
            timeout=30,
        )
        assert signed_in.status_code == 200, signed_in.text
        token = signed_in.json()["access_token"]
        mine = httpx.get(
            f"{system.url('profile')}/v1/profiles/me",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert mine.status_code == 200, mine.text
        assert mine.json()["id"] == mentee.account_id
        assert mine.json()["goals_text"] == mentee.profile.goals_text
