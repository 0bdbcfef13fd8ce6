"""The profile service's repositories on SQLite (the embedded default store).

Profiles are stored as their JSON document plus the columns the directory filters
and sorts on; everything else is plain columns. Times are ISO 8601 text in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.erasure import ERASED_SQL, is_erased_sqlite, mark_erased_sqlite
from mentor_shared.storage.sqlite import Connection, SqliteDatabase
from profile_service.domain.account_tokens import AccountToken, PendingCredential, TokenPurpose
from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import AllowedDomains, email_key
from profile_service.domain.directory import DirectoryQuery, ProfileStats, sort_key
from profile_service.domain.grants import ContactGrant
from profile_service.domain.invitations import CoachImportRecord, ImportProgress, InvitationState
from profile_service.domain.profiles import Profile
from profile_service.domain.tokens import RefreshToken
from profile_service.service.ports import (
    AccountRepository,
    AccountTokenRepository,
    AllowedDomainRepository,
    ContactGrantRepository,
    ErasedSubjectRepository,
    InvitationRepository,
    PendingCredentialRepository,
    ProfileRepository,
    RefreshTokenRepository,
)

INVITATIONS_SQL = """
CREATE TABLE IF NOT EXISTS coach_imports (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    send_requested_at TEXT
);
CREATE TABLE IF NOT EXISTS claim_invitations (
    account_id TEXT PRIMARY KEY,
    import_id TEXT NOT NULL,
    state TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS claim_invitations_by_import
    ON claim_invitations (import_id, state);
CREATE INDEX IF NOT EXISTS claim_invitations_queued
    ON claim_invitations (position) WHERE state = 'queued';
"""
"""Coach imports and their claim invitations (step 3 of the ladder for older files)."""

SQLITE_SCHEMA: list[str] = [
    # The current shape, step 1 of the ladder for a new file; a change here also needs
    # a step in adapters/schema.py that brings older files to it.
    INVITATIONS_SQL,
    """
    CREATE TABLE IF NOT EXISTS accounts (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        email_verified INTEGER NOT NULL,
        email_verified_at TEXT,
        password_hash TEXT,
        is_admin INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        claimed INTEGER NOT NULL
    );
    """,
    """
    CREATE TABLE IF NOT EXISTS profiles (
        id TEXT PRIMARY KEY,
        name_key TEXT NOT NULL,
        anonymous INTEGER NOT NULL,
        department TEXT,
        profession TEXT,
        grade TEXT,
        region TEXT,
        is_mentor INTEGER NOT NULL,
        is_mentee INTEGER NOT NULL,
        is_coach INTEGER NOT NULL,
        document TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS profiles_by_name ON profiles (name_key, id);
    CREATE INDEX IF NOT EXISTS profiles_by_department ON profiles (department, name_key, id);
    """,
    """
    CREATE TABLE IF NOT EXISTS refresh_tokens (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        family_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        rotated_at TEXT,
        replaced_by TEXT,
        revoked_at TEXT
    );
    CREATE INDEX IF NOT EXISTS refresh_tokens_by_family ON refresh_tokens (family_id);
    CREATE INDEX IF NOT EXISTS refresh_tokens_by_account ON refresh_tokens (account_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS account_tokens (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        issued_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE INDEX IF NOT EXISTS account_tokens_by_account ON account_tokens (account_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS contact_grants (
        match_id TEXT PRIMARY KEY,
        mentee_id TEXT NOT NULL,
        mentor_id TEXT NOT NULL,
        active INTEGER NOT NULL,
        granted_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX IF NOT EXISTS contact_grants_by_mentee ON contact_grants (mentee_id);
    CREATE INDEX IF NOT EXISTS contact_grants_by_mentor ON contact_grants (mentor_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS allowed_domains (entry TEXT PRIMARY KEY);
    """,
    ERASED_SQL,
    """
    CREATE TABLE IF NOT EXISTS pending_credentials (
        token_id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        display_name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS pending_credentials_by_account
        ON pending_credentials (account_id, created_at);
    """,
]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _all(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _one(conn: Connection, sql: str, params: tuple[Any, ...]) -> Any:
    rows = await _all(conn, sql, params)
    return rows[0] if rows else None


class SqliteAccountRepository:
    """Accounts on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, account_id: str) -> Account | None:
        """The account with this id, or None."""
        row = await _one(self.conn, "SELECT * FROM accounts WHERE id = ?", (account_id,))
        return _account(row) if row else None

    async def get_by_email(self, email: str) -> Account | None:
        """The account with this address (any case), or None."""
        row = await _one(
            self.conn, "SELECT * FROM accounts WHERE email_key = ?", (email_key(email),)
        )
        return _account(row) if row else None

    async def save(self, account: Account) -> None:
        """Insert or replace an account."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO accounts (id, email, email_key, email_verified, "
            "email_verified_at, password_hash, is_admin, created_at, claimed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.id,
                account.email,
                account.email_key,
                int(account.email_verified),
                _iso(account.email_verified_at),
                account.password_hash,
                int(account.is_admin),
                _iso(account.created_at),
                int(account.claimed),
            ),
        )

    async def delete(self, account_id: str) -> None:
        """Remove an account."""
        await self.conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))


def _account(row: Any) -> Account:
    data = dict(row)
    data.pop("email_key")
    return Account.model_validate(data)


class SqliteProfileRepository:
    """Profiles on SQLite."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, profile_id: str) -> Profile | None:
        """The profile with this id, or None."""
        row = await _one(self.conn, "SELECT document FROM profiles WHERE id = ?", (profile_id,))
        return Profile.model_validate_json(row["document"]) if row else None

    async def save(self, profile: Profile) -> None:
        """Insert or replace a profile."""
        await self.conn.execute(
            "INSERT OR REPLACE INTO profiles (id, name_key, anonymous, department, profession, "
            "grade, region, is_mentor, is_mentee, is_coach, document) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                profile.id,
                sort_key(profile),
                int(profile.anonymous),
                profile.department,
                profile.profession,
                profile.grade,
                profile.region,
                int(profile.roles.mentor),
                int(profile.roles.mentee),
                int(profile.roles.coach),
                profile.model_dump_json(),
            ),
        )

    async def delete(self, profile_id: str) -> None:
        """Remove a profile."""
        await self.conn.execute("DELETE FROM profiles WHERE id = ?", (profile_id,))

    async def search(self, query: DirectoryQuery) -> list[Profile]:
        """Listed profiles matching ``query`` by sort key then id (at most ``limit + 1``)."""
        # Listed: confirmed address, or an imported coach not yet claimed (Account.listed).
        where: list[str] = ["(a.email_verified = 1 OR a.claimed = 0)"]
        params: list[Any] = []
        for column in ("department", "profession", "grade", "region"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"p.{column} = ? COLLATE NOCASE")
                params.append(value)
        if query.role is not None:
            where.append(f"p.is_{query.role} = 1")
        if query.excludes_anonymous:
            where.append("p.anonymous = 0")
        fragment = query.name_fragment
        if fragment:
            where.append("p.name_key LIKE ? ESCAPE '\\'")
            params.append(f"%{_like_escape(fragment)}%")
        if query.after is not None:
            where.append("(p.name_key > ? OR (p.name_key = ? AND p.id > ?))")
            params += [query.after.name_key, query.after.name_key, query.after.profile_id]
        sql = (
            "SELECT p.document FROM profiles p JOIN accounts a ON a.id = p.id "  # noqa: S608 - only fixed column names are interpolated
            f"WHERE {' AND '.join(where)} ORDER BY p.name_key, p.id LIMIT ?"
        )
        params.append(query.limit + 1)
        rows = await _all(self.conn, sql, tuple(params))
        return [Profile.model_validate_json(row["document"]) for row in rows]

    async def stats(self) -> ProfileStats:
        """Counts of people, roles and departments."""
        totals = await _one(
            self.conn,
            "SELECT count(*) AS users, coalesce(sum(a.email_verified), 0) AS verified, "
            "coalesce(sum(p.is_mentor), 0) AS mentors, coalesce(sum(p.is_mentee), 0) AS mentees, "
            "coalesce(sum(p.is_coach), 0) AS coaches "
            "FROM accounts a LEFT JOIN profiles p ON p.id = a.id",
            (),
        )
        departments = await _all(
            self.conn,
            "SELECT department, count(*) AS n FROM profiles WHERE department IS NOT NULL "
            "GROUP BY department ORDER BY department",
            (),
        )
        return ProfileStats(
            users=totals["users"],
            verified=totals["verified"],
            mentors=totals["mentors"],
            mentees=totals["mentees"],
            coaches=totals["coaches"],
            by_department={row["department"]: row["n"] for row in departments},
        )


class SqliteRefreshTokenRepository:
    """Refresh tokens on SQLite."""

    _COLUMNS = (
        "id",
        "account_id",
        "family_id",
        "token_hash",
        "issued_at",
        "expires_at",
        "rotated_at",
        "replaced_by",
        "revoked_at",
    )

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, token: RefreshToken) -> None:
        """Store a new token."""
        await self.save(token)

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        """The token with this hash, or None."""
        row = await _one(
            self.conn, "SELECT * FROM refresh_tokens WHERE token_hash = ?", (token_hash,)
        )
        return RefreshToken.model_validate(dict(row)) if row else None

    async def save(self, token: RefreshToken) -> None:
        """Insert or replace a token."""
        data = token.model_dump(mode="json")
        await self.conn.execute(
            f"INSERT OR REPLACE INTO refresh_tokens ({', '.join(self._COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in self._COLUMNS)})",
            tuple(data[column] for column in self._COLUMNS),
        )

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        """Revoke every live token of a family."""
        cursor = await self.conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
            (_iso(at), family_id),
        )
        return cursor.rowcount

    async def revoke_for_account(self, account_id: str, at: datetime) -> int:
        """Revoke every live token of an account."""
        cursor = await self.conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
            (_iso(at), account_id),
        )
        return cursor.rowcount

    async def list_for_account(self, account_id: str) -> list[RefreshToken]:
        """Every token of an account."""
        rows = await _all(
            self.conn,
            "SELECT * FROM refresh_tokens WHERE account_id = ? ORDER BY issued_at",
            (account_id,),
        )
        return [RefreshToken.model_validate(dict(row)) for row in rows]

    async def delete_for_account(self, account_id: str) -> None:
        """Remove every token of an account."""
        await self.conn.execute("DELETE FROM refresh_tokens WHERE account_id = ?", (account_id,))


class SqliteAccountTokenRepository:
    """Single-use emailed tokens on SQLite."""

    _COLUMNS = ("id", "account_id", "purpose", "token_hash", "issued_at", "expires_at", "used_at")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, token: AccountToken) -> None:
        """Store a new token."""
        await self.save(token)

    async def get_by_hash(self, token_hash: str) -> AccountToken | None:
        """The token with this hash, or None."""
        row = await _one(
            self.conn, "SELECT * FROM account_tokens WHERE token_hash = ?", (token_hash,)
        )
        return AccountToken.model_validate(dict(row)) if row else None

    async def save(self, token: AccountToken) -> None:
        """Insert or replace a token."""
        data = token.model_dump(mode="json")
        await self.conn.execute(
            f"INSERT OR REPLACE INTO account_tokens ({', '.join(self._COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in self._COLUMNS)})",
            tuple(data[column] for column in self._COLUMNS),
        )

    async def spend_unused(self, account_id: str, purpose: TokenPurpose, at: datetime) -> None:
        """Mark every unused token of this purpose used."""
        await self.conn.execute(
            "UPDATE account_tokens SET used_at = ? "
            "WHERE account_id = ? AND purpose = ? AND used_at IS NULL",
            (_iso(at), account_id, purpose),
        )

    async def delete_for_account(self, account_id: str) -> None:
        """Remove every token of an account."""
        await self.conn.execute("DELETE FROM account_tokens WHERE account_id = ?", (account_id,))


class SqliteContactGrantRepository:
    """Contact grants on SQLite."""

    _COLUMNS = ("match_id", "mentee_id", "mentor_id", "active", "granted_at", "ended_at")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self, match_id: str) -> ContactGrant | None:
        """The grant of a match, or None."""
        row = await _one(self.conn, "SELECT * FROM contact_grants WHERE match_id = ?", (match_id,))
        return ContactGrant.model_validate(dict(row)) if row else None

    async def save(self, grant: ContactGrant) -> None:
        """Insert or replace a grant."""
        data = grant.model_dump(mode="json")
        await self.conn.execute(
            f"INSERT OR REPLACE INTO contact_grants ({', '.join(self._COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in self._COLUMNS)})",
            tuple(data[column] for column in self._COLUMNS),
        )

    async def for_person(self, person_id: str) -> list[ContactGrant]:
        """Every grant naming the person."""
        rows = await _all(
            self.conn,
            "SELECT * FROM contact_grants WHERE mentee_id = ? OR mentor_id = ? ORDER BY granted_at",
            (person_id, person_id),
        )
        return [ContactGrant.model_validate(dict(row)) for row in rows]

    async def delete_for_person(self, person_id: str) -> int:
        """Remove every grant naming the person."""
        cursor = await self.conn.execute(
            "DELETE FROM contact_grants WHERE mentee_id = ? OR mentor_id = ?",
            (person_id, person_id),
        )
        return cursor.rowcount


class SqliteAllowedDomainRepository:
    """The allow-list on SQLite: one row per entry."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(self) -> AllowedDomains | None:
        """The list, or None before it was seeded (an empty list is never stored)."""
        rows = await _all(self.conn, "SELECT entry FROM allowed_domains", ())
        return AllowedDomains(row["entry"] for row in rows) if rows else None

    async def replace(self, domains: AllowedDomains) -> None:
        """Store the whole list."""
        await self.conn.execute("DELETE FROM allowed_domains")
        await self.conn.executemany(
            "INSERT INTO allowed_domains (entry) VALUES (?)",
            [(entry,) for entry in domains.entries()],
        )


class SqlitePendingCredentialRepository:
    """Registrations' pending credentials on SQLite."""

    _COLUMNS = ("token_id", "account_id", "password_hash", "display_name", "created_at")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, credential: PendingCredential) -> None:
        """Store a registration's credential."""
        data = credential.model_dump(mode="json")
        await self.conn.execute(
            f"INSERT INTO pending_credentials ({', '.join(self._COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join('?' for _ in self._COLUMNS)})",
            tuple(data[column] for column in self._COLUMNS),
        )

    async def for_token(self, token_id: str) -> PendingCredential | None:
        """The credential bound to a token, or None."""
        row = await _one(
            self.conn, "SELECT * FROM pending_credentials WHERE token_id = ?", (token_id,)
        )
        return PendingCredential.model_validate(dict(row)) if row else None

    async def latest_for_account(self, account_id: str) -> PendingCredential | None:
        """The most recent registration's credential, or None."""
        row = await _one(
            self.conn,
            "SELECT * FROM pending_credentials WHERE account_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (account_id,),
        )
        return PendingCredential.model_validate(dict(row)) if row else None

    async def delete_for_account(self, account_id: str) -> None:
        """Discard every pending credential of an account."""
        await self.conn.execute(
            "DELETE FROM pending_credentials WHERE account_id = ?", (account_id,)
        )


