"""Mechanism the security and privacy rules rest on: store-backed abuse limits, body
limits at the door, the erased-subject token check, sealed secrets, the anonymity rule
and SQLite's secure deletion."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from mentor_shared import limits
from mentor_shared.auth import CurrentPrincipal, JwksKeySet
from mentor_shared.erasure import ERASED_SQL, SqliteErasedSubjects, mark_erased_sqlite
from mentor_shared.limits import LIMITS_SQL, Limit, SqliteRateLimiter, enforce, key_digest
from mentor_shared.privacy import anonymised, initials, may_match_on
from mentor_shared.sealing import KEY_FILE, Sealer, SealError
from mentor_shared.settings import ServiceSettings
from mentor_shared.storage import sqlite as sqlite_storage
from mentor_shared.storage.sqlite import SqliteBusy, SqliteDatabase
from mentor_shared.web import client_ip
from mentor_shared.web.app import create_app
from mentor_shared.web.errors import TooManyRequests
from tests.shared.test_auth import AUDIENCE, ISSUER, SigningKey, sign


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase(tmp_path / "s.sqlite3", [LIMITS_SQL, ERASED_SQL]).open()
    yield database
    await database.close()


# --- abuse limits ------------------------------------------------------------------------


async def test_a_limit_allows_its_count_then_says_how_long_to_wait(db: SqliteDatabase) -> None:
    clock = Clock()
    limiter = SqliteRateLimiter(db, clock)
    limit = Limit("reset_per_address", count=3, window_s=3600)

    answers = [await limiter.hit(limit, "k") for _ in range(5)]

    assert answers[:3] == [None, None, None]
    assert answers[3] == pytest.approx(3600 - (clock.now % 3600))
    clock.now += 3600
    assert await limiter.hit(limit, "k") is None


async def test_two_replicas_on_one_store_hold_one_limit(tmp_path: Path) -> None:
    # Two processes' worth of connections on the same file, as two replicas would have.
    path = tmp_path / "shared.sqlite3"
    first = await SqliteDatabase(path, [LIMITS_SQL]).open()
    second = await SqliteDatabase(path, [LIMITS_SQL]).open()
    try:
        limit = Limit("messages", count=10, window_s=60)
        replicas = [SqliteRateLimiter(first), SqliteRateLimiter(second)]
        answers = await asyncio.gather(
            *(replicas[i % 2].hit(limit, "account-1") for i in range(40))
        )
    finally:
        await first.close()
        await second.close()

    assert sum(answer is None for answer in answers) == 10


async def test_concurrent_attempts_never_pass_the_limit(db: SqliteDatabase) -> None:
    limiter = SqliteRateLimiter(db)
    limit = Limit("sign_in", count=10, window_s=900)

    answers = await asyncio.gather(*(limiter.hit(limit, "acct") for _ in range(40)))

    assert sum(answer is None for answer in answers) == 10


async def test_reset_forgets_the_count_and_keys_are_separate(db: SqliteDatabase) -> None:
    limiter = SqliteRateLimiter(db)
    limit = Limit("sign_in", count=1, window_s=900)
    await limiter.hit(limit, "a")
    assert await limiter.hit(limit, "a") is not None
    assert await limiter.hit(limit, "b") is None

    await limiter.reset(limit, "a")

    assert await limiter.hit(limit, "a") is None


async def test_enforce_raises_429_with_whole_seconds(db: SqliteDatabase) -> None:
    limiter = SqliteRateLimiter(db)
    limit = Limit("x", count=0, window_s=10)

    with pytest.raises(TooManyRequests) as raised:
        await enforce(limiter, limit, "k", message="Slow down")

    assert raised.value.code == "rate_limited"
    assert 1 <= int(raised.value.headers["Retry-After"]) <= 10


async def test_counters_whose_window_passed_are_purged(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "PURGE_EVERY", 3)
    clock = Clock()
    limiter = SqliteRateLimiter(db, clock)
    await limiter.hit(Limit("short", count=5, window_s=60), "old-1")
    await limiter.hit(Limit("short", count=5, window_s=60), "old-2")
    clock.now += 120

    await limiter.hit(Limit("long", count=5, window_s=86_400), "new")

    rows = await db.fetchall("SELECT name FROM rate_limits")
    assert [row["name"] for row in rows] == ["long"]


def test_addresses_are_never_keys_in_clear() -> None:
    key = key_digest("Someone@DWP.gov.uk ")

    assert key == key_digest("someone@dwp.gov.uk")
    assert "dwp" not in key


# --- erased people's tokens ----------------------------------------------------------------


KEY = SigningKey("key-erasure")


@pytest.fixture
def erased_app(db: SqliteDatabase) -> Iterator[tuple[TestClient, SqliteDatabase]]:
    router = APIRouter()

    @router.get("/v1/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {"id": principal.id, "expires_at": principal.expires_at}

    app = create_app(
        ServiceSettings(environment="test"), title="t", version="1", lifespan=None, routers=[router]
    )
    app.state.key_set = JwksKeySet.from_jwks({"keys": [KEY.jwk]}, issuer=ISSUER, audience=AUDIENCE)
    app.state.erased_subjects = SqliteErasedSubjects(db)
    with TestClient(app) as client:
        yield client, db


async def test_an_erased_persons_token_stops_working(
    erased_app: tuple[TestClient, SqliteDatabase],
) -> None:
    client, db = erased_app
    token = {"Authorization": f"Bearer {sign(KEY, sub='gone-1')}"}
    before = await asyncio.to_thread(client.get, "/v1/me", headers=token)
    assert before.status_code == 200
    assert isinstance(before.json()["expires_at"], float)

    async with db.transaction() as conn:
        await mark_erased_sqlite(conn, "gone-1")
    after = await asyncio.to_thread(client.get, "/v1/me", headers=token)

    assert after.status_code == 401
    assert after.json()["error"]["code"] == "token_revoked"


# --- bodies refused at the door ------------------------------------------------------------


class Note(BaseModel):
    text: str


def body_app(**limits: int) -> TestClient:
    router = APIRouter()
    seen: list[int] = []

    @router.post("/v1/notes")
    async def notes(note: Note) -> dict[str, int]:
        seen.append(len(note.text))
        return {"length": len(note.text)}

    @router.post("/v1/admin/import")
    async def upload(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @router.post("/v1/form")
    async def form(request: Request) -> dict[str, int]:
        # Reads the form itself, as the upload routes do.
        return {"fields": len(await request.form())}

    settings = ServiceSettings(environment="test", max_body_bytes=1024)
    app = create_app(
        settings,
        title="t",
        version="1",
        lifespan=None,
        routers=[router],
        body_limits={"/v1/admin/import": limits.get("upload", 4096)},
    )
    app.state.seen = seen
    return TestClient(app)


def test_a_body_over_the_limit_is_413_from_its_declared_length() -> None:
    client = body_app()

    response = client.post("/v1/notes", json={"text": "x" * 5000})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert client.app.state.seen == []  # type: ignore[attr-defined]


def test_a_streamed_body_is_cut_off_at_the_limit() -> None:
    client = body_app()

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    # No Content-Length: a chunked upload is counted as it arrives.
    response = client.post(
        "/v1/notes", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert client.app.state.seen == []  # type: ignore[attr-defined]


def test_a_streamed_form_a_route_reads_itself_is_a_413_not_a_500() -> None:
    client = body_app()

    def chunks() -> Iterator[bytes]:
        yield b"note="
        for _ in range(100):
            yield b"x" * 100

    response = client.post(
        "/v1/form",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413
    assert client.post("/v1/form", data={"note": "short"}).json() == {"fields": 1}


def test_a_route_prefix_has_its_own_limit_and_small_bodies_pass() -> None:
    client = body_app(upload=4096)

    assert client.post("/v1/notes", json={"text": "hello"}).json() == {"length": 5}
    assert client.post("/v1/admin/import", content=b"x" * 3000).json() == {"length": 3000}
    assert client.post("/v1/admin/import", content=b"x" * 5000).status_code == 413


def test_a_bad_content_length_is_a_400() -> None:
    client = body_app()

    response = client.post(
        "/v1/notes",
        content=b"{}",
        headers={"content-length": "abc", "content-type": "application/json"},
    )

    assert response.status_code == 400


# --- the caller's address ------------------------------------------------------------------


async def _ip_seen(peer: str, forwarded: str | None, trusted: str) -> str:
    router = APIRouter()

    @router.get("/ip")
    async def ip(request: Request) -> dict[str, str]:
        return {"ip": client_ip(request)}

    app = create_app(
        ServiceSettings(environment="test", trusted_proxies=trusted),
        title="t",
        version="1",
        lifespan=None,
        routers=[router],
    )
    transport = httpx.ASGITransport(app=app, client=(peer, 5000))
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return str((await client.get("/ip", headers=headers)).json()["ip"])


async def test_forwarded_address_is_believed_only_from_a_trusted_proxy() -> None:
    assert await _ip_seen("127.0.0.1", "203.0.113.9", "127.0.0.1") == "203.0.113.9"
    assert await _ip_seen("198.51.100.7", "203.0.113.9", "127.0.0.1") == "198.51.100.7"
    assert await _ip_seen("127.0.0.1", "1.1.1.1, 203.0.113.9", "127.0.0.1") == "203.0.113.9"
    assert await _ip_seen("127.0.0.1", "not-an-address", "127.0.0.1") == "127.0.0.1"
    # Ranges: the web frontend's pods in a cluster network.
    assert await _ip_seen("10.42.3.17", "203.0.113.9", "10.42.0.0/16,::1") == "203.0.113.9"
    assert await _ip_seen("10.43.0.1", "203.0.113.9", "10.42.0.0/16") == "10.43.0.1"


# --- sealed secrets ------------------------------------------------------------------------


def test_sealed_text_opens_only_with_the_same_key(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path)
    sealer = Sealer.from_settings(settings)
    sealed = sealer.seal("single-use-token-123")

    assert "single-use-token-123" not in sealed
    # A second service on the same data folder uses the same key.
    assert Sealer.from_settings(settings).open(sealed) == "single-use-token-123"
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0
    other = Sealer.from_settings(ServiceSettings(data_dir=tmp_path / "elsewhere"))
    with pytest.raises(SealError):
        other.open(sealed)
    with pytest.raises(SealError):
        sealer.open(sealed[:-4] + "AAAA")


# --- one anonymity rule --------------------------------------------------------------------


def test_an_anonymous_card_shows_initials_department_and_grade_only() -> None:
    card = {
        "profile_id": "p1",
        "display_name": "Ada Mary Lovelace",
        "department": "dwp",
        "grade": "G7",
        "profession": "policy",
        "region": "london",
    }

    shown = anonymised(card, keep=["profile_id"])

    assert shown == {
        "profile_id": "p1",
        "display_name": "A. M. L.",
        "department": "dwp",
        "grade": "G7",
        "profession": None,
        "region": None,
    }
    assert initials("  ") == "?"
    assert not may_match_on("region", anonymous=True)
    assert not may_match_on("display_name", anonymous=True)
    assert may_match_on("department", anonymous=True)
    assert may_match_on("region", anonymous=False)


# --- secure deletion -----------------------------------------------------------------------


async def test_a_wal_a_reader_keeps_busy_is_reported_not_left_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_storage, "CHECKPOINT_BUSY_TIMEOUT_S", 0.1)
    path = tmp_path / "busy.sqlite3"
    database = await SqliteDatabase(path, ["CREATE TABLE t (v TEXT)"]).open()
    reader = sqlite3.connect(path, check_same_thread=False)
    try:
        async with database.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES ('before')")
        reader.execute("BEGIN")
        reader.execute("SELECT * FROM t").fetchall()  # holds a snapshot of the WAL
        async with database.transaction() as conn:
            await conn.execute("DELETE FROM t")

        with pytest.raises(SqliteBusy):
            await database.truncate_wal()

        reader.execute("COMMIT")
        await database.truncate_wal()
        assert Path(f"{path}-wal").stat().st_size == 0
    finally:
        reader.close()
        await database.close()


async def test_deleted_rows_leave_no_bytes_in_the_file_or_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "erase.sqlite3"
    database = await SqliteDatabase(path, ["CREATE TABLE t (v TEXT)"]).open()
    try:
        async with database.transaction() as conn:
            await conn.execute("INSERT INTO t VALUES (?)", ("zebraquokka-secret " * 50,))
        await database.checkpoint()
        async with database.transaction() as conn:
            await conn.execute("DELETE FROM t")
        await database.truncate_wal()

        files = [p for p in tmp_path.iterdir() if p.name.startswith("erase.sqlite3")]
        leftovers = [p.name for p in files if b"zebraquokka" in p.read_bytes()]
        assert leftovers == []
        assert Path(f"{path}-wal").stat().st_size == 0
    finally:
        await database.close()
