"""The ``mentor-match`` command for operators.

Commands that change data go through the services' administrator APIs, signed
in as the administrator (``ADMIN_EMAIL``/``ADMIN_PASSWORD``, or the credentials
``make run`` generated in ``DATA_DIR``); ``replay-outbox`` works on a service's
own store, which only that service's operators can reach.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from mentor_match_ops import runner
from mentor_match_ops.mail_sink import read_mail

app = typer.Typer(help="Run and operate Mentor Match.", no_args_is_help=True)
console = Console()

IMPORT_ROWS_PER_FILE = 10_000
"""``POST /v1/admin/import`` takes at most 10,000 rows per file (and 5 MB)."""
IMPORT_BYTES_PER_FILE = 4 * 2**20
"""Files are cut below the endpoint's 5 MB so a chunk of long rows still fits."""
XLSX_MAGIC = b"PK\x03\x04"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DataDir = typer.Option(Path(".data"), envvar="DATA_DIR", help="The data folder")
ServicesOption = typer.Option(None, help="Service URLs as name=url (default: local ports)")


def service_urls(overrides: list[str] | None = None) -> dict[str, str]:
    """Base URL of each service: local ports from the environment, or overrides."""
    settings = runner.RunnerSettings()
    urls = {s: f"http://127.0.0.1:{settings.port_of(s)}" for s in runner.available_services()}
    for item in overrides or []:
        name, _, url = item.partition("=")
        urls[name] = url
    return urls


def admin_token(data_dir: Path, profile_url: str) -> str:
    """Sign in as the administrator and return an access token."""
    email, password = os.environ.get("ADMIN_EMAIL"), os.environ.get("ADMIN_PASSWORD")
    stored = data_dir / "admin-credentials.txt"
    if not (email and password) and stored.exists():
        email, password = stored.read_text().split("\n")[:2]
    if not (email and password):
        raise typer.BadParameter("set ADMIN_EMAIL and ADMIN_PASSWORD")
    response = call(
        "POST",
        f"{profile_url}/v1/auth/token",
        data={"username": email, "password": password},
        timeout=10,
    )
    if response.status_code != 200:
        console.print(f"[red]Sign-in refused: {response.json()['error']['message']}[/]")
        raise typer.Exit(1)
    token: str = response.json()["access_token"]
    return token


def progress_bar() -> Progress:
    """A progress bar with the count, the elapsed time and an ETA."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
    )


def call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One HTTP request; a service that does not answer ends the command with exit code 1."""
    try:
        return httpx.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        console.print(f"[red]No answer from {url}: {type(exc).__name__} {exc}[/]")
        raise typer.Exit(1) from None


def show_error(response: httpx.Response) -> None:
    """Print a service's error in its documented shape."""
    error = response.json().get("error", {})
    console.print(f"[red]{response.status_code} {error.get('code')}: {error.get('message')}[/]")
    if error.get("details"):
        console.print_json(json.dumps(error["details"]))


@app.command()
def run() -> None:
    """Run the whole system here: embedded broker, mail sink and every service."""
    raise typer.Exit(runner.run())


@app.command("export-model")
def export_model(
    target: Path | None = typer.Argument(  # noqa: B008 - typer declares options this way
        None,
        envvar="MATCHING_MODEL_DIR",
        help="The model folder (default: inside this Python environment)",
    ),
) -> None:
    """Export the matching model to int8 ONNX (build time: needs the matching [export] extra)."""
    try:
        from matching_service.adapters.model_export import export_model as export
    except ImportError as exc:
        console.print(
            f"[red]Cannot export the model: {exc.name or exc} is not installed "
            "(install mentor-match-matching[export]).[/]"
        )
        raise typer.Exit(1) from None
    started = time.perf_counter()
    with console.status("Exporting all-MiniLM-L6-v2 to int8 ONNX..."):
        path = export(target)
    console.print(f"Model exported to {path} in {time.perf_counter() - started:.0f} s")