class SqliteErasedSubjectRepository:
    """Erased ids on SQLite (the shared ``erased_subjects`` table)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def mark(self, subject_id: str) -> None:
        """Record an erased id."""
        await mark_erased_sqlite(self.conn, subject_id)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return await is_erased_sqlite(self.conn, subject_id)


class SqliteInvitationRepository:
    """Coach imports and claim invitations on SQLite.

    ``position`` orders invitations across imports (the order they were made),
    so the sender releases the oldest import's first.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add_import(self, record: CoachImportRecord, invited: Sequence[str]) -> None:
        """Store an import and a pending invitation per account."""
        await self.conn.execute(
            "INSERT INTO coach_imports (id, created_at, created, updated, unchanged) "
            "VALUES (?, ?, ?, ?, ?)",
            (record.id, _iso(record.created_at), record.created, record.updated, record.unchanged),
        )
        row = await _one(self.conn, "SELECT max(position) AS last FROM claim_invitations", ())
        start = (row["last"] if row and row["last"] is not None else 0) + 1
        await self.conn.executemany(
            "INSERT OR IGNORE INTO claim_invitations (account_id, import_id, state, position) "
            "VALUES (?, ?, 'pending', ?)",
            [(account_id, record.id, start + n) for n, account_id in enumerate(invited)],
        )

    async def _progress(self, row: Any) -> ImportProgress:
        counts = {
            r["state"]: r["n"]
            for r in await _all(
                self.conn,
                "SELECT state, count(*) AS n FROM claim_invitations WHERE import_id = ? "
                "GROUP BY state",
                (row["id"],),
            )
        }
        return ImportProgress(
            record=CoachImportRecord(
                id=row["id"],
                created_at=datetime.fromisoformat(row["created_at"]),
                created=row["created"],
                updated=row["updated"],
                unchanged=row["unchanged"],
            ),
            send_requested_at=(
                datetime.fromisoformat(row["send_requested_at"])
                if row["send_requested_at"]
                else None
            ),
            pending=counts.get("pending", 0),
            queued=counts.get("queued", 0),
            sent=counts.get("sent", 0),
            skipped=counts.get("skipped", 0),
        )

    async def progress(self, import_id: str) -> ImportProgress | None:
        """An import and its invitation counts, or None."""
        row = await _one(self.conn, "SELECT * FROM coach_imports WHERE id = ?", (import_id,))
        return await self._progress(row) if row else None

    async def recent(self, limit: int) -> list[ImportProgress]:
        """The latest imports, newest first."""
        rows = await _all(
            self.conn,
            "SELECT * FROM coach_imports ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [await self._progress(row) for row in rows]

    async def queue(self, import_id: str, at: datetime) -> int:
        """Pending invitations of the import become queued."""
        await self.conn.execute(
            "UPDATE coach_imports SET send_requested_at = coalesce(send_requested_at, ?) "
            "WHERE id = ?",
            (_iso(at), import_id),
        )
        cursor = await self.conn.execute(
            "UPDATE claim_invitations SET state = 'queued' "
            "WHERE import_id = ? AND state = 'pending'",
            (import_id,),
        )
        return cursor.rowcount

    async def next_queued(self, limit: int) -> list[str]:
        """Queued invitations, oldest first."""
        rows = await _all(
            self.conn,
            "SELECT account_id FROM claim_invitations WHERE state = 'queued' "
            "ORDER BY position LIMIT ?",
            (limit,),
        )
        return [row["account_id"] for row in rows]

    async def settle(self, account_ids: Sequence[str], state: InvitationState) -> int:
        """Queued invitations become sent or skipped."""
        moved = 0
        for account_id in account_ids:
            cursor = await self.conn.execute(
                "UPDATE claim_invitations SET state = ? WHERE account_id = ? AND state = 'queued'",
                (state, account_id),
            )
            moved += cursor.rowcount
        return moved

    async def delete_for_account(self, account_id: str) -> None:
        """Forget a person's invitation."""
        await self.conn.execute("DELETE FROM claim_invitations WHERE account_id = ?", (account_id,))


class SqliteProfileUnitOfWork(SqliteUnitOfWork):
    """A write transaction on the profile service's SQLite file."""

    accounts: AccountRepository
    profiles: ProfileRepository
    refresh_tokens: RefreshTokenRepository
    account_tokens: AccountTokenRepository
    grants: ContactGrantRepository
    domains: AllowedDomainRepository
    erased: ErasedSubjectRepository
    pending_credentials: PendingCredentialRepository
    invitations: InvitationRepository

    def __init__(self, db: SqliteDatabase) -> None:
        super().__init__(db)

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's connection."""
        conn = self.conn
        self.accounts = SqliteAccountRepository(conn)
        self.profiles = SqliteProfileRepository(conn)
        self.refresh_tokens = SqliteRefreshTokenRepository(conn)
        self.account_tokens = SqliteAccountTokenRepository(conn)
        self.grants = SqliteContactGrantRepository(conn)
        self.domains = SqliteAllowedDomainRepository(conn)
        self.erased = SqliteErasedSubjectRepository(conn)
        self.pending_credentials = SqlitePendingCredentialRepository(conn)
        self.invitations = SqliteInvitationRepository(conn)
