"""Run the whole system on this machine: broker, mail sink and every service.

``make run`` calls :func:`run`. It starts the embedded Kafka-compatible broker
(unless ``KAFKA_BOOTSTRAP_SERVERS`` names one), a local SMTP sink that keeps
emails as files (unless ``SMTP_HOST`` names a server), and each service as its
own process, waits until every ``/readyz`` answers, prints the URLs and the
administrator's sign-in, and stops everything cleanly on Ctrl-C. Data stays in
``DATA_DIR`` so a second run carries on where the first stopped; the broker is
in-memory, and the services re-publish what it lost on their own.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from mentor_match_ops.demo.activity import DemoAccount, DemoActivityError, create_demo_activity
from mentor_match_ops.mail_sink import MailSink
from mentor_shared.testing.broker import EmbeddedBroker, port_answers

console = Console()

SERVICES = ("profile", "matching", "messaging", "notifications", "web")
READY_TIMEOUT_S = {"matching": 600.0}
DEFAULT_READY_TIMEOUT_S = 120.0


class RunnerSettings(BaseSettings):
    """The variables of DESIGN.md "Running it" that the runner itself reads."""

    model_config = SettingsConfigDict(extra="ignore")

    profile_port: int = 8001
    matching_port: int = 8002
    messaging_port: int = 8003
    notifications_port: int = 8004
    web_port: int = 8000
    kafka_bootstrap_servers: str | None = None
    embedded_kafka_port: int = 9092
    smtp_host: str | None = None
    smtp_port: int = 1025
    data_dir: Path = Path(".data")
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    demo_data: bool = True
    demo_count: int = Field(default=300, ge=0, le=10_000, description="How many demo people")
    python: str = Field(default=sys.executable, description="Interpreter for the services")

    @property
    def demo_people_file(self) -> Path:
        """Where the runner writes the demo people for the profile service to create."""
        return self.data_dir.resolve() / "demo-people.jsonl"

    def port_of(self, service: str) -> int:
        """The HTTP port of a service."""
        port: int = getattr(self, f"{service}_port")
        return port


@dataclass
class ServiceProcess:
    """One service running as its own process, its output in a log file."""

    name: str
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Base URL of its HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, python: str, env: dict[str, str]) -> None:
        """Start ``python -m <name>_service`` with ``env``."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [python, "-m", f"{self.name}_service"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int | None:
        """Process id while it runs (None before start and after it ended)."""
        if self.process is None or self.process.poll() is not None:
            return None
        return self.process.pid

    def exited(self) -> int | None:
        """The exit status if the process has ended."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self._close_log()

    def kill(self, timeout: float = 15.0) -> None:
        """SIGKILL at once, as a crash would: no shutdown code runs (fault tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=timeout)
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


class Stop(Exception):
    """Ctrl-C or SIGTERM: shut down."""


def _raise_stop(signum: int, frame: object) -> None:
    raise Stop(signal.Signals(signum).name)


def admin_credentials(settings: RunnerSettings) -> tuple[str, str, bool]:
    """(email, password, generated): from the environment, or generated once and kept."""
    if settings.admin_email and settings.admin_password:
        return settings.admin_email, settings.admin_password.get_secret_value(), False
    stored = settings.data_dir / "admin-credentials.txt"
    if stored.exists():
        email, password = stored.read_text().split("\n")[:2]
        return email, password, True
    email = settings.admin_email or "mentor-match-admin@cabinetoffice.gov.uk"
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    stored.write_text(f"{email}\n{password}\n")
    stored.chmod(0o600)
    return email, password, True


