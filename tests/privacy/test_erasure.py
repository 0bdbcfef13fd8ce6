"""Erasure that reaches everything and stays done, tried from outside on the running system.

A mentee with an accepted match, messages both ways, a proposed session, in-app
notifications and emails deletes their account. Then, within a minute:

- every service answers 401 to their old (unexpired) access token, and a write with
  it creates nothing (``PUT /v1/preferences`` recreates no row);
- the mentor's data exports do not name them;
- no file under the data folder holds their name, email, phone or words (SQLite
  files, WAL, index snapshots; the logs not their contact details or message text);
- no store row holds their id other than the erased-subject tombstones and the
  deletion event in an outbox;

and all of it still holds after every service's outbox is replayed, and after the
broker is restarted empty and the services have recovered.

Only public HTTP APIs, the operator's command and the files of the data folder are
used: the checks say what a person was promised, not how a service keeps it.
"""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import sqlite3
import string
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from mentor_shared.testing.broker import EmbeddedBroker, port_answers
from tests.conftest import BIN, System, emails_to, eventually, verification_token

pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(900)]

PASSWORD = "quartz meadow lantern ninety harbour"
SETTLE_S = 60.0
"""How long a promise may take to hold after the deletion (or a replay, or a restart)."""
BACKENDS = ("profile", "matching", "messaging", "notifications")
# The mail sink is the recipients' mailboxes, outside the system: what was sent stays
# sent. Logs are checked for contact details and message text only.
MAIL_FOLDER = "mail"
LOG_FOLDERS = ("logs",)
LOG_FILES = ("runner.out",)
# Rows that may keep the (pseudonymous) id after an erasure: the tombstone that keeps
# it erased, and fixed-window attempt counters (no personal data, gone with the window).
ID_TABLES_ALLOWED = {"erased_subjects", "rate_limits"}


# --- people ------------------------------------------------------------------------------


