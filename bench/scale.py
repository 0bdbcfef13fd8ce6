"""The whole system at 50,000 people: import rate, indexing time, memory, suggestions.

Starts the system as ``make run`` starts it (the ops runner: embedded broker, mail
sink, the four services and the web frontend, demo data on) in a fresh data folder
on its own ports, then:

1. imports ``--coaches`` coaches through ``POST /v1/admin/import`` as CSV, in chunks
   of 5,000 rows (within the endpoint's 10,000 rows and 5 MB), and measures rows per second;
2. polls ``GET /v1/index/status`` until every imported coach is indexed (and the
   consumer lag is 0), timing from the first row sent;
3. sends the import's claim invitations as an administrator would
   (``POST /v1/admin/imports/{id}/invitations``; they go out at
   ``CLAIM_INVITATIONS_PER_MINUTE``), signs a new person up just after, and times
   their confirmation email reaching the mail sink while the invitations are pending;
4. samples the RSS of every process (broker, services, web, and this process, which
   hosts the mail sink) every two seconds, and reports the peak and the figures once
   everything is indexed; the target counts the stack it names (broker, four services,
   web), and the totals with this process are reported beside it;
5. measures ``GET /v1/suggestions`` (role coach, over HTTP) p50/p99 as a demo mentee.

Prints JSON. Takes several minutes at 50,000; run it alone and ``nice``d:
``nice -n 10 python bench/scale.py``. ``--coaches 2000`` is a quick smoke run.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from mentor_match_ops import runner

CHUNK_ROWS = 5_000
"""``POST /v1/admin/import`` takes at most 10,000 rows and 5 MB per file; these rows
(long approach texts) make 10,000 of them 5.4 MB, so files of 5,000."""
EVAL_SET = Path(__file__).parent / "data" / "eval_form_dev.json"
GIB = 2**30
TARGET_RSS_BYTES = int(1.5 * GIB)
TARGET_INDEXED_S = 300.0
EMAIL_DOMAIN = "cabinetoffice.gov.uk"


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_CLOSING_MARKS = re.compile(r"[.!?]*$")


def coach_rows(count: int, seed: int = 7, *, distinct: bool = False) -> Iterator[list[str]]:
    """Coach rows: texts mixed from the evaluation set's 300 mentors, codes from the lists.

    The approach texts repeat those mentors' sentences, so a batch of rows shares many
    phrases and the model sees each once. With ``distinct`` every sentence of a row
    gets that row's own detail (a team number and a year), as real coaches' texts have
    no sentence in common.
    """
    from profile_service.domain.reference import default_reference_data

    reference = default_reference_data()
    codes = {
        kind: reference.codes(kind) for kind in ("departments", "professions", "grades", "regions")
    }
    mentors = json.loads(EVAL_SET.read_text())["mentors"]
    rng = random.Random(seed)
    phrases = sorted({item for m in mentors for item in m["expertise"]})
    for index in range(count):
        base = rng.choice(mentors)
        other = rng.choice(mentors)
        expertise = rng.sample(phrases, 3)
        approach = f"{base['expertise_text']} {other['experience_text']}"[:900]
        if distinct:
            # Before every sentence's end (whatever its punctuation, or none where the
            # text was cut), so no sentence is shared with another row.
            detail = f" with team {index} since {1990 + index % 35}"
            approach = " ".join(
                _CLOSING_MARKS.sub(lambda marks, detail=detail: detail + marks[0], sentence, 1)
                for sentence in _SENTENCE_BREAK.split(approach)
            )
        yield [
            f"Scale Coach {index:05d}",
            f"scale.coach.{index:05d}@{EMAIL_DOMAIN}",
            rng.choice(codes["departments"]),
            rng.choice(codes["professions"]),
            rng.choice(codes["grades"]),
            rng.choice(codes["regions"]),
            ";".join(expertise),
            approach,
            str(rng.randint(1, 5)),
        ]


def csv_chunk(rows: list[list[str]]) -> bytes:
    """One import file."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "name",
            "email",
            "department",
            "profession",
            "grade",
            "region",
            "expertise",
            "approach",
            "capacity",
        ]
    )
    writer.writerows(rows)
    return out.getvalue().encode()


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


DEV_TOOLS = "runner_and_mail_sink"
"""This process: the ``make run`` runner with its mail sink (and the bench's own client).
Development tooling, not part of the stack the target names (broker, four services,
web): production runs the services under compose or Kubernetes and sends mail through
the department's SMTP relay."""