@app.command()
def mail(
    data_dir: Path = DataDir,
    last: int = typer.Option(20, help="How many of the newest emails to list"),
) -> None:
    """List the emails the local mail sink received (newest last)."""
    table = Table("file", "to", "subject")
    for column in table.columns:
        column.overflow = "fold"
    for path, message in read_mail(data_dir / "mail")[-last:]:
        table.add_row(path.name, str(message["To"]), str(message["Subject"]))
    console.print(table)


@app.command()
def status(services: list[str] = ServicesOption) -> None:
    """Readiness of every service: store, broker, outbox backlog, consumer lag."""
    table = Table("service", "ready", "outbox unsent", "consumer groups (lag)", "problems")
    healthy = True
    for name, url in service_urls(services).items():
        try:
            response = httpx.get(f"{url}/readyz", timeout=5)
        except httpx.HTTPError as exc:
            table.add_row(name, "[red]down[/]", "-", "-", type(exc).__name__)
            healthy = False
            continue
        body: dict[str, Any] = response.json()
        checks = body.get("checks", {})
        broker = checks.get("broker", {})
        groups = checks.get("consumers", {})
        lags = ", ".join(
            f"{group} ({detail.get('lag')})"
            for group, detail in groups.items()
            if isinstance(detail, dict)
        )
        failing = [check for check, detail in checks.items() if not detail.get("ok")]
        ready = response.status_code == 200
        healthy &= ready
        table.add_row(
            name,
            "[green]yes[/]" if ready else "[red]no[/]",
            str(broker.get("outbox_unsent", "-")),
            lags or "-",
            ", ".join(failing),
        )
    console.print(table)
    raise typer.Exit(0 if healthy else 1)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise typer.BadParameter("the file is neither UTF-8 nor Windows-1252 text")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _workbook_rows(content: bytes) -> list[list[str]]:
    """The non-blank rows of an Excel workbook's first sheet, as text."""
    import openpyxl  # Only needed for .xlsx files.

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook.
        raise typer.BadParameter(f"the file is not a readable .xlsx workbook: {exc}") from exc
    try:
        rows = [[_cell_text(value) for value in row] for row in book.worksheets[0].values]
    finally:
        book.close()
    return [row for row in rows if any(cell.strip() for cell in row)]


def import_files(content: bytes) -> Iterator[tuple[int, bytes]]:
    """The import file as it is, or cut into files the endpoint takes: (rows, file).

    A CSV or Excel workbook (.xlsx, first sheet) over the endpoint's limits is
    re-written as UTF-8, comma-separated CSV parts, with the header repeated in each
    part; the rows stay in their order.
    """
    if content.startswith(XLSX_MAGIC):
        rows = _workbook_rows(content)
    else:
        text = _decode(content)
        first = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
        delimiter = max((",", ";", "\t"), key=first.count)
        try:
            rows = [
                row
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
                if any(row)
            ]
        except csv.Error as exc:
            raise typer.BadParameter(f"the file is not valid CSV: {exc}") from None
    if not rows:
        raise typer.BadParameter("the file is empty")
    header, body = rows[0], rows[1:]
    if len(body) <= IMPORT_ROWS_PER_FILE and len(content) <= IMPORT_BYTES_PER_FILE:
        yield len(body), content
        return
    part: list[list[str]] = []
    size = 0
    for row in body:
        line = sum(len(cell) + 3 for cell in row)
        if part and (len(part) == IMPORT_ROWS_PER_FILE or size + line > IMPORT_BYTES_PER_FILE):
            yield len(part), _csv([header, *part])
            part, size = [], 0
        part.append(row)
        size += line * 4  # UTF-8 worst case
    if part:
        yield len(part), _csv([header, *part])


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _import_part(name: str, content: bytes) -> tuple[str, bytes, str]:
    """The multipart file of one part: a workbook as it is, CSV parts named ``.csv``."""
    if content.startswith(XLSX_MAGIC):
        return name, content, XLSX_CONTENT_TYPE
    return str(Path(name).with_suffix(".csv")), content, "text/csv"


