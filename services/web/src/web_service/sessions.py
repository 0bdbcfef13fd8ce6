"""Server-side sessions: the browser holds only an opaque random id.

Access and refresh tokens never reach the browser. They live here, in a SQLite
file under ``DATA_DIR`` (so a restart keeps people signed in), keyed by the
SHA-256 of the cookie value: someone who reads the file cannot replay a cookie.
Each session also carries the CSRF synchroniser token and one-shot messages
("flash") shown as notification banners after a redirect.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
import structlog
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

COOKIE_NAME = "mentor_match_session"

SCHEMA = [
    """
    CREATE TABLE IF NOT EXISTS web_sessions (
        id_hash TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS web_sessions_expiry ON web_sessions (expires_at)",
]


def _hash(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


@dataclass
class SessionData:
    """What the server remembers about one browser."""

    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    account_id: str | None = None
    roles: list[str] = field(default_factory=list)
    access_token: str | None = None
    refresh_token: str | None = None
    access_expires_at: float = 0.0
    flash: list[dict[str, str]] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        """True once tokens are held for an account."""
        return self.account_id is not None and self.refresh_token is not None

    @property
    def is_admin(self) -> bool:
        """True for administrators (from the access token's roles)."""
        return "admin" in self.roles


@dataclass
class WebSession:
    """One browser's session as a request sees it; changes are saved on response."""

    raw_id: str
    data: SessionData
    created_at: float
    new: bool = False
    dirty: bool = False
    ended: bool = False
    replaced_id: str | None = None

    def changed(self) -> None:
        """Mark the session for saving when the response starts."""
        self.dirty = True

    def add_flash(self, title: str, text: str, kind: str = "success") -> None:
        """A message for the next page shown (a GOV.UK notification banner)."""
        self.data.flash.append({"title": title, "text": text, "kind": kind})
        self.changed()

    def pop_flash(self) -> list[dict[str, str]]:
        """The waiting messages, removed from the session."""
        messages = self.data.flash
        if messages:
            self.data.flash = []
            self.changed()
        return messages

    def rotate(self) -> None:
        """A new id and CSRF token (at sign-in and sign-out, against session fixation)."""
        if not self.new:
            self.replaced_id = self.raw_id
        self.raw_id = secrets.token_urlsafe(32)
        self.data.csrf_token = secrets.token_urlsafe(32)
        self.new = True
        self.changed()

    def sign_in(
        self, account_id: str, roles: list[str], access: str, refresh: str, expires_in: int
    ) -> None:
        """Hold a fresh token pair under a fresh session id."""
        self.rotate()
        self.data.account_id = account_id
        self.data.roles = roles
        self.store_tokens(access, refresh, expires_in)

    def store_tokens(self, access: str, refresh: str, expires_in: int) -> None:
        """Keep a (rotated) token pair."""
        self.data.access_token = access
        self.data.refresh_token = refresh
        self.data.access_expires_at = time.time() + expires_in
        self.changed()

    def sign_out(self) -> None:
        """Forget the tokens and start an anonymous session under a new id."""
        self.data = SessionData(flash=self.data.flash)
        self.rotate()


def session_of(request: Request) -> WebSession:
    """The request's session, put there by the session middleware.

    Requests the middleware skips (static files) get a throwaway session so an
    error page can still be rendered for them.
    """
    session: WebSession | None = getattr(request.state, "session", None)
    if session is None:
        session = request.app.state.store.new_session()
        request.state.session = session
    return session


class SessionStore:
    """Sessions in one SQLite table.

    Args:
        path: The SQLite file.
        idle_s: A session not used for this long has ended.
        max_s: A session ends this long after it was created, however busy.
    """

    def __init__(self, path: Path, *, idle_s: int, max_s: int) -> None:
        self.path = path
        self.idle_s = idle_s
        self.max_s = max_s
        self._conn: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Open the file (WAL mode) and create the table."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path)
        await self._conn.execute("PRAGMA journal_mode=WAL")
        for statement in SCHEMA:
            await self._conn.execute(statement)
        await self._conn.commit()

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise RuntimeError("the session store is not open")
        return self._conn

    def new_session(self) -> WebSession:
        """A fresh anonymous session (saved only if something is put in it)."""
        return WebSession(
            raw_id=secrets.token_urlsafe(32), data=SessionData(), created_at=time.time(), new=True
        )

    async def load(self, raw_id: str) -> WebSession | None:
        """The live session with this cookie value, or None."""
        now = time.time()
        async with self.conn.execute(
            "SELECT data, created_at, expires_at FROM web_sessions WHERE id_hash = ?",
            (_hash(raw_id),),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row[2] < now or row[1] + self.max_s < now:
            return None
        values: dict[str, Any] = json.loads(row[0])
        return WebSession(raw_id=raw_id, data=SessionData(**values), created_at=row[1])

    async def save(self, session: WebSession) -> None:
        """Write the session, dropping the row of the id it replaced."""
        expires_at = min(time.time() + self.idle_s, session.created_at + self.max_s)
        if session.replaced_id is not None:
            await self.conn.execute(
                "DELETE FROM web_sessions WHERE id_hash = ?", (_hash(session.replaced_id),)
            )
        await self.conn.execute(
            "INSERT INTO web_sessions (id_hash, data, created_at, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data,"
            " expires_at = excluded.expires_at",
            (
                _hash(session.raw_id),
                json.dumps(asdict(session.data)),
                session.created_at,
                expires_at,
            ),
        )
        await self.conn.commit()
        session.replaced_id = None

    async def touch(self, session: WebSession) -> None:
        """Extend an unchanged session's idle expiry."""
        expires_at = min(time.time() + self.idle_s, session.created_at + self.max_s)
        await self.conn.execute(
            "UPDATE web_sessions SET expires_at = ? WHERE id_hash = ?",
            (expires_at, _hash(session.raw_id)),
        )
        await self.conn.commit()

    async def purge_expired(self) -> int:
        """Delete ended sessions; returns how many."""
        cursor = await self.conn.execute(
            "DELETE FROM web_sessions WHERE expires_at < ?", (time.time(),)
        )
        await self.conn.commit()
        return cursor.rowcount


class SessionMiddleware:
    """Loads the session named by the cookie; saves it and sets the cookie on response.

    A pure ASGI middleware (not ``BaseHTTPMiddleware``) so streamed responses (the
    live conversation stream) pass straight through. Requests for static assets
    skip it. ``request.state.session`` is created lazily: a visitor who only reads
    pages without forms gets no session row.
    """

    def __init__(
        self, app: ASGIApp, *, store: SessionStore, secure: bool, skip_prefixes: tuple[str, ...]
    ) -> None:
        self.app = app
        self.store = store
        self.secure = secure
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.skip_prefixes):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        raw_id = connection.cookies.get(COOKIE_NAME)
        loaded = await self.store.load(raw_id) if raw_id else None
        session = loaded or self.store.new_session()
        scope.setdefault("state", {})["session"] = session
        cleared_stale_cookie = raw_id is not None and loaded is None

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if session.dirty:
                    await self.store.save(session)
                    session.dirty = False
                    if session.new:
                        headers.append("Set-Cookie", self._cookie(session.raw_id))
                        # Pages that set a session must not be cached by shared caches.
                        headers["Cache-Control"] = "no-store"
                elif loaded is not None:
                    await self.store.touch(session)
                elif cleared_stale_cookie:
                    headers.append("Set-Cookie", self._cookie("", max_age=0))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie(self, value: str, *, max_age: int | None = None) -> str:
        age = self.store.max_s if max_age is None else max_age
        parts = [f"{COOKIE_NAME}={value}", "Path=/", "HttpOnly", "SameSite=Lax", f"Max-Age={age}"]
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)
