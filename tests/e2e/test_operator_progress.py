"""The operator commands' progress bars, import in parts and failure exit codes."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from mentor_match_ops import cli
from mentor_shared.testing.broker import free_port
from tests.conftest import System, emails_to, eventually

HEADER = "name,email,department,profession,grade,region,expertise,approach,capacity"


def _sheet(count: int, tag: str) -> str:
    rows = [
        f"Part Coach {i},part.{tag}.{i}@cabinetoffice.gov.uk,co,policy,G6,london,"
        f'"Leadership;Resilience","Listening, then asking",2'
        for i in range(count)
    ]
    return "\n".join([HEADER, *rows]) + "\n"


def test_a_file_over_the_limit_is_cut_into_parts_with_the_header_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "IMPORT_ROWS_PER_FILE", 10)
    # Excel's semicolon-separated, Windows-1252 export of 25 rows.
    content = (
        _sheet(25, "x").replace(",", ";").replace("Listening; then", "Écoute;").encode("cp1252")
    )
    parts = list(cli.import_files(content))
    assert [rows for rows, _ in parts] == [10, 10, 5]
    tables = [list(csv.reader(io.StringIO(part.decode()))) for _, part in parts]
    assert all(table[0] == HEADER.split(",") for table in tables)
    emails = [row[1] for table in tables for row in table[1:]]
    assert emails == [f"part.x.{i}@cabinetoffice.gov.uk" for i in range(25)]
    assert tables[0][1][7] == "Écoute; asking"
    # A file within the limits goes as it is, byte for byte.
    small = _sheet(3, "y").encode()
    assert list(cli.import_files(small)) == [(3, small)]


def test_an_excel_workbook_goes_as_it_is_or_in_csv_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(io.StringIO(_sheet(25, "w"))):
        sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    workbook = buffer.getvalue()
    assert list(cli.import_files(workbook)) == [(25, workbook)]
    assert cli._import_part("coaches.xlsx", workbook)[0] == "coaches.xlsx"
    monkeypatch.setattr(cli, "IMPORT_ROWS_PER_FILE", 10)
    parts = list(cli.import_files(workbook))
    assert [rows for rows, _ in parts] == [10, 10, 5]
    tables = [list(csv.reader(io.StringIO(part.decode()))) for _, part in parts]
    assert all(table[0] == HEADER.split(",") for table in tables)
    assert tables[2][-1][8] == "2"
    assert cli._import_part("coaches.xlsx", parts[0][1])[:1] == ("coaches.csv",)


@pytest.mark.broker
def test_import_coaches_sends_the_parts_with_a_progress_bar(
    running_system: System, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli, "IMPORT_ROWS_PER_FILE", 2)
    sheet = tmp_path / "coaches.csv"
    tag = uuid.uuid4().hex[:8]
    sheet.write_text(_sheet(5, tag))
    env = {**running_system.env, "COLUMNS": "200"}
    result = CliRunner().invoke(
        cli.app, ["import-coaches", str(sheet), "--no-dry-run", "--send-invitations"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "Importing rows" in result.output
    assert "5/5" in result.output
    assert '"parts": 3' in result.output
    assert '"created": 5' in result.output
    assert "Nobody was emailed" not in result.output
    # Each of the three parts' invitations was sent: every coach gets one claim email.
    eventually(
        lambda: all(
            emails_to(running_system, f"part.{tag}.{i}@cabinetoffice.gov.uk") for i in range(5)
        ),
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [["import-coaches", "{sheet}", "--dry-run"], ["rebuild-index"], ["index-status"]],
    ids=lambda c: c[0],
)
def test_a_service_that_does_not_answer_ends_the_command_with_exit_code_1(
    command: list[str], tmp_path: Path
) -> None:
    sheet = tmp_path / "coaches.csv"
    sheet.write_text(_sheet(1, "z"))
    port = str(free_port())
    env = {
        "PROFILE_PORT": port,
        "MATCHING_PORT": port,
        "ADMIN_EMAIL": "ops.admin@cabinetoffice.gov.uk",
        "ADMIN_PASSWORD": "a long operator passphrase 2026",
        "COLUMNS": "200",
    }
    args = [part.format(sheet=sheet) for part in command]
    result = CliRunner().invoke(cli.app, args, env=env)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback
    assert f"No answer from http://127.0.0.1:{port}" in result.output


def test_replay_outbox_refuses_unknown_services_and_missing_stores(tmp_path: Path) -> None:
    runner = CliRunner()
    web = runner.invoke(cli.app, ["replay-outbox", "web", "--data-dir", str(tmp_path)])
    assert web.exit_code == 2
    assert "unknown service web" in web.output
    missing = runner.invoke(cli.app, ["replay-outbox", "profile", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 2
    assert "no store at" in missing.output