@app.command("import-coaches")
def import_coaches(
    csv_file: Path = typer.Argument(..., exists=True, dir_okay=False),  # noqa: B008 - typer's idiom
    dry_run: bool = typer.Option(True, help="Report bad rows and write nothing"),
    send_invitations: bool = typer.Option(
        False,
        "--send-invitations",
        help="Also send the new coaches their claim invitations (at CLAIM_INVITATIONS_PER_MINUTE)",
    ),
    data_dir: Path = DataDir,
    services: list[str] = ServicesOption,
) -> None:
    """Import the legacy coach spreadsheet (CSV or Excel .xlsx); a dry run by default.

    A file over the endpoint's 10,000 rows or 5 MB goes in parts, with a progress
    bar; importing is idempotent by email, so after a failed part run it again.
    Nobody is emailed unless ``--send-invitations`` is given (or an administrator
    sends them from the web import page).
    """
    urls = service_urls(services)
    files = list(import_files(csv_file.read_bytes()))
    token = admin_token(data_dir, urls["profile"])
    totals: dict[str, int] = {}
    import_ids: list[str] = []
    rows_before = 0
    with progress_bar() as progress:
        task = progress.add_task(
            "Checking rows" if dry_run else "Importing rows", total=sum(n for n, _ in files)
        )
        for number, (rows, content) in enumerate(files, start=1):
            response = call(
                "POST",
                f"{urls['profile']}/v1/admin/import",
                params={"dry_run": str(dry_run).lower()},
                files={"file": _import_part(csv_file.name, content)},
                headers={"Authorization": f"Bearer {token}"},
                timeout=600,
            )
            if response.status_code != 200:
                progress.stop()
                if len(files) > 1:
                    console.print(
                        f"[red]Part {number} of {len(files)} (rows {rows_before + 1} to "
                        f"{rows_before + rows}; line numbers below count within it) "
                        "was refused; earlier parts were "
                        + ("checked." if dry_run else "imported (run again once fixed).")
                        + "[/]"
                    )
                show_error(response)
                raise typer.Exit(1)
            for key, value in response.json().items():
                if isinstance(value, int) and not isinstance(value, bool):
                    totals[key] = totals.get(key, 0) + value
            if response.json().get("import_id"):
                import_ids.append(response.json()["import_id"])
            rows_before += rows
            progress.advance(task, rows)
    for import_id in import_ids if send_invitations and not dry_run else []:
        sent = call(
            "POST",
            f"{urls['profile']}/v1/admin/imports/{import_id}/invitations",
            headers={"Authorization": f"Bearer {token}"},
        )
        if sent.status_code != 202:
            show_error(sent)
            raise typer.Exit(1)
    if import_ids and not send_invitations:
        console.print(
            "Nobody was emailed: send the invitations from the web import page, or run "
            "again with --send-invitations."
        )
    if len(files) == 1:
        console.print_json(response.text)
    else:
        console.print_json(json.dumps({"parts": len(files), **totals}))