def service_env(
    settings: RunnerSettings,
    bootstrap: str,
    admin: tuple[str, str],
    *,
    idle_friendly_fetch: bool = False,
) -> dict[str, str]:
    """The environment every service process gets.

    With ``idle_friendly_fetch`` (``make run`` on its embedded broker) consumers
    wait up to 100 ms per fetch unless ``KAFKA_FETCH_MAX_WAIT_MS`` says otherwise:
    that broker answers every fetch only when the wait ends, so at the 10 ms
    default an idle system keeps it busy with a thousand fetches a second (about
    half a core measured, a quarter of it the broker's), for event latencies no
    one using the pages can tell apart.
    """
    env = dict(os.environ)
    if idle_friendly_fetch:
        env.setdefault("KAFKA_FETCH_MAX_WAIT_MS", "100")
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "DATA_DIR": str(settings.data_dir.resolve()),
            "PROFILE_URL": f"http://127.0.0.1:{settings.profile_port}",
            "MATCHING_URL": f"http://127.0.0.1:{settings.matching_port}",
            "MESSAGING_URL": f"http://127.0.0.1:{settings.messaging_port}",
            "NOTIFICATIONS_URL": f"http://127.0.0.1:{settings.notifications_port}",
            "PUBLIC_URL": os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{settings.web_port}"),
            "SMTP_HOST": settings.smtp_host or "127.0.0.1",
            "SMTP_PORT": str(settings.smtp_port),
            "ADMIN_EMAIL": admin[0],
            "ADMIN_PASSWORD": admin[1],
            "DEMO_DATA": "1" if settings.demo_data else "0",
            # FAISS and torch size their thread pools at import (MEASUREMENTS.md).
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if settings.demo_data:
        env["DEMO_PEOPLE_FILE"] = str(settings.demo_people_file)
    for service in SERVICES:
        env[f"{service.upper()}_PORT"] = str(settings.port_of(service))
    return env


def wait_until_ready(services: list[ServiceProcess]) -> None:
    """Poll every /readyz, with a spinner per service, until all answer 200."""
    with (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress,
        httpx.Client(timeout=2.0) as client,
    ):
        tasks = {s.name: progress.add_task(f"starting {s.name}", total=1) for s in services}
        started = time.monotonic()
        waiting = list(services)
        while waiting:
            for service in list(waiting):
                status = service.exited()
                if status is not None:
                    raise RuntimeError(
                        f"{service.name} exited with status {status}; see {service.log_path}"
                    )
                limit = READY_TIMEOUT_S.get(service.name, DEFAULT_READY_TIMEOUT_S)
                if time.monotonic() - started > limit:
                    raise RuntimeError(
                        f"{service.name} not ready after {limit:.0f} s; see {service.log_path}"
                    )
                try:
                    ready = client.get(f"{service.url}/readyz").status_code == 200
                except httpx.HTTPError:
                    ready = False
                if ready:
                    progress.update(
                        tasks[service.name],
                        completed=1,
                        description=f"[green]{service.name} ready[/] {service.url}",
                    )
                    waiting.remove(service)
            time.sleep(0.5)


def _write_demo_people(settings: RunnerSettings) -> list[DemoAccount]:
    """Build the demo people and write them where the profile service reads them at start."""
    # Imported here: the generator needs the profile service's domain installed.
    from mentor_match_ops.demo.people import write_people_file

    return [
        DemoAccount(p.email, p.account_id, p.profile.roles.mentee)
        for p in write_people_file(settings.demo_people_file, settings.demo_count)
    ]


def _demo_activity(
    settings: RunnerSettings, urls: dict[str, str], people: list[DemoAccount]
) -> None:
    """Requests and conversations between demo people, once per data folder."""
    if not {"profile", "matching", "messaging"} <= set(urls):
        return
    from profile_service.settings import DEMO_DEFAULT_PASSWORD

    password = os.environ.get("DEMO_PASSWORD", DEMO_DEFAULT_PASSWORD)
    with console.status("Creating demo requests and conversations...") as status:
        try:
            made = create_demo_activity(
                settings.data_dir, urls, people, password, lambda text: status.update(text)
            )
        except (DemoActivityError, httpx.HTTPError) as problem:
            console.print(f"[yellow]Demo requests not created: {problem}[/]")
            return
    if made:
        console.print(f"Demo data: {made} requests between demo people, some accepted")
    console.print(f"Demo people sign in with the password {password!r}, for example")
    mentee = next((p for p in people if p.is_mentee), None)
    mentor = next((p for p in people if not p.is_mentee), None)
    for label, person in (("a mentee", mentee), ("a mentor", mentor)):
        if person is not None:
            console.print(f"  {label}: {person.email}")


