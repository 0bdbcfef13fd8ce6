"""Faults the whole system must survive, each service its own process on the real broker.

1. The broker killed and restarted empty during 2,000 profile updates.
2. The matching service killed (SIGKILL) mid-stream and restarted.
3. The notifications service killed (SIGKILL) during a burst of 500 requests.

Each test prints its figures as one JSON line (``pytest -s`` shows it) and records
it as the ``figures`` property of the test report. docs/operations.md, "Fault
tests", says what each one proves.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from mentor_match_ops.demo.people import write_people_file
from mentor_match_ops.runner import ServiceProcess
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import (
    AccountRegistered,
    MatchRequested,
    ProfileDeleted,
    ProfileUpserted,
    Roles,
)
from mentor_shared.testing.broker import EmbeddedBroker
from tests.e2e.fault_harness import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    FaultSystem,
    Produced,
    consumer_figures,
    eventually,
    fault_system,
    log_events,
    produce,
    readiness,
)
from tests.notifications.conftest import SmtpSink

# Generous: two cores shared with other work can make one test take minutes.
pytestmark = [pytest.mark.broker, pytest.mark.slow, pytest.mark.timeout(600)]

MATCHING_GROUP = "matching-index"
NOTIFICATIONS_GROUP = "notifications"
# The hashing embedder: these faults are about delivery and index bookkeeping, and
# the real model would spend the whole time budget embedding on two cores.
MATCHING_ENV = {"EMBEDDER": "hashing", "SNAPSHOT_INTERVAL_S": "1"}

Record = Callable[[str, object], None]


@pytest.fixture
def system(fresh_broker: EmbeddedBroker, tmp_path: Path) -> Iterator[FaultSystem]:
    """Services the test starts as processes; all stopped afterwards, pass or fail."""
    with fault_system(fresh_broker, tmp_path) as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server (aiosmtpd) keeping every message it accepts."""
    server = SmtpSink()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def report(record_property: Record, name: str, figures: dict[str, Any]) -> None:
    """Print the figures as one JSON line and attach them to the test report."""
    line = json.dumps({"test": name, **figures})
    print(f"\nFIGURES {line}")
    record_property("figures", line)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def indexed_versions(
    matching: ServiceProcess,
    headers: dict[str, str],
    expected: dict[str, int | None],
    *,
    timeout: float,
) -> dict[str, int | None]:
    """Poll ``GET /v1/index/status?profile_id=`` until every profile is at its
    expected version (None: not indexed); returns those that never got there."""
    waiting = dict(expected)
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=matching.url, headers=headers, timeout=30) as client:
        while waiting and time.monotonic() < deadline:
            for profile_id, version in list(waiting.items()):
                held = client.get("/v1/index/status", params={"profile_id": profile_id})
                if held.status_code == 200 and held.json()["version"] == version:
                    del waiting[profile_id]
            if waiting:
                time.sleep(0.5)
    return waiting


# --- 1. the broker killed and restarted empty during 2,000 profile updates ------------

ACCOUNTS = 200
ROUNDS = 10  # 200 people x 10 updates = 2,000 updates
FINISHED_EARLY = 80  # people whose last two updates reach only the broker that dies
DEMO_PASSWORD = "fault test demo passphrase"


def offer_phrase(index: int, round_: int) -> str:
    return f"casework topic{index}x{round_} method{index}y{round_}"


def goal_phrase(index: int, round_: int) -> str:
    return f"learning aim{index}p{round_} craft{index}q{round_}"