@app.command("erase-user")
def erase_user(
    email: str = typer.Argument(..., help="The person's sign-in address"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    data_dir: Path = DataDir,
    services: list[str] = ServicesOption,
) -> None:
    """Erase a person everywhere, on their request (every service erases its copy)."""
    if not yes:
        typer.confirm(f"Erase {email} and everything held about them?", abort=True)
    urls = service_urls(services)
    token = admin_token(data_dir, urls["profile"])
    response = httpx.delete(
        f"{urls['profile']}/v1/admin/accounts",
        params={"email": email},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    if response.status_code != 200:
        show_error(response)
        raise typer.Exit(1)
    console.print(
        f"Erased account {response.json()['erased']}; other services follow from "
        "the profile.deleted event."
    )


@app.command("rebuild-index")
def rebuild_index(data_dir: Path = DataDir, services: list[str] = ServicesOption) -> None:
    """Rebuild the matching index from the profiles it holds.

    The rebuild is one request; the bar's total is the number of profiles the index
    held before, and it completes when the service answers.
    """
    urls = service_urls(services)
    token = admin_token(data_dir, urls["profile"])
    headers = {"Authorization": f"Bearer {token}"}
    before = call("GET", f"{urls['matching']}/v1/index/status", headers=headers, timeout=10)
    total = before.json().get("profiles") if before.status_code == 200 else None
    with progress_bar() as progress:
        task = progress.add_task("Rebuilding the index", total=total)
        response = call(
            "POST", f"{urls['matching']}/v1/admin/index/rebuild", headers=headers, timeout=3600
        )
        if response.status_code == 200:
            done = response.json().get("profiles", total)
            progress.update(task, total=done, completed=done)
    if response.status_code != 200:
        show_error(response)
        raise typer.Exit(1)
    console.print_json(response.text)


@app.command("index-status")
def index_status(data_dir: Path = DataDir, services: list[str] = ServicesOption) -> None:
    """Profiles indexed by matching, the last event applied, and the lag."""
    urls = service_urls(services)
    token = admin_token(data_dir, urls["profile"])
    response = httpx.get(
        f"{urls['matching']}/v1/index/status",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    if response.status_code != 200:
        show_error(response)
        raise typer.Exit(1)
    console.print_json(response.text)


@app.command("replay-outbox")
def replay_outbox(
    service: str = typer.Argument(..., help="profile, matching, messaging or notifications"),
    hours: float = typer.Option(24.0, help="Re-publish events sent in the last HOURS"),
    wait: bool = typer.Option(True, help="Follow the relay until the queued events are sent"),
    timeout: float = typer.Option(600.0, help="Seconds to follow the relay before giving up"),
    data_dir: Path = DataDir,
    services: list[str] = ServicesOption,
) -> None:
    """Re-publish a service's retained events (consumers drop what they already applied).

    Works on the service's store: its SQLite file under DATA_DIR, or MongoDB when
    MONGODB_URI is set. The service's running relay publishes them; the progress bar
    follows its outbox backlog (``/readyz``) down to zero.
    """
    if service not in runner.SERVICES or service == "web":
        raise typer.BadParameter(f"unknown service {service}")
    requeued = asyncio.run(_requeue(service, data_dir, time.time() - hours * 3600))
    console.print(f"{requeued} events of {service} queued for re-publishing.")
    if not wait or requeued == 0:
        return
    url = f"{service_urls(services)[service]}/readyz"
    started = time.monotonic()
    with progress_bar() as progress:
        task = progress.add_task(f"Re-publishing ({service})", total=requeued)
        while True:
            try:
                checks = httpx.get(url, timeout=5).json().get("checks", {})
            except (httpx.HTTPError, ValueError) as exc:
                progress.stop()
                console.print(
                    f"[red]{service} does not answer at {url} ({type(exc).__name__}): the "
                    "events stay queued and go out when it runs.[/]"
                )
                raise typer.Exit(1) from None
            unsent = int(checks.get("broker", {}).get("outbox_unsent", 0))
            progress.update(task, completed=max(0, requeued - unsent))
            if unsent == 0:
                break
            if time.monotonic() - started > timeout:
                progress.stop()
                console.print(
                    f"[red]{unsent} events still unsent after {timeout:.0f} s: is the "
                    f"broker reachable from {service}? (mentor-match status)[/]"
                )
                raise typer.Exit(1)
            time.sleep(0.5)
    console.print(f"All {requeued} events of {service} re-published.")


async def _requeue(service: str, data_dir: Path, since: float) -> int:
    from mentor_shared.bus.mongo_store import MongoOutboxStore
    from mentor_shared.bus.sqlite_store import SqliteOutboxStore
    from mentor_shared.storage.mongo import mongo_client
    from mentor_shared.storage.sqlite import SqliteDatabase

    uri = os.environ.get("MONGODB_URI")
    if uri:
        client: Any = mongo_client(uri)
        try:
            return await MongoOutboxStore(client[service]).requeue_retained(since)
        finally:
            await client.close()
    path = data_dir / f"{service}.sqlite3"
    if not path.exists():
        raise typer.BadParameter(f"no store at {path}")
    db = await SqliteDatabase(path).open()
    try:
        return await SqliteOutboxStore(db).requeue_retained(since)
    finally:
        await db.close()


STORE_SERVICES = ("profile", "matching", "messaging", "notifications")
"""The services with a store, hence a schema ladder (the web frontend has none)."""


@app.command()
def migrate(
    check: bool = typer.Option(False, "--check", help="Only say what would run; change nothing"),
    service: list[str] = typer.Option(  # noqa: B008 - typer declares options this way
        None, "--service", help="Only this service (repeat for several; default: all)"
    ),
    data_dir: Path = DataDir,
) -> None:
    """Bring each service's schema to the version its code expects (services also do at start).

    Works on the stores themselves: the SQLite files under DATA_DIR, or MongoDB when
    MONGODB_URI is set. With --check, says per service the current and target version
    and the steps that would run, and changes nothing.
    """
    installed = [s for s in runner.available_services() if s in STORE_SERVICES]
    chosen = list(dict.fromkeys(service)) if service else installed
    unknown = [s for s in chosen if s not in installed]
    if unknown:
        raise typer.BadParameter(
            f"unknown service {', '.join(unknown)} (one of {', '.join(installed)})",
            param_hint="--service",
        )
    table = Table("service", "store", "version", "steps that would run" if check else "steps run")
    for column in table.columns:
        column.overflow = "fold"
    import sqlite3

    from pymongo.errors import PyMongoError

    from mentor_shared.storage.migrations import MigrationError

    try:
        asyncio.run(_migrate(chosen, data_dir, check=check, table=table))
    except (MigrationError, sqlite3.Error, PyMongoError, OSError) as exc:
        if table.row_count:
            console.print(table)
        console.print(f"[red]Migration failed: {exc}[/]", soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(table)


async def _migrate(services: list[str], data_dir: Path, *, check: bool, table: Table) -> None:
    import importlib

    from mentor_shared.storage.migrations import (
        Ladder,
        Plan,
        migrate_mongo,
        migrate_sqlite,
        plan_mongo,
        plan_sqlite,
        refuse_if_ahead,
    )
    from mentor_shared.storage.mongo import mongo_client

    def row(plan: Plan) -> None:
        refuse_if_ahead(plan)
        shown = plan.current if check else plan.current + len(plan.pending)
        version = f"{shown} of {plan.target}"
        if check and plan.pending:
            version = f"{plan.current} -> {plan.target}"
        steps = [f"{number} {name}" for number, name in plan.pending]
        if plan.adopted and plan.pending:
            steps[0] += " (adopts the tables made before versions)"
        table.add_row(plan.service, plan.store, version, "\n".join(steps) or "none")

    def ladder_of(service: str) -> Ladder:
        ladder: Ladder = importlib.import_module(f"{service}_service.adapters.schema").LADDER
        return ladder

    uri = os.environ.get("MONGODB_URI")
    if uri:
        client: Any = mongo_client(uri)
        try:
            for service in services:
                db, ladder = client[service], ladder_of(service)
                row(await plan_mongo(db, ladder) if check else await migrate_mongo(db, ladder))
        finally:
            await client.close()
        return
    for service in services:
        path = data_dir / f"{service}.sqlite3"
        if not path.exists():
            table.add_row(service, "sqlite", "-", "none: no file yet (made at first start)")
            continue
        ladder = ladder_of(service)
        if check:
            row(plan_sqlite(path, ladder))
        else:
            row(await asyncio.to_thread(migrate_sqlite, path, ladder))