class Person:
    """Someone using the service through its public APIs."""

    def __init__(self, system: System, email: str, name: str) -> None:
        self.system, self.email, self.name = system, email, name
        self.client = httpx.Client(timeout=30)
        self.token = ""
        self.refresh_token = ""
        self.id = ""

    def call(
        self, method: str, service: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        bearer = self.token if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return self.client.request(
            method, self.system.url(service) + path, headers=headers, **kwargs
        )

    def sign_in(self) -> httpx.Response:
        return self.client.post(
            self.system.url("profile") + "/v1/auth/token",
            data={"username": self.email, "password": PASSWORD},
        )

    def register_and_verify(self) -> None:
        created = self.call(
            "POST",
            "profile",
            "/v1/accounts",
            json={"email": self.email, "password": PASSWORD, "display_name": self.name},
        )
        assert created.status_code == 201, created.text
        token = eventually(lambda: verification_token(self.system, self.email))
        verified = self.call("POST", "profile", "/v1/accounts/verify", json={"token": token})
        assert verified.status_code in (200, 204), verified.text
        signed_in = self.sign_in()
        assert signed_in.status_code == 200, signed_in.text
        self.token = signed_in.json()["access_token"]
        self.refresh_token = signed_in.json().get("refresh_token", "")
        self.id = self.call("GET", "profile", "/v1/profiles/me").json()["id"]

    def wait_until_indexed(self, version: int) -> None:
        eventually(
            lambda: (
                self.call("GET", "matching", "/v1/index/status", params={"profile_id": self.id})
                .json()
                .get("version")
                == version
            ),
            timeout=180,
        )


def settled(check: Callable[[], list[str]], since: float, timeout: float = SETTLE_S) -> list[str]:
    """Poll ``check`` (a list of problems) until it is empty or ``timeout`` after ``since``."""
    while True:
        problems = check()
        if not problems or time.monotonic() > since + timeout:
            return problems
        time.sleep(1.0)


def token_expiry(token: str) -> float:
    """The ``exp`` claim of a JWT (read, not verified: only to know it is still valid)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return float(claims["exp"])


# --- what is held, byte by byte and row by row -------------------------------------------


@dataclass
class Needles:
    """What must not remain of the erased person."""

    identity: dict[str, str]
    """Name parts, sign-in and contact email, phone forms: nowhere, logs included."""
    words: dict[str, str]
    """Their goals, free text, session place: nowhere but the logs (checked below)."""
    said: dict[str, str]
    """What they wrote to others (request and messages): nowhere, logs included."""

    def everywhere(self) -> dict[str, str]:
        return {**self.identity, **self.words, **self.said}

    def in_logs(self) -> dict[str, str]:
        contact = {k: v for k, v in self.identity.items() if not k.startswith("name")}
        return {**contact, **self.said}


def data_files(data_dir: Path) -> Iterator[tuple[Path, bool]]:
    """(file, is_log) for every file under the data folder but the mail sink's."""
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        relative = path.relative_to(data_dir)
        if relative.parts[0] == MAIL_FOLDER:
            continue
        is_log = relative.parts[0] in LOG_FOLDERS or str(relative) in LOG_FILES
        yield path, is_log


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection, closed at once after use (an open reader would keep a
    service from truncating its WAL)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def sqlite_tables_holding(path: Path, needle: str) -> list[str]:
    """Tables of a SQLite file with a live row holding ``needle`` (case-insensitive)."""
    hits = []
    with closing(read_only(path)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
            if not columns:
                continue
            condition = " OR ".join(f'CAST("{c}" AS TEXT) LIKE ?' for c in columns)
            count = db.execute(
                f'SELECT count(*) FROM "{table}" WHERE {condition}', [f"%{needle}%"] * len(columns)
            ).fetchone()[0]
            if count:
                hits.append(f"{table} ({count})")
    return hits


def sqlite_file_of(path: Path) -> Path | None:
    """The database a SQLite file (main, -wal, -shm, -journal) belongs to."""
    name = path.name
    for suffix in ("-wal", "-shm", "-journal"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    candidate = path.with_name(name)
    return candidate if candidate.suffix in (".sqlite3", ".sqlite", ".db") else None


def grep_data_folder(system: System, needles: Needles) -> list[str]:
    """Every file (and, for SQLite, where in it) that holds one of the needles."""
    problems = []
    for path, is_log in data_files(system.data_dir):
        wanted = needles.in_logs() if is_log else needles.everywhere()
        try:
            content = path.read_bytes().lower()
        except FileNotFoundError:
            continue  # a snapshot generation or journal replaced while we looked
        found = [label for label, needle in wanted.items() if needle.lower().encode() in content]
        if not found:
            continue
        where = ""
        database = sqlite_file_of(path)
        if database is not None and database.exists():
            rows = {label: sqlite_tables_holding(database, wanted[label]) for label in found}
            where = f" rows: {rows}" if any(rows.values()) else " (no live row: free pages or WAL)"
        problems.append(f"{path.relative_to(system.data_dir)}: {found}{where}")
    return problems


def outbox_row_allowed(payload: bytes | str | None) -> bool:
    """The deletion event itself, or a tombstone (no value) for the person's key."""
    if payload is None or len(payload) == 0:
        return True
    text = payload.decode(errors="replace") if isinstance(payload, bytes) else payload
    if text.strip() in ("null", ""):
        return True
    try:
        event = json.loads(text)
    except ValueError:
        return False
    return isinstance(event, dict) and event.get("type") == "profile.deleted"


def rows_naming_id(system: System, person_id: str) -> list[str]:
    """Store rows (every SQLite file) still holding the id, beyond what may keep it."""
    problems = []
    for path in sorted(system.data_dir.rglob("*.sqlite3")):
        with closing(read_only(path)) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                if table in ID_TABLES_ALLOWED:
                    continue
                columns = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
                condition = " OR ".join(f'CAST("{c}" AS TEXT) LIKE ?' for c in columns)
                rows = db.execute(
                    f'SELECT * FROM "{table}" WHERE {condition}', [f"%{person_id}%"] * len(columns)
                ).fetchall()
                if table == "outbox":
                    payload_at = columns.index("payload") if "payload" in columns else None
                    rows = [
                        r
                        for r in rows
                        if payload_at is None or not outbox_row_allowed(r[payload_at])
                    ]
                    described = [outbox_event_type(r, columns) for r in rows]
                    if rows:
                        problems.append(f"{path.name} outbox: {described}")
                elif rows:
                    problems.append(f"{path.name} {table}: {len(rows)} row(s)")
    return problems


def outbox_event_type(row: tuple[Any, ...], columns: list[str]) -> str:
    try:
        payload = row[columns.index("payload")]
        text = payload.decode() if isinstance(payload, bytes) else str(payload)
        return str(json.loads(text).get("type"))
    except (ValueError, AttributeError):
        return "?"


def other_files_naming_id(system: System, person_id: str) -> list[str]:
    """Files other than SQLite, logs and mail (index snapshots...) holding the id."""
    problems = []
    for path, is_log in data_files(system.data_dir):
        if is_log or sqlite_file_of(path) is not None:
            continue
        try:
            if person_id.encode() in path.read_bytes():
                problems.append(str(path.relative_to(system.data_dir)))
        except FileNotFoundError:
            continue
    return problems


# --- the system around the person --------------------------------------------------------


def readiness(system: System, service: str) -> tuple[int, dict[str, Any]]:
    try:
        response = httpx.get(system.url(service) + "/readyz", timeout=5)
    except httpx.HTTPError:
        return 0, {}
    return response.status_code, response.json()


def bus_figures(system: System) -> dict[str, Any] | None:
    """Every backend's outbox backlog and consumer progress; None while one is not ready."""
    figures: dict[str, Any] = {}
    for service in BACKENDS:
        status, body = readiness(system, service)
        if status != 200:
            return None
        checks = body.get("checks", {})
        groups = checks.get("consumers", {})
        figures[service] = {
            "unsent": checks.get("broker", {}).get("outbox_unsent"),
            "consumed": {
                group: (detail.get("lag"), detail.get("applied"), detail.get("duplicates"))
                for group, detail in groups.items()
                if isinstance(detail, dict)
            },
        }
    return figures


def quiet(figures: dict[str, Any] | None) -> bool:
    if figures is None:
        return False
    for service in figures.values():
        if service["unsent"]:
            return False
        if any(lag for lag, _, _ in service["consumed"].values()):
            return False
    return True


def wait_until_quiet(system: System, timeout: float = 120, calm_s: float = 3.0) -> None:
    """Every backend ready, nothing unsent, no lag, and no consumer moving for ``calm_s``."""
    deadline = time.monotonic() + timeout
    last, calm_since = None, time.monotonic()
    while time.monotonic() < deadline:
        figures = bus_figures(system)
        if figures != last or not quiet(figures):
            last, calm_since = figures, time.monotonic()
        elif time.monotonic() - calm_since >= calm_s:
            return
        time.sleep(0.5)
    raise AssertionError(f"the system did not settle in {timeout:.0f} s: {last}")


def relay_recoveries(system: System) -> dict[str, tuple[int, int]]:
    """(recoveries, published) of each backend's relay."""
    found = {}
    for service in BACKENDS:
        _, body = readiness(system, service)
        broker = body.get("checks", {}).get("broker", {})
        found[service] = (int(broker.get("recoveries") or 0), int(broker.get("published") or 0))
    return found


def partition_marks(system: System, service: str) -> int:
    """How many partitions a service's relay remembers writing to (its outbox marks)."""
    with closing(read_only(system.data_dir / f"{service}.sqlite3")) as db:
        return int(db.execute("SELECT count(*) FROM outbox_marks").fetchone()[0])


def broker_pid(port: int) -> int | None:
    """The process listening as the embedded broker on ``port`` (found by its command line)."""
    wanted = f"tcp://127.0.0.1:{port}"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if "broker" in words and "--listener-url" in words and wanted in words:
            return int(entry.name)
    return None


@dataclass
class BrokerRestarts:
    """Restarts the running system's embedded broker empty (kill, new one, same port)."""

    system: System
    replacements: list[EmbeddedBroker] = field(default_factory=list)

    def restart_empty(self) -> None:
        port = int(self.system.env["EMBEDDED_KAFKA_PORT"])
        if self.replacements:
            self.replacements[-1].restart_empty()
            return
        pid = broker_pid(port)
        assert pid is not None, f"no embedded broker found on port {port}"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while port_answers("127.0.0.1", port) and time.monotonic() < deadline:
            time.sleep(0.05)
        replacement = EmbeddedBroker(
            port=port, log_path=self.system.data_dir / "logs" / "broker.log"
        )
        replacement.start()
        self.replacements.append(replacement)

    def stop(self) -> None:
        for broker in self.replacements:
            broker.stop()


@pytest.fixture(scope="session")
def broker_restarts(running_system: System) -> Iterator[BrokerRestarts]:
    """Broker restarts on the session's system; a replacement broker lives until it stops."""
    restarts = BrokerRestarts(running_system)
    try:
        yield restarts
    finally:
        restarts.stop()


def replay_outbox(system: System, service: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mentor-match"), "replay-outbox", service],
        env={**system.env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- the scenario ------------------------------------------------------------------------


@dataclass
class Erased:
    """A mentee who deleted their account, the mentor they talked to, and what to look for."""

    system: System
    mentee: Person
    mentor: Person
    old_token: str
    old_refresh_token: str
    needles: Needles
    match_id: str
    conversation_id: str
    deleted_at: float
    """time.monotonic() when the deletion was answered."""


def distinctive(prefix: str, suffix: str) -> str:
    return f"{prefix}{suffix}"


@pytest.fixture(scope="module")
def erased(running_system: System) -> Erased:
    """The whole story up to the mentee's deletion (answered 204)."""
    system = running_system
    if system.mongodb_uri:
        pytest.skip("these checks read the SQLite files of the embedded system")
    sfx = "".join(random.choices(string.ascii_lowercase, k=6))
    first, last = distinctive("Zelphinora", sfx), distinctive("Quokkabridge", sfx)
    phone_tail = random.choice([n for n in range(200, 1000) if n != 123])
    phone = f"07700 900{phone_tail:03d}"
    needles = Needles(
        identity={
            "name_first": first,
            "name_last": last,
            "email": f"zanzibar.{sfx}@dwp.gov.uk",
            "contact_email": f"quokka.contact.{sfx}@dwp.gov.uk",
            "phone": f"7700900{phone_tail:03d}",
            "phone_as_typed": f"7700 900{phone_tail:03d}",
        },
        words={
            "goal_1": distinctive("zanzibarquokka", sfx),
            "goal_2": distinctive("florblenwick", sfx),
            "goals_text": distinctive("snorfelgrist", sfx),
            "session_place": distinctive("trundlewhisk", sfx),
            "session_note": distinctive("marzipantle", sfx),
            "checkin_comment": distinctive("gobbledyquill", sfx),
        },
        said={
            "request_message": distinctive("plumbixity", sfx),
            "message_1": distinctive("wobblecrantz", sfx),
            "message_2": distinctive("grizzlefenn", sfx),
            "plan_action": distinctive("crumblewort", sfx),
        },
    )
    words, said = needles.words, needles.said
    mentor_sfx = "".join(random.choices(string.ascii_lowercase, k=6))
    mentor = Person(
        system, f"hollis.mentor.{mentor_sfx}@justice.gov.uk", f"Hollis Brackwater{mentor_sfx}"
    )
    mentee = Person(system, needles.identity["email"], f"{first} {last}")
    for person in (mentor, mentee):
        person.register_and_verify()

    updated = mentor.call(
        "PUT",
        "profile",
        "/v1/profiles/me",
        json={
            "department": "moj",
            "profession": "policy",
            "grade": "G6",
            "region": "london",
            "roles": {"mentor": True},
            "capacity": 3,
            "accepting_requests": True,
            "expertise": ["negotiating with suppliers", "running large programmes"],
            "experience_text": "Fifteen years of commercial and programme leadership.",
            "contact": {"email": f"hollis.{mentor_sfx}@justice.gov.uk"},
        },
    )
    assert updated.status_code == 200, updated.text
    mentor_version = updated.json()["version"]
    updated = mentee.call(
        "PUT",
        "profile",
        "/v1/profiles/me",
        json={
            "department": "dwp",
            "profession": "policy",
            "grade": "SEO",
            "region": "london",
            "roles": {"mentee": True},
            "goals": [
                f"mastering {words['goal_1']} negotiations",
                f"leading {words['goal_2']} programmes",
            ],
            "goals_text": f"I want to grow my {words['goals_text']} skills with suppliers.",
            "contact": {"email": needles.identity["contact_email"], "phone": phone},
        },
    )
    assert updated.status_code == 200, updated.text
    mentee_version = updated.json()["version"]
    mentor.wait_until_indexed(mentor_version)
    mentee.wait_until_indexed(mentee_version)

    requested = mentee.call(
        "POST",
        "matching",
        "/v1/matches",
        json={
            "mentor_id": mentor.id,
            "message": f"Hello, could we talk about {said['request_message']} one day?",
        },
    )
    assert requested.status_code == 201, requested.text
    match_id = requested.json()["id"]
    eventually(lambda: mentor.call("GET", "notifications", "/v1/notifications").json()["items"])
    accepted = mentor.call("POST", "matching", f"/v1/matches/{match_id}/accept")
    assert accepted.status_code == 200, accepted.text

    conversation_id = eventually(
        lambda: next(
            (
                c["id"]
                for c in mentee.call("GET", "messaging", "/v1/conversations").json()["items"]
                if c["match_id"] == match_id and c["status"] == "active"
            ),
            None,
        )
    )
    messages = f"/v1/conversations/{conversation_id}/messages"
    for author, body in (
        (mentor, "Welcome, happy to help; when suits you?"),
        (mentee, f"Thank you, the {said['message_1']} question first please."),
        (mentor, "Good, let us start there."),
        (mentee, f"Also {said['message_2']} if there is time."),
    ):
        sent = author.call("POST", "messaging", messages, json={"body": body})
        assert sent.status_code == 201, sent.text
    proposed = mentee.call(
        "POST",
        "messaging",
        f"/v1/conversations/{conversation_id}/sessions",
        json={
            "starts_at": "2031-03-04T10:00:00Z",
            "duration_minutes": 60,
            "location": f"Cafe {words['session_place']}, Petty France",
        },
    )
    assert proposed.status_code == 201, proposed.text
    # The shared plan (goals prefilled from the profile) and private session notes.
    plan = f"/v1/conversations/{conversation_id}/plan"
    read_plan = mentee.call("GET", "messaging", plan)
    assert read_plan.status_code == 200, read_plan.text
    saved_plan = mentee.call(
        "PUT",
        "messaging",
        plan,
        json={
            "version": read_plan.json()["version"],
            "goals": read_plan.json()["goals"],
            "actions": [{"text": f"Read up on {said['plan_action']}", "owner": "mentee"}],
        },
    )
    assert saved_plan.status_code == 200, saved_plan.text
    noted = mentee.call(
        "PUT",
        "messaging",
        f"/v1/conversations/{conversation_id}/sessions/{proposed.json()['id']}/notes",
        json={"body": f"Remember {words['session_note']}"},
    )
    assert noted.status_code == 200, noted.text
    # Three confirmed sessions: both are asked how it is going; the mentee answers.
    sessions = f"/v1/conversations/{conversation_id}/sessions"
    series = mentee.call(
        "POST",
        "messaging",
        f"{sessions}/series",
        json={"starts_at": "2031-04-01T10:00:00Z", "location": "Online"},
    )
    assert series.status_code == 201, series.text
    for planned in series.json()["items"][:3]:
        confirmed = mentor.call("POST", "messaging", f"{sessions}/{planned['id']}/accept")
        assert confirmed.status_code == 200, confirmed.text
    checkin = eventually(lambda: mentee.call("GET", "notifications", "/v1/checkins").json())[0]
    answered = mentee.call(
        "POST",
        "notifications",
        f"/v1/checkins/{checkin['id']}",
        json={"rating": 3, "comment": f"Fine, {words['checkin_comment']}"},
    )
    assert answered.status_code == 200, answered.text
    preferences = mentee.call(
        "PUT", "notifications", "/v1/preferences", json={"daily_digest": True}
    )
    assert preferences.status_code == 200, preferences.text

    # Both were told in the app and by email (more than the verification email each).
    for person in (mentor, mentee):
        eventually(
            lambda p=person: p.call("GET", "notifications", "/v1/notifications").json()["items"]
        )
        eventually(lambda p=person: len(emails_to(system, p.email)) >= 2)

    # A fresh sign-in: the old token the checks use is valid for its whole lifetime.
    signed_in = mentee.sign_in()
    assert signed_in.status_code == 200, signed_in.text
    old_token = signed_in.json()["access_token"]
    old_refresh = signed_in.json().get("refresh_token", "")
    mentee.token = old_token

    deleted = mentee.call("DELETE", "profile", "/v1/profiles/me", json={"password": PASSWORD})
    assert deleted.status_code == 204, deleted.text
    return Erased(
        system=system,
        mentee=mentee,
        mentor=mentor,
        old_token=old_token,
        old_refresh_token=old_refresh,
        needles=needles,
        match_id=match_id,
        conversation_id=conversation_id,
        deleted_at=time.monotonic(),
    )


# --- the checks, each also run again after a replay and after a broker restart ------------


def old_token_reads(erased: Erased) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Representative reads of every backend: (service, method, path, request kwargs)."""
    conversation = f"/v1/conversations/{erased.conversation_id}"
    return [
        ("profile", "GET", "/v1/profiles/me", {}),
        ("profile", "GET", "/v1/profiles/me/export", {}),
        ("profile", "GET", "/v1/me/export", {}),
        ("profile", "GET", "/v1/profiles", {"params": {"q": "Hollis"}}),
        ("profile", "GET", f"/v1/profiles/{erased.mentor.id}", {}),
        ("profile", "GET", f"/v1/profiles/{erased.mentor.id}/contact", {}),
        ("matching", "GET", "/v1/matches", {}),
        ("matching", "GET", "/v1/suggestions", {"params": {"role": "mentor"}}),
        ("matching", "POST", "/v1/search", {"json": {"text": "programmes", "role": "mentor"}}),
        ("matching", "GET", "/v1/index/status", {"params": {"profile_id": erased.mentee.id}}),
        ("matching", "GET", "/v1/me/export/matching", {}),
        ("messaging", "GET", "/v1/conversations", {}),
        ("messaging", "GET", f"{conversation}/messages", {}),
        ("messaging", "GET", f"{conversation}/sessions", {}),
        ("messaging", "GET", "/v1/me/export/messaging", {}),
        ("notifications", "GET", "/v1/notifications", {}),
        ("notifications", "GET", "/v1/preferences", {}),
        ("notifications", "GET", "/v1/me/export/notifications", {}),
    ]


def old_token_writes(erased: Erased) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Writes with the old token: each must be refused and create nothing."""
    conversation = f"/v1/conversations/{erased.conversation_id}"
    return [
        ("notifications", "PUT", "/v1/preferences", {"json": {"daily_digest": False}}),
        ("profile", "PUT", "/v1/profiles/me", {"json": {"goals_text": "back again"}}),
        (
            "matching",
            "POST",
            "/v1/matches",
            {"json": {"mentor_id": erased.mentor.id, "message": "back again"}},
        ),
        ("messaging", "POST", f"{conversation}/messages", {"json": {"body": "back again"}}),
        (
            "messaging",
            "POST",
            f"{conversation}/sessions",
            {
                "json": {
                    "starts_at": "2031-05-06T10:00:00Z",
                    "duration_minutes": 60,
                    "location": "back again",
                }
            },
        ),
    ]


def not_refused(erased: Erased, calls: list[tuple[str, str, str, dict[str, Any]]]) -> list[str]:
    """Calls with the old access token that were not refused 401 in the documented shape."""
    problems = []
    for service, method, path, kwargs in calls:
        response = erased.mentee.call(method, service, path, token=erased.old_token, **kwargs)
        refused = response.status_code == 401
        if refused:
            try:
                refused = "code" in response.json()["error"]
            except (ValueError, KeyError, TypeError):
                refused = False
        if not refused:
            problems.append(f"{service} {method} {path} -> {response.status_code}")
    return problems


def assert_token_still_unexpired(erased: Erased) -> None:
    left = token_expiry(erased.old_token) - time.time()
    assert left > 5, "the old token expired before the check: the 401s prove nothing"


def export_mentions(erased: Erased) -> list[str]:
    """The mentor's exports (every service's) that name the mentee, and what they hold."""
    mentor, needles = erased.mentor, erased.needles
    sought = {"id": erased.mentee.id, **needles.everywhere()}
    problems = []
    for service, path in (
        ("profile", "/v1/profiles/me/export"),
        ("profile", "/v1/me/export"),
        ("matching", "/v1/me/export/matching"),
        ("messaging", "/v1/me/export/messaging"),
        ("notifications", "/v1/me/export/notifications"),
    ):
        response = mentor.call("GET", service, path)
        if response.status_code != 200:
            problems.append(f"{service} {path} -> {response.status_code}")
            continue
        text = response.text.lower()
        found = [label for label, needle in sought.items() if needle.lower() in text]
        if found:
            problems.append(f"{service} {path} holds the mentee's {found}")
    return problems


def everything_left(erased: Erased) -> list[str]:
    """Every trace the checks below look for, in one list (for the re-checks)."""
    return (
        [f"file {p}" for p in grep_data_folder(erased.system, erased.needles)]
        + [f"row {p}" for p in rows_naming_id(erased.system, erased.mentee.id)]
        + [f"file {p}" for p in other_files_naming_id(erased.system, erased.mentee.id)]
        + [f"export {p}" for p in export_mentions(erased)]
        + [f"token {p}" for p in not_refused(erased, old_token_reads(erased))]
    )


def test_every_service_refuses_the_old_token(erased: Erased) -> None:
    problems = settled(lambda: not_refused(erased, old_token_reads(erased)), erased.deleted_at)
    assert_token_still_unexpired(erased)
    # Once each (repeated sign-ins would meet the sign-in limits instead).
    signed_in = erased.mentee.sign_in()
    if signed_in.status_code != 401:
        problems.append(f"sign-in with the password -> {signed_in.status_code}")
    if erased.old_refresh_token:
        refreshed = erased.mentee.client.post(
            erased.system.url("profile") + "/v1/auth/refresh",
            json={"refresh_token": erased.old_refresh_token},
        )
        if refreshed.status_code != 401:
            problems.append(f"refresh with the old refresh token -> {refreshed.status_code}")
    assert not problems, f"the erased mentee's unexpired token still works: {problems}"


def test_writes_with_the_old_token_are_refused_and_recreate_nothing(erased: Erased) -> None:
    # Once reads are refused (or their minute is up), each write is tried once.
    settled(lambda: not_refused(erased, old_token_reads(erased)), erased.deleted_at)
    accepted = not_refused(erased, old_token_writes(erased))
    assert_token_still_unexpired(erased)
    preferences = [p for p in rows_naming_id(erased.system, erased.mentee.id) if "preference" in p]
    problems = [f"not refused: {a}" for a in accepted] + [f"recreated: {p}" for p in preferences]
    assert not problems, f"writes with the erased mentee's token: {problems}"


def test_the_mentors_exports_do_not_name_the_mentee(erased: Erased) -> None:
    problems = settled(lambda: export_mentions(erased), erased.deleted_at)
    assert not problems, problems


def test_no_file_under_the_data_folder_holds_the_mentee(erased: Erased) -> None:
    problems = settled(lambda: grep_data_folder(erased.system, erased.needles), erased.deleted_at)
    assert not problems, "the erased mentee is still in these files:\n" + "\n".join(problems)


def test_no_store_row_or_snapshot_holds_the_mentees_id(erased: Erased) -> None:
    mentee_id = erased.mentee.id
    problems = settled(
        lambda: (
            rows_naming_id(erased.system, mentee_id)
            + other_files_naming_id(erased.system, mentee_id)
        ),
        erased.deleted_at,
    )
    assert not problems, f"the erased mentee's id {mentee_id} is still held: {problems}"


def test_replaying_every_outbox_brings_nothing_back(erased: Erased) -> None:
    # Whatever the checks above found, the replay must not add to it: compare after.
    for service in BACKENDS:
        replayed = replay_outbox(erased.system, service)
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    replayed_at = time.monotonic()
    wait_until_quiet(erased.system)
    problems = settled(lambda: everything_left(erased), replayed_at)
    assert_token_still_unexpired(erased)
    assert not problems, "after every outbox was replayed:\n" + "\n".join(problems)


def test_a_broker_restarted_empty_brings_nothing_back(
    erased: Erased, broker_restarts: BrokerRestarts
) -> None:
    system = erased.system
    wait_until_quiet(system)
    before = relay_recoveries(system)
    marks = {s: partition_marks(system, s) for s in BACKENDS}
    broker_restarts.restart_empty()
    restarted_at = time.monotonic()
    # Every relay with a record of what the broker held finds the loss and
    # re-publishes what it retains (one that keeps nothing has nothing to recover).
    expecting = {s for s, (_, published) in before.items() if published and marks[s]}
    deadline = time.monotonic() + 120
    while True:
        now = relay_recoveries(system)
        unrecovered = sorted(s for s in expecting if now[s][0] <= before[s][0])
        if not unrecovered or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    wait_until_quiet(system)
    problems = settled(lambda: everything_left(erased), restarted_at)
    assert_token_still_unexpired(erased)
    problems += [f"{s}: no recovery after the broker restart ({before[s]})" for s in unrecovered]
    assert not problems, "after the broker restarted empty:\n" + "\n".join(problems)