def available_services() -> list[str]:
    """The services whose package is installed (all four in a normal install)."""
    return [s for s in SERVICES if importlib.util.find_spec(f"{s}_service.__main__") is not None]


def run(settings: RunnerSettings | None = None, *, on_ready: object = None) -> int:
    """Start everything, wait for Ctrl-C or SIGTERM, stop everything. Returns an exit code."""
    settings = settings or RunnerSettings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logs = settings.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    broker: EmbeddedBroker | None = None
    sink: MailSink | None = None
    services: list[ServiceProcess] = []
    try:
        if settings.kafka_bootstrap_servers:
            bootstrap = settings.kafka_bootstrap_servers
            console.print(f"Using the Kafka broker at {bootstrap}")
        else:
            if port_answers("127.0.0.1", settings.embedded_kafka_port):
                raise RuntimeError(
                    f"port {settings.embedded_kafka_port} is taken: stop what uses it, "
                    "or set KAFKA_BOOTSTRAP_SERVERS to use that broker"
                )
            broker = EmbeddedBroker(
                port=settings.embedded_kafka_port, log_path=logs / "broker.log"
            ).start()
            bootstrap = broker.bootstrap_servers
            console.print(f"Started the embedded broker on {bootstrap} (in memory)")
        mail_folder = settings.data_dir / "mail"
        if not settings.smtp_host:
            sink = MailSink(mail_folder, port=settings.smtp_port).start()
            console.print(
                f"Started the mail sink on 127.0.0.1:{settings.smtp_port}; "
                f"emails are saved in {mail_folder}"
            )
        admin_email, admin_password, generated = admin_credentials(settings)
        env = service_env(
            settings,
            bootstrap,
            (admin_email, admin_password),
            idle_friendly_fetch=broker is not None,
        )
        names = available_services()
        people = _write_demo_people(settings) if settings.demo_data and "profile" in names else []
        for name in names:
            service = ServiceProcess(name, settings.port_of(name), logs / f"{name}.log")
            service.start(settings.python, env)
            services.append(service)
        wait_until_ready(services)
        console.rule("[bold green]Mentor Match is running")
        console.print(f"Web frontend: http://127.0.0.1:{settings.web_port}")
        for service in services:
            console.print(f"  {service.name:<14} {service.url}   API docs {service.url}/docs")
        console.print(
            f"Administrator: {admin_email}  password: {admin_password}"
            + ("  (generated, kept in DATA_DIR/admin-credentials.txt)" if generated else "")
        )
        if settings.demo_data:
            console.print("Demo data: on (DEMO_DATA=0 turns it off)")
        if sink is not None:
            console.print(f"Emails: {mail_folder}  (list them with `mentor-match mail`)")
        console.print(f"Logs: {logs}.  Ctrl-C stops everything.")
        if settings.demo_data:
            _demo_activity(settings, {s.name: s.url for s in services}, people)
        if callable(on_ready):
            on_ready(services)
        while True:
            for service in services:
                status = service.exited()
                if status is not None:
                    raise RuntimeError(
                        f"{service.name} stopped unexpectedly (status {status}); see {service.log_path}"
                    )
            time.sleep(0.5)
    except Stop as stop:
        console.print(f"\n{stop}: stopping...")
        return 0
    except RuntimeError as problem:
        console.print(f"[red]{problem}[/]")
        return 1
    finally:
        for service in reversed(services):
            service.stop()
        if sink is not None:
            sink.stop()
        if broker is not None:
            broker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        console.print("Stopped.")
