"""The ``mentor-match`` command for operators.

Commands that change data go through the services' administrator APIs, signed
in as the administrator (``ADMIN_EMAIL``/``ADMIN_PASSWORD``, or the credentials
``make run`` generated in ``DATA_DIR``); ``replay-outbox`` works on a service's
own store, which only that service's operators can reach.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from mentor_match_ops import runner
from mentor_match_ops.mail_sink import read_mail

app = typer.Typer(help="Run and operate Mentor Match.", no_args_is_help=True)
console = Console()

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
    response = httpx.post(
        f"{profile_url}/v1/auth/token",
        data={"username": email, "password": password},
        timeout=10,
    )
    if response.status_code != 200:
        console.print(f"[red]Sign-in refused: {response.json()['error']['message']}[/]")
        raise typer.Exit(1)
    token: str = response.json()["access_token"]
    return token


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


@app.command("import-coaches")
def import_coaches(
    csv_file: Path = typer.Argument(..., exists=True, dir_okay=False),  # noqa: B008 - typer's idiom
    dry_run: bool = typer.Option(True, help="Report bad rows and write nothing"),
    data_dir: Path = DataDir,
    services: list[str] = ServicesOption,
) -> None:
    """Import the legacy coach spreadsheet (CSV); a dry run by default."""
    urls = service_urls(services)
    token = admin_token(data_dir, urls["profile"])
    response = httpx.post(
        f"{urls['profile']}/v1/admin/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": (csv_file.name, csv_file.read_bytes(), "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )
    if response.status_code != 200:
        show_error(response)
        raise typer.Exit(1)
    console.print_json(response.text)


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
    """Rebuild the matching index from the profiles it holds."""
    urls = service_urls(services)
    token = admin_token(data_dir, urls["profile"])
    response = httpx.post(
        f"{urls['matching']}/v1/admin/index/rebuild",
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
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
    data_dir: Path = DataDir,
) -> None:
    """Re-publish a service's retained events (consumers drop what they already applied).

    Works on the service's store: its SQLite file under DATA_DIR, or MongoDB when
    MONGODB_URI is set. The service's running relay publishes them.
    """
    if service not in runner.SERVICES:
        raise typer.BadParameter(f"unknown service {service}")
    requeued = asyncio.run(_requeue(service, data_dir, time.time() - hours * 3600))
    console.print(f"{requeued} events of {service} queued for re-publishing.")


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