def _name(pid: int, services: dict[int, str]) -> str:
    if pid == os.getpid():
        return DEV_TOOLS
    if pid in services:
        return services[pid]
    try:
        command = (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return f"pid {pid}"
    text = command.decode(errors="replace")
    return "broker" if "tansu" in text or "broker" in text else text[:60]


def rss_by_process(services: dict[int, str]) -> dict[str, int]:
    """Resident memory (bytes) of this process and every process it started."""
    sizes: dict[str, int] = {}
    for pid in _descendants(os.getpid()):
        try:
            status = (Path("/proc") / str(pid) / "status").read_text()
        except OSError:
            continue
        line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), None)
        if line is None:
            continue
        name = _name(pid, services)
        sizes[name] = sizes.get(name, 0) + int(line.split()[1]) * 1024
    return sizes


def stack_total(sizes: dict[str, int]) -> int:
    """RSS of the stack the target names: every process but the development tooling."""
    return sum(size for name, size in sizes.items() if name != DEV_TOOLS)


class RssSampler(threading.Thread):
    """Samples every process's RSS and keeps the peaks of the stack and of everything."""

    def __init__(self, services: dict[int, str], interval_s: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.services = services
        self.interval_s = interval_s
        self.peak_total = 0
        self.peak_stack = 0
        self.peak: dict[str, int] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            sizes = rss_by_process(self.services)
            self.peak_stack = max(self.peak_stack, stack_total(sizes))
            total = sum(sizes.values())
            if total > self.peak_total:
                self.peak_total, self.peak = total, sizes
            self.stopping.wait(self.interval_s)


def _mib(sizes: dict[str, int]) -> dict[str, float]:
    return {name: round(size / 2**20, 1) for name, size in sorted(sizes.items())}


def index_lag_figures(exposition: str) -> dict[str, float]:
    """The index lag gauges from matching's ``/metrics`` text (absent ones as -1)."""
    wanted = {"mentor_index_lag_seconds": -1.0, "mentor_index_pending_events": -1.0}
    for line in exposition.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            wanted[name] = float(value)
    return wanted


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _token(client: httpx.Client, profile: str, email: str, password: str) -> str:
    response = client.post(
        f"{profile}/v1/auth/token", data={"username": email, "password": password}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


class Admin:
    """The administrator's bearer header, signed in again before the token expires
    (access tokens last 15 minutes; a 50,000-row import on a busy machine takes longer)."""

    def __init__(self, client: httpx.Client, profile: str, email: str, password: str) -> None:
        self.client, self.profile, self.email, self.password = client, profile, email, password
        self.signed_in = 0.0
        self.token = ""

    def headers(self) -> dict[str, str]:
        """A header with a token at most ten minutes old."""
        if not self.token or time.monotonic() - self.signed_in > 600:
            self.token = _token(self.client, self.profile, self.email, self.password)
            self.signed_in = time.monotonic()
        return {"Authorization": f"Bearer {self.token}"}


def _wait_for_email(folder: Path, address: str, timeout_s: float) -> float | None:
    """Seconds until an email to ``address`` is in the sink's folder (None: timed out)."""
    started = time.perf_counter()
    seen: set[str] = set()
    needle = address.encode()
    while time.perf_counter() - started < timeout_s:
        for path in folder.glob("*.eml"):
            if path.name in seen:
                continue
            seen.add(path.name)
            try:
                if needle in path.read_bytes():
                    return time.perf_counter() - started
            except OSError:
                continue
        time.sleep(0.5)
    return None


def measure(
    settings: runner.RunnerSettings,
    services: list[runner.ServiceProcess],
    args: argparse.Namespace,
    report: dict[str, Any],
) -> None:
    """Run the measurements against the running system, filling ``report`` as it goes."""
    from mentor_match_ops.demo.people import demo_people
    from profile_service.settings import DEMO_DEFAULT_PASSWORD

    urls = {s.name: s.url for s in services}
    names = {s.pid: s.name for s in services if s.pid is not None}
    report["coaches"] = args.coaches
    report["rss_mib_at_start"] = _mib(rss_by_process(names))
    sampler = RssSampler(names)
    sampler.start()
    admin_email, admin_password, _ = runner.admin_credentials(settings)
    client = httpx.Client(timeout=600)
    admin = Admin(client, urls["profile"], admin_email, admin_password)
    status_url = f"{urls['matching']}/v1/index/status"
    before = client.get(status_url, headers=admin.headers()).json()["profiles"]

    # One file's rows at a time: the runner shares this process, and its RSS is
    # reported ("runner_and_mail_sink"), so 50,000 rows held here (~80 MiB) would be
    # counted as the system's memory.
    rows = coach_rows(args.coaches, distinct=args.distinct_texts)
    started = time.perf_counter()
    created = 0
    chunk_seconds = []
    import_ids: list[str] = []
    for start in range(0, args.coaches, CHUNK_ROWS):
        chunk = csv_chunk(list(itertools.islice(rows, CHUNK_ROWS)))
        chunk_started = time.perf_counter()
        if start == 0:
            started = chunk_started  # the first row's upload: indexing is timed from here
        response = client.post(
            f"{urls['profile']}/v1/admin/import",
            files={"file": ("coaches.csv", chunk, "text/csv")},
            headers=admin.headers(),
        )
        if response.status_code != 200:
            raise RuntimeError(f"import refused: {response.status_code} {response.text[:500]}")
        created += int(response.json()["created"])
        if response.json().get("import_id"):
            import_ids.append(response.json()["import_id"])
        chunk_seconds.append(time.perf_counter() - chunk_started)
        print(f"imported {start + CHUNK_ROWS} rows", file=sys.stderr)
    # The uploads only: generating the rows is the bench's work, not the import's.
    imported_s = sum(chunk_seconds)
    report["import"] = {
        "created": created,
        "seconds": round(imported_s, 1),
        "rows_per_s": round(args.coaches / imported_s, 1),
        "chunk_seconds": [round(seconds, 1) for seconds in chunk_seconds],
    }

    # The administrator sends the invitations; a person signs up just after, while
    # the invitations are pending.
    for import_id in import_ids:
        sent = client.post(
            f"{urls['profile']}/v1/admin/imports/{import_id}/invitations",
            headers=admin.headers(),
        )
        if sent.status_code != 202:
            raise RuntimeError(f"invitations refused: {sent.status_code} {sent.text[:300]}")
    signup = f"scale.signup.{uuid.uuid4().hex[:8]}@{EMAIL_DOMAIN}"
    mail_result: dict[str, Any] = {}

    def signup_email() -> None:
        # Later than at once: the import's profile events are then flowing through
        # the relay and the notifications consumer.
        time.sleep(args.signup_delay)
        response = httpx.post(
            f"{urls['profile']}/v1/accounts",
            json={"email": signup, "password": "plum kettle orbit lantern", "display_name": "New"},
            timeout=60,
        )
        mail_result["status"] = response.status_code
        mail_result["seconds"] = _wait_for_email(
            settings.data_dir / "mail", signup, args.email_timeout
        )
        mail_result["claim_emails_by_then"] = sum(
            1 for _ in (settings.data_dir / "mail").glob("*.eml")
        )

    mail_thread = threading.Thread(target=signup_email, daemon=True)
    mail_thread.start()

    target = before + args.coaches
    status: dict[str, Any] = {}
    progress: list[tuple[float, int]] = []
    lag_samples: list[tuple[float, float, float]] = []
    while time.perf_counter() - started < args.index_timeout:
        answer = client.get(status_url, headers=admin.headers())
        if answer.status_code != 200:
            raise RuntimeError(f"index status: {answer.status_code} {answer.text[:300]}")
        status = answer.json()
        elapsed = round(time.perf_counter() - started, 1)
        if not progress or elapsed - progress[-1][0] >= 60:
            progress.append((elapsed, int(status["profiles"])))
            report["indexing_progress"] = progress
        figures = index_lag_figures(client.get(f"{urls['matching']}/metrics").text)
        lag_samples.append(
            (elapsed, figures["mentor_index_lag_seconds"], figures["mentor_index_pending_events"])
        )
        if status["profiles"] >= target and status["lag"] == 0:
            break
        time.sleep(1.0)
    indexed_s = time.perf_counter() - started
    report["indexing"] = {
        "profiles": status.get("profiles"),
        "expected": target,
        "seconds_from_first_row": round(indexed_s, 1),
        "complete": status.get("profiles", 0) >= target,
    }
    # What an operator's dashboard showed meanwhile (matching's /metrics, every second).
    report["index_lag_metrics"] = {
        "peak_lag_seconds": max((sample[1] for sample in lag_samples), default=None),
        "peak_pending_events": max((sample[2] for sample in lag_samples), default=None),
        "lag_seconds_when_indexed": lag_samples[-1][1] if lag_samples else None,
        "samples": len(lag_samples),
    }
    report["rss_mib_when_indexed"] = _mib(rss_by_process(names))

    mentee = next(
        p for p in demo_people(int(os.environ.get("DEMO_COUNT", "300"))) if p.profile.roles.mentee
    )
    headers = {
        "Authorization": f"Bearer {_token(client, urls['profile'], mentee.email, DEMO_DEFAULT_PASSWORD)}"
    }
    latencies = {}
    for role in ("coach", "mentor"):
        times = []
        for number in range(args.queries + 5):
            request_started = time.perf_counter()
            response = client.get(
                f"{urls['matching']}/v1/suggestions", params={"role": role}, headers=headers
            )
            elapsed = (time.perf_counter() - request_started) * 1000
            response.raise_for_status()
            if number >= 5:  # the first few warm caches up
                times.append(elapsed)
        latencies[role] = {
            "p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(percentile(times, 0.99), 1),
            "results": len(response.json()),
        }
    report["suggestions"] = latencies

    mail_thread.join(timeout=args.email_timeout + 60)
    invitations = [
        client.get(
            f"{urls['profile']}/v1/admin/imports/{import_id}", headers=admin.headers()
        ).json()["invitations"]
        for import_id in import_ids
    ]
    report["signup_confirmation_email"] = {
        "register_status": mail_result.get("status"),
        "seconds": None if mail_result.get("seconds") is None else round(mail_result["seconds"], 1),
        "emails_in_sink_when_it_arrived": mail_result.get("claim_emails_by_then"),
        "emails_in_sink": sum(1 for _ in (settings.data_dir / "mail").glob("*.eml")),
        "invitations_sent_at_end": sum(int(i["sent"]) for i in invitations),
        "invitations_still_queued_at_end": sum(int(i["queued"]) for i in invitations),
    }
    sampler.stopping.set()
    sampler.join()
    report["rss_mib_peak"] = _mib(sampler.peak)
    total_when_indexed = sum(report["rss_mib_when_indexed"].values())
    stack_when_indexed = total_when_indexed - report["rss_mib_when_indexed"].get(DEV_TOOLS, 0)
    report["targets"] = {
        "rss_stack_mib_when_indexed": round(stack_when_indexed, 1),
        "rss_stack_mib_peak": round(sampler.peak_stack / 2**20, 1),
        "rss_with_dev_tools_mib_when_indexed": round(total_when_indexed, 1),
        "rss_with_dev_tools_mib_peak": round(sampler.peak_total / 2**20, 1),
        "rss_target_mib": TARGET_RSS_BYTES // 2**20,
        "rss_met_when_indexed": stack_when_indexed * 2**20 < TARGET_RSS_BYTES,
        "rss_met_at_peak": sampler.peak_stack < TARGET_RSS_BYTES,
        "indexed_target_s": TARGET_INDEXED_S,
        "indexed_met": report["indexing"]["complete"] and indexed_s < TARGET_INDEXED_S,
    }


def main() -> int:
    """Start the system, measure, stop it, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coaches", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200, help="suggestion requests per role")
    parser.add_argument("--port-base", type=int, default=18_000)
    parser.add_argument("--index-timeout", type=float, default=1800.0)
    parser.add_argument("--email-timeout", type=float, default=900.0)
    parser.add_argument(
        "--signup-delay", type=float, default=0.0, help="seconds after the import to sign up"
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="default: a temp folder")
    parser.add_argument(
        "--distinct-texts",
        action="store_true",
        help="no approach sentence shared between coaches (as in a real import)",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="mentor-match-scale-"))
    base = args.port_base
    os.environ.update(
        {
            "DATA_DIR": str(data_dir),
            "WEB_PORT": str(base),
            "PROFILE_PORT": str(base + 1),
            "MATCHING_PORT": str(base + 2),
            "MESSAGING_PORT": str(base + 3),
            "NOTIFICATIONS_PORT": str(base + 4),
            "EMBEDDED_KAFKA_PORT": str(base + 92),
            "SMTP_PORT": str(base + 25),
        }
    )
    os.environ.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    os.environ.pop("SMTP_HOST", None)
    settings = runner.RunnerSettings()
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "data_dir": str(data_dir)}

    def on_ready(services: list[runner.ServiceProcess]) -> None:
        try:
            measure(settings, services, args, report)
        except Exception as problem:  # noqa: BLE001 - reported in the JSON, then stop
            report["error"] = f"{type(problem).__name__}: {problem}"
        raise runner.Stop("measured")

    started = time.perf_counter()
    code = runner.run(settings, on_ready=on_ready)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 1 if code or "error" in report else 0


if __name__ == "__main__":
    raise SystemExit(main())