def sign_in(base_url: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{base_url}/v1/auth/token", data={"username": email, "password": password}, timeout=60
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def snapshot_vectors(index_dir: Path) -> dict[str, dict[str, int]]:
    """What each FAISS index of the current snapshot physically holds."""
    import faiss

    current = json.loads((index_dir / "CURRENT").read_text())
    folder = index_dir / f"gen-{int(current['generation']):06d}"
    held = {}
    for side in ("offers", "seeks"):
        with np.load(folder / f"{side}.index.npz", allow_pickle=False) as snapshot:
            index: Any = faiss.deserialize_index(np.ascontiguousarray(snapshot["index"]))
            ids = [str(pid) for pid in snapshot["profile_ids"]]
        keys = faiss.vector_to_array(index.id_map).tolist()
        held[side] = {
            "vectors": int(index.ntotal),
            "distinct_keys": len(set(keys)),
            "profiles": len(ids),
            "distinct_profiles": len(set(ids)),
        }
    return held


class ProfileUpdater:
    """People updating their own profiles through the profile service, in parallel."""

    def __init__(self, base_url: str, tokens: list[str], account_ids: list[str]) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.account_ids = account_ids
        self.done = 0
        self.final_versions: dict[str, int] = {}
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def _update(self, indexes: list[int], rounds: range) -> None:
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            for round_ in rounds:
                for index in indexes:
                    response = client.put(
                        "/v1/profiles/me",
                        headers=bearer(self.tokens[index]),
                        json={
                            "roles": {"mentor": True, "mentee": True},
                            "capacity": 3,
                            "accepting_requests": True,
                            "expertise": [offer_phrase(index, round_)],
                            "expertise_text": "",
                            "experience_text": "",
                            "job_title": None,
                            "goals": [goal_phrase(index, round_)],
                            "goals_text": "",
                        },
                    )
                    with self._lock:
                        if response.status_code != 200:
                            self.errors.append(f"{response.status_code} {response.text[:200]}")
                            continue
                        self.final_versions[self.account_ids[index]] = response.json()["version"]
                        self.done += 1

    def run(self, indexes: list[int], rounds: range, workers: int = 6) -> None:
        """Each person's rounds in order; people spread over ``workers`` threads."""
        with ThreadPoolExecutor(workers) as pool:
            futures = [
                pool.submit(self._update, indexes[w::workers], rounds) for w in range(workers)
            ]
            for future in futures:
                future.result()


def test_profile_updates_survive_a_broker_restarted_empty_without_loss_or_duplicates(
    system: FaultSystem, record_property: Record
) -> None:
    started = time.monotonic()
    people_file = system.root / "demo-people.jsonl"
    people = write_people_file(people_file, ACCOUNTS)
    profile = system.start(
        "profile",
        env={
            "DEMO_DATA": "1",
            "DEMO_PEOPLE_FILE": str(people_file),
            "DEMO_PASSWORD": DEMO_PASSWORD,
        },
    )
    matching = system.start("matching", env=MATCHING_ENV)
    admin = bearer(sign_in(profile.url, ADMIN_EMAIL, ADMIN_PASSWORD))
    with ThreadPoolExecutor(4) as pool:
        tokens = list(pool.map(lambda p: sign_in(profile.url, p.email, DEMO_PASSWORD), people))
    updater = ProfileUpdater(profile.url, tokens, [p.account_id for p in people])
    early, late = list(range(FINISHED_EARLY)), list(range(FINISHED_EARLY, ACCOUNTS))
    setup_s = time.monotonic() - started

    updates_started = time.monotonic()
    updater.run(early, range(1, ROUNDS - 1))
    updater.run(late, range(1, 3))

    # Matching is frozen once it has read everything so far: the last updates of the
    # first 80 people then exist only in the broker about to die (and the outbox).
    def read_everything_so_far() -> int:
        applied: int = consumer_figures(matching, MATCHING_GROUP)["applied"]
        return applied if applied == ACCOUNTS + updater.done else 0

    applied_at_pause = eventually(
        read_everything_so_far, timeout=120, what="matching caught up before the pause"
    )
    system.pause(matching)
    updater.run(early, range(ROUNDS - 1, ROUNDS + 1))
    eventually(
        lambda: readiness(profile)["checks"]["broker"]["outbox_unsent"] == 0,
        timeout=60,
        what="profile outbox relayed",
    )
    unread_when_broker_died = ACCOUNTS + updater.done - applied_at_pause
    updates_before_broker_died = updater.done
    system.broker.stop(kill=True)
    broker_killed_at = time.monotonic()
    updater.run(late, range(3, 5))
    updates_while_broker_down = updater.done - updates_before_broker_died
    system.broker.start()
    system.resume(matching)
    updater.run(late, range(5, ROUNDS + 1))
    updates_done_at = time.monotonic()
    assert updater.errors == [], updater.errors[:5]

    lost = indexed_versions(matching, admin, dict(updater.final_versions.items()), timeout=120)
    caught_up_at = time.monotonic()
    not_found = []
    with httpx.Client(base_url=matching.url, headers=admin, timeout=30) as client:
        totals = client.get("/v1/index/status").json()
        for index, person in enumerate(people):
            for role, text in (
                ("mentor", offer_phrase(index, ROUNDS)),
                ("mentee", goal_phrase(index, ROUNDS)),
            ):
                found = client.post("/v1/search", json={"text": text, "role": role, "limit": 5})
                assert found.status_code == 200, found.text
                if person.account_id not in [s["profile_id"] for s in found.json()]:
                    not_found.append((role, person.account_id))
    stats = httpx.get(f"{profile.url}/v1/admin/stats", headers=admin, timeout=30).json()
    relay = readiness(profile)["checks"]["broker"]
    consumer = consumer_figures(matching, MATCHING_GROUP)
    # A clean stop writes a last snapshot: count the vectors FAISS really holds.
    matching.stop()
    held = snapshot_vectors(system.root / "data" / "matching" / "index")

    duplicates = sum(side["vectors"] - side["distinct_profiles"] for side in held.values())
    duplicates += max(0, totals["offers"] - ACCOUNTS) + max(0, totals["seeks"] - ACCOUNTS)
    figures = {
        "updates": updater.done,
        "accounts": ACCOUNTS,
        "updates_before_broker_killed": updates_before_broker_died,
        "updates_while_broker_down": updates_while_broker_down,
        "events_unread_by_matching_when_broker_died": unread_when_broker_died,
        "recovered": len(updater.final_versions) - len(lost),
        "lost": len(lost),
        "not_searchable": len(not_found),
        "duplicate_vectors": duplicates,
        "index_totals": {k: totals[k] for k in ("profiles", "offers", "seeks")},
        "snapshot_vectors": held,
        "relay_recoveries": relay["recoveries"],
        "relay_published": relay["published"],
        "matching_applied": consumer["applied"],
        "matching_duplicates_dropped": consumer["duplicates"],
        "setup_s": round(setup_s, 1),
        "updates_s": round(updates_done_at - updates_started, 1),
        "catch_up_s_after_last_update": round(caught_up_at - updates_done_at, 1),
        "broker_killed_to_caught_up_s": round(caught_up_at - broker_killed_at, 1),
        "total_s": round(time.monotonic() - started, 1),
    }
    report(record_property, "broker_restarted_empty", figures)
    assert updater.done == ACCOUNTS * ROUNDS
    assert unread_when_broker_died == 2 * FINISHED_EARLY
    assert lost == {}, f"{len(lost)} final versions never indexed"
    assert not_found == [], not_found[:5]
    assert relay["recoveries"] >= 1, "the relay never noticed the empty broker"
    # Every event applied once: demo version 1 and each update; re-published ones dropped.
    assert consumer["applied"] == ACCOUNTS + ACCOUNTS * ROUNDS
    assert totals["profiles"] == totals["offers"] == totals["seeks"] == ACCOUNTS
    assert stats["mentors"] == stats["mentees"] == ACCOUNTS
    for side in held.values():
        assert side["vectors"] == side["distinct_keys"] == side["profiles"] == ACCOUNTS
        assert side["distinct_profiles"] == ACCOUNTS
    assert duplicates == 0


# --- 2. the matching service killed mid-stream and restarted ----------------------------

PEOPLE = 400
STREAM = 3000  # version 1 of each person, then updates and a few erasures
ERASED = 20
TOPICS = [
    "stakeholder management",
    "writing ministerial submissions",
    "leading a policy team",
    "financial planning and budgets",
    "agile delivery of digital services",
    "negotiating with suppliers",
    "data analysis with python",
    "public speaking and presentations",
    "managing change in large teams",
    "preparing for a promotion board",
    "coaching people through transitions",
    "operational research and modelling",
    "legislation and parliamentary bills",
    "commercial contract management",
    "user research with the public",
    "risk management in major projects",
    "building diverse and inclusive teams",
    "economic appraisal of policy options",
    "cyber security awareness",
    "working with ministers and private office",
]
DEPARTMENTS = ["dwp", "moj", "hmrc", "co", "dfe"]
GRADES = ["EO", "HEO", "SEO", "G7", "G6"]
REGIONS = ["london", "north-west", "scotland", "wales"]


def person_id(index: int) -> str:
    return str(uuid.UUID(int=0xFA17 << 64 | index))


def profile_version(rng: random.Random, index: int, version: int) -> ProfileUpserted:
    shape = rng.random()
    roles = Roles(mentor=shape < 0.65, mentee=shape >= 0.35)
    return ProfileUpserted(
        profile_id=person_id(index),
        version=version,
        display_name=f"Person {index}",
        initials="P",
        roles=roles,
        department=rng.choice(DEPARTMENTS),
        grade=rng.choice(GRADES),
        region=rng.choice(REGIONS),
        expertise=[*rng.sample(TOPICS, 2), f"casework for unit{index} edition{version}"],
        goals=[*rng.sample(TOPICS, 2), f"growing in unit{index} edition{version}"],
        capacity=2,
        accepting_requests=True,
    )


def matching_stream() -> tuple[list[Envelope], dict[str, int | None]]:
    """The profile events, and each person's final indexed version (None: erased)."""
    rng = random.Random(2026)
    versions: dict[int, int] = {}
    erased: set[int] = set()
    events: list[ProfileUpserted | ProfileDeleted] = []
    for index in range(PEOPLE):
        versions[index] = 1
        events.append(profile_version(rng, index, 1))
    erase_from = STREAM - 400
    while len(events) < STREAM:
        index = rng.randrange(PEOPLE)
        if index in erased:
            continue
        if len(events) >= erase_from and len(erased) < ERASED and rng.random() < 0.1:
            erased.add(index)
            events.append(ProfileDeleted(profile_id=person_id(index)))
            continue
        versions[index] += 1
        events.append(profile_version(rng, index, versions[index]))
    envelopes = [new_event(data, subject=data.profile_id, source="profile") for data in events]
    final: dict[str, int | None] = {
        person_id(i): None if i in erased else versions[i] for i in range(PEOPLE)
    }
    return envelopes, final


def answers(
    matching: ServiceProcess, system: FaultSystem, admin: dict[str, str], askers: list[str]
) -> dict[str, Any]:
    """What a matching instance answers to a fixed set of searches and suggestions."""
    found: dict[str, Any] = {}
    with httpx.Client(base_url=matching.url, timeout=30) as client:
        found["status"] = {
            k: v
            for k, v in client.get("/v1/index/status", headers=admin).json().items()
            if k in ("profiles", "offers", "seeks")
        }
        for role in ("mentor", "mentee"):
            for text in TOPICS:
                response = client.post(
                    "/v1/search", headers=admin, json={"text": text, "role": role, "limit": 10}
                )
                assert response.status_code == 200, response.text
                found[f"search:{role}:{text}"] = response.json()
        for asker in askers:
            response = client.get(
                "/v1/suggestions",
                headers=bearer(system.tokens.token(asker)),
                params={"role": "mentor", "limit": 10},
            )
            assert response.status_code == 200, response.text
            found[f"suggest:{asker}"] = response.json()
    return found


def test_matching_killed_mid_stream_resumes_from_its_snapshot_and_equals_a_fresh_rebuild(
    system: FaultSystem, record_property: Record
) -> None:
    started = time.monotonic()
    envelopes, final = matching_stream()
    first, second, third = envelopes[:1200], envelopes[1200:2400], envelopes[2400:]
    env = {**MATCHING_ENV, "JWKS_URL": system.jwks_url}
    admin = bearer(system.tokens.token("fault-test-admin", admin=True))
    matching = system.start("matching", env=env)
    index_dir = system.root / "data" / "matching" / "index"

    produce(system.broker.bootstrap_servers, first)

    def snapshot_covers_stream() -> bool:
        current = index_dir / "CURRENT"
        return current.exists() and json.loads(current.read_text())["metadata"]["last_event"]

    eventually(
        lambda: consumer_figures(matching, MATCHING_GROUP)["applied"] >= len(first),
        timeout=120,
        what="first part applied",
    )
    eventually(snapshot_covers_stream, timeout=60, what="a snapshot written")

    # The rest of the stream keeps coming while matching is killed and restarted.
    produced = Produced()
    producer = threading.Thread(
        target=produce,
        args=(system.broker.bootstrap_servers, second),
        kwargs={"pace": [40] * (len(second) // 40), "progress": produced},
    )
    producer.start()

    def part_way() -> int:
        applied: int = consumer_figures(matching, MATCHING_GROUP)["applied"]
        return applied if applied >= len(first) + 300 else 0

    applied_at_kill = eventually(
        part_way, timeout=120, interval=0.05, what="matching part-way through the stream"
    )
    snapshot_at_kill = json.loads((index_dir / "CURRENT").read_text())["generation"]
    matching.kill()
    killed_at = time.monotonic()
    produced_at_kill = len(first) + produced.count
    producer.join()
    produce(system.broker.bootstrap_servers, third)

    system.restart(matching)
    ready_s = time.monotonic() - killed_at
    lost = indexed_versions(matching, admin, final, timeout=120)
    caught_up_s = time.monotonic() - killed_at
    resumed = consumer_figures(matching, MATCHING_GROUP)
    loaded = log_events(matching, "matcher_snapshot_loaded")
    reconciled = log_events(matching, "index_reconciled")

    live = [pid for pid, version in final.items() if version is not None]
    askers = live[:20]
    restarted_answers = answers(matching, system, admin, askers)

    rebuild_started = time.monotonic()
    rebuild = system.start(
        "matching",
        label="matching-rebuild",
        data_dir=system.root / "rebuild",
        env={**env, "MATCHING_CONSUMER_GROUP": "matching-rebuild"},
    )
    rebuild_lost = indexed_versions(rebuild, admin, final, timeout=120)
    rebuild_s = time.monotonic() - rebuild_started
    rebuilt = consumer_figures(rebuild, "matching-rebuild")
    rebuilt_answers = answers(rebuild, system, admin, askers)

    differing = sorted(k for k in restarted_answers if restarted_answers[k] != rebuilt_answers[k])
    figures = {
        "stream_events": len(envelopes),
        "people": PEOPLE,
        "erased": sum(v is None for v in final.values()),
        "produced_when_killed": produced_at_kill,
        "applied_seen_before_kill": applied_at_kill,
        "snapshot_generation_at_kill": snapshot_at_kill,
        "snapshot_loaded_after_restart": {k: loaded[-1][k] for k in ("generation", "profiles")}
        if loaded
        else None,
        "reconciled_after_restart": {k: reconciled[-1][k] for k in ("indexed", "removed")}
        if len(reconciled) > 1
        else None,
        "applied_after_restart": resumed["applied"],
        "redelivered_and_dropped_after_restart": resumed["duplicates"],
        "versions_wrong_after_restart": len(lost),
        "rebuild_applied": rebuilt["applied"],
        "versions_wrong_in_rebuild": len(rebuild_lost),
        "index_totals": restarted_answers["status"],
        "rebuild_totals": rebuilt_answers["status"],
        "queries_compared": len(restarted_answers) - 1,
        "queries_differing": len(differing),
        "restart_to_ready_s": round(ready_s, 1),
        "kill_to_caught_up_s": round(caught_up_s, 1),
        "fresh_rebuild_s": round(rebuild_s, 1),
        "total_s": round(time.monotonic() - started, 1),
    }
    report(record_property, "matching_killed", figures)
    assert len(loaded) == 1, "the restarted process did not load a snapshot"
    assert loaded[0]["generation"] >= snapshot_at_kill
    assert loaded[0]["profiles"] > 0
    assert lost == {}, f"{len(lost)} profiles at the wrong version after the restart"
    # It resumed from the committed positions: it applied what the killed process had
    # not, and re-read at most an uncommitted batch, never the stream from the start.
    assert resumed["applied"] <= len(envelopes) - applied_at_kill
    assert resumed["applied"] + resumed["duplicates"] < len(envelopes) - len(first)
    assert rebuild_lost == {}
    assert rebuilt["applied"] == len(envelopes)
    assert restarted_answers["status"] == rebuilt_answers["status"]
    assert restarted_answers["status"]["profiles"] == PEOPLE - ERASED
    assert differing == [], differing[:5]


# --- 3. the notifications service killed during a burst of 500 requests ----------------

MENTORS = 40
MENTEES = 200
REQUESTS = 500
KILL_AFTER = 150  # requests applied before the SIGKILL
DELIVERY_LEASE_S = 5
DELIVERY_BATCH = 50


def message_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


def match_id_in(text: str) -> str | None:
    marker = "/matches/"
    at = text.find(marker)
    if at < 0:
        return None
    return text[at + len(marker) : at + len(marker) + 36]


def in_app_requests(
    notifications: ServiceProcess, system: FaultSystem, people: list[str]
) -> dict[str, list[tuple[str, str]]]:
    """Match id -> (recipient, notification id) of each in-app notification about it,
    read through the API as each person."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with httpx.Client(base_url=notifications.url, timeout=30) as client:
        for person in people:
            cursor: str | None = None
            while True:
                params: dict[str, Any] = {"limit": 100}
                if cursor:
                    params["cursor"] = cursor
                page = client.get(
                    "/v1/notifications", headers=bearer(system.tokens.token(person)), params=params
                )
                assert page.status_code == 200, page.text
                document = page.json()
                for item in document["items"]:
                    match_id = match_id_in(item["link"] or "")
                    if item["kind"] == "request_received" and match_id:
                        found[match_id].append((person, item["id"]))
                cursor = document["next_cursor"]
                if not cursor:
                    break
    return found


def test_notifications_killed_mid_burst_delivers_each_request_once_in_app_and_once_per_message_id(
    system: FaultSystem, smtp: SmtpSink, record_property: Record
) -> None:
    started = time.monotonic()
    mentors = [str(uuid.uuid4()) for _ in range(MENTORS)]
    mentees = [str(uuid.uuid4()) for _ in range(MENTEES)]
    address = {pid: f"mentor.{i}@justice.gov.uk" for i, pid in enumerate(mentors)}
    address.update({pid: f"mentee.{i}@dwp.gov.uk" for i, pid in enumerate(mentees)})
    people: list[Envelope] = []
    for pid in mentors + mentees:
        name = f"Person {pid[:4]}"
        people.append(
            new_event(
                AccountRegistered(account_id=pid, email=address[pid], display_name=name),
                subject=pid,
                source="profile",
            )
        )
        people.append(
            new_event(
                ProfileUpserted(
                    profile_id=pid,
                    version=1,
                    display_name=name,
                    initials="P",
                    roles=Roles(mentor=pid in mentors, mentee=pid not in mentors),
                ),
                subject=pid,
                source="profile",
            )
        )
    expires = datetime.now(UTC) + timedelta(days=14)
    burst = []
    mentor_of: dict[str, str] = {}
    for n in range(REQUESTS):
        match_id = str(uuid.uuid4())
        mentor_of[match_id] = mentors[n % MENTORS]
        burst.append(
            new_event(
                MatchRequested(
                    match_id=match_id,
                    mentee_id=mentees[n % MENTEES],
                    mentor_id=mentors[n % MENTORS],
                    message="Could we have a chemistry conversation?",
                    expires_at=expires,
                ),
                subject=match_id,
                source="matching",
            )
        )

    system.smtp_port = smtp.port
    notifications = system.start(
        "notifications",
        env={
            "JWKS_URL": system.jwks_url,
            "DELIVERY_POLL_INTERVAL_S": "0.2",
            "DELIVERY_LEASE_S": str(DELIVERY_LEASE_S),
            "DELIVERY_BATCH": str(DELIVERY_BATCH),
            "EMAIL_BACKOFF_BASE_S": "0.2",
            "EMAIL_BACKOFF_MAX_S": "1",
            "UNSUBSCRIBE_SECRET": "fault-test-unsubscribe-secret",
        },
    )
    produce(system.broker.bootstrap_servers, people)
    eventually(
        lambda: consumer_figures(notifications, NOTIFICATIONS_GROUP)["applied"] >= len(people),
        timeout=120,
        what="people known to notifications",
    )

    produced = Produced()
    producer = threading.Thread(
        target=produce,
        args=(system.broker.bootstrap_servers, burst),
        kwargs={"pace": [10] * (REQUESTS // 10), "progress": produced},
    )
    burst_started = time.monotonic()
    producer.start()

    def half_way_through() -> int:
        # Killed while requests are still arriving, some applied, some emails sent.
        applied: int = consumer_figures(notifications, NOTIFICATIONS_GROUP)["applied"]
        burst_applied = applied - len(people)
        return burst_applied if burst_applied >= KILL_AFTER and smtp.messages else 0

    applied_at_kill = eventually(
        half_way_through, timeout=120, interval=0.05, what="burst part-way"
    )
    notifications.kill()
    killed_at = time.monotonic()
    emails_at_kill = len(smtp.messages)
    produced_at_kill = produced.count
    producer.join()

    system.restart(notifications)
    ready_s = time.monotonic() - killed_at

    def everything_delivered() -> bool:
        emailed = {match_id_in(message_text(m)) for m in list(smtp.messages)}
        return emailed >= set(mentor_of) and len(
            in_app_requests(notifications, system, mentors)
        ) >= len(mentor_of)

    eventually(everything_delivered, timeout=180, interval=1, what="all delivered")
    delivered_s = time.monotonic() - killed_at

    # Jobs the killed process had claimed come back after their lease: wait
    # past it, then until the mail server has been quiet for three seconds.
    seen = [len(smtp.messages), time.monotonic()]

    def quiet() -> bool:
        if len(smtp.messages) != seen[0]:
            seen[:] = [len(smtp.messages), time.monotonic()]
        now = time.monotonic()
        return now - killed_at > DELIVERY_LEASE_S + ready_s and now - seen[1] >= 3

    eventually(quiet, timeout=120, interval=0.5, what="mail server quiet")
    in_app = in_app_requests(notifications, system, mentors)
    worker = readiness(notifications)["checks"]["delivery_worker"]
    consumer = consumer_figures(notifications, NOTIFICATIONS_GROUP)

    emails: dict[str, list[EmailMessage]] = defaultdict(list)
    for message in smtp.messages:
        about = match_id_in(message_text(message))
        if about is not None:
            emails[about].append(message)
    message_ids = {m: {str(e["Message-ID"]) for e in found} for m, found in emails.items()}
    wrong_recipient = [
        m for m, found in emails.items() if {str(e["To"]) for e in found} != {address[mentor_of[m]]}
    ]
    figures = {
        "requests": REQUESTS,
        "produced_when_killed": produced_at_kill,
        "applied_seen_before_kill": applied_at_kill,
        "emails_when_killed": emails_at_kill,
        "in_app_delivered": sum(len(ids) > 0 for ids in in_app.values()),
        "in_app_missing": sum(m not in in_app for m in mentor_of),
        "in_app_duplicates": sum(len(ids) - 1 for ids in in_app.values() if len(ids) > 1),
        "in_app_to_wrong_person": sum(
            any(who != mentor_of.get(m) for who, _ in ids) for m, ids in in_app.items()
        ),
        "emails_delivered": sum(m in emails for m in mentor_of),
        "emails_missing": sum(m not in emails for m in mentor_of),
        "emails_duplicates": sum(len(ids) - 1 for ids in message_ids.values()),
        "smtp_messages": sum(len(found) for found in emails.values()),
        "smtp_resends_same_message_id": sum(len(found) for found in emails.values())
        - sum(len(ids) for ids in message_ids.values()),
        "emails_to_wrong_address": len(wrong_recipient),
        "events_applied_after_restart": consumer["applied"],
        "redelivered_and_dropped_after_restart": consumer["duplicates"],
        "emails_sent_after_restart": worker["sent"],
        "email_retries_after_restart": worker["retried"],
        "restart_to_ready_s": round(ready_s, 1),
        "kill_to_all_delivered_s": round(delivered_s, 1),
        "burst_to_all_delivered_s": round(killed_at - burst_started + delivered_s, 1),
        "total_s": round(time.monotonic() - started, 1),
    }
    report(record_property, "notifications_killed", figures)
    assert produced_at_kill < REQUESTS, "the burst was over before the kill"
    assert 0 < emails_at_kill < REQUESTS, "the kill did not land while emails were going out"
    assert consumer["applied"] > 0, "the restarted process applied nothing of the burst"
    assert set(in_app) == set(mentor_of), "an in-app notification is missing or unknown"
    assert figures["in_app_duplicates"] == 0
    assert figures["in_app_to_wrong_person"] == 0
    assert set(emails) == set(mentor_of), "an email is missing or unknown"
    assert figures["emails_duplicates"] == 0, "a request produced two different emails"
    assert wrong_recipient == []
    # Delivery to the mail server is at least once: only an email the killed process
    # had sent but not yet recorded goes out again, with the same Message-ID.
    assert figures["smtp_resends_same_message_id"] <= DELIVERY_BATCH
