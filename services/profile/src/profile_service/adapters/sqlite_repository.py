"""The profile service's repositories on SQLite (the embedded default store).

Profiles are stored as their JSON document plus the columns the directory filters
and sorts on; everything else is plain columns. Times are ISO 8601 text in UTC.
Rows are made and read by :mod:`profile_service.adapters.mapping`; the tables are
in :mod:`profile_service.adapters.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.clock import to_text
from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from mentor_shared.storage.sqlite import Connection
from profile_service.adapters.mapping import (
    ACCOUNT,
    ACCOUNT_TOKEN,
    CONTACT_GRANT,
    PENDING_CREDENTIAL,
    REFRESH_TOKEN,
    Record,
    Stored,
    import_record_fields,
    load_import_progress,
    load_profile,
    profile_row,
)
from profile_service.domain.account_tokens import AccountToken, PendingCredential, TokenPurpose
from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import AllowedDomains, email_key
from profile_service.domain.directory import DirectoryQuery, ProfileStats
from profile_service.domain.grants import ContactGrant
from profile_service.domain.invitations import CoachImportRecord, ImportProgress, InvitationState
from profile_service.domain.profiles import Profile
from profile_service.domain.tokens import RefreshToken
from profile_service.service.ports import ProfileUnitOfWork

TokenT = TypeVar("TokenT", RefreshToken, AccountToken)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _all(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())


async def _one(conn: Connection, sql: str, params: tuple[Any, ...]) -> Any:
    rows = await _all(conn, sql, params)
    return rows[0] if rows else None


async def _write(
    conn: Connection, table: str, row: Record, *, verb: str = "INSERT OR REPLACE"
) -> None:
    """Write one row (column name -> value) into ``table``."""
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    await conn.execute(
        f"{verb} INTO {table} ({columns}) VALUES ({marks})",
        tuple(row.values()),
    )


class _SqliteRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn


class SqliteAccountRepository(_SqliteRepository):
    """Accounts on SQLite."""

    async def get(self, account_id: str) -> Account | None:
        """The account with this id, or None."""
        row = await _one(self.conn, "SELECT * FROM accounts WHERE id = ?", (account_id,))
        return ACCOUNT.load(row) if row else None

    async def get_by_email(self, email: str) -> Account | None:
        """The account with this address (any case), or None."""
        row = await _one(
            self.conn, "SELECT * FROM accounts WHERE email_key = ?", (email_key(email),)
        )
        return ACCOUNT.load(row) if row else None

    async def save(self, account: Account) -> None:
        """Insert or replace an account."""
        await _write(self.conn, "accounts", ACCOUNT.row(account))

    async def delete(self, account_id: str) -> None:
        """Remove an account."""
        await self.conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))


class SqliteProfileRepository(_SqliteRepository):
    """Profiles on SQLite."""

    async def get(self, profile_id: str) -> Profile | None:
        """The profile with this id, or None."""
        row = await _one(self.conn, "SELECT document FROM profiles WHERE id = ?", (profile_id,))
        return load_profile(row["document"]) if row else None

    async def save(self, profile: Profile) -> None:
        """Insert or replace a profile."""
        await _write(self.conn, "profiles", profile_row(profile))

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
        return [load_profile(row["document"]) for row in rows]

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


class _SqliteHashedTokens(_SqliteRepository, Generic[TokenT]):
    """Tokens found by the digest of their secret (refresh and emailed tokens)."""

    table: str
    stored: Stored[TokenT]

    async def add(self, token: TokenT) -> None:
        """Store a new token."""
        await self.save(token)

    async def get_by_hash(self, token_hash: str) -> TokenT | None:
        """The token with this hash, or None."""
        row = await _one(
            self.conn,
            f"SELECT * FROM {self.table} WHERE token_hash = ?",  # noqa: S608 - our table name
            (token_hash,),
        )
        return self.stored.load(row) if row else None

    async def save(self, token: TokenT) -> None:
        """Insert or replace a token."""
        await _write(self.conn, self.table, self.stored.row(token))

    async def delete_for_account(self, account_id: str) -> None:
        """Remove every token of an account."""
        await self.conn.execute(
            f"DELETE FROM {self.table} WHERE account_id = ?",  # noqa: S608 - our table name
            (account_id,),
        )


class SqliteRefreshTokenRepository(_SqliteHashedTokens[RefreshToken]):
    """Refresh tokens on SQLite."""

    table = "refresh_tokens"
    stored = REFRESH_TOKEN

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        """Revoke every live token of a family."""
        cursor = await self.conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
            (to_text(at), family_id),
        )
        return cursor.rowcount

    async def revoke_for_account(self, account_id: str, at: datetime) -> int:
        """Revoke every live token of an account."""
        cursor = await self.conn.execute(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
            (to_text(at), account_id),
        )
        return cursor.rowcount

    async def list_for_account(self, account_id: str) -> list[RefreshToken]:
        """Every token of an account."""
        rows = await _all(
            self.conn,
            "SELECT * FROM refresh_tokens WHERE account_id = ? ORDER BY issued_at",
            (account_id,),
        )
        return [REFRESH_TOKEN.load(row) for row in rows]


class SqliteAccountTokenRepository(_SqliteHashedTokens[AccountToken]):
    """Single-use emailed tokens on SQLite."""

    table = "account_tokens"
    stored = ACCOUNT_TOKEN

    async def spend_unused(self, account_id: str, purpose: TokenPurpose, at: datetime) -> None:
        """Mark every unused token of this purpose used."""
        await self.conn.execute(
            "UPDATE account_tokens SET used_at = ? "
            "WHERE account_id = ? AND purpose = ? AND used_at IS NULL",
            (to_text(at), account_id, purpose),
        )


class SqliteContactGrantRepository(_SqliteRepository):
    """Contact grants on SQLite."""

    async def get(self, match_id: str) -> ContactGrant | None:
        """The grant of a match, or None."""
        row = await _one(self.conn, "SELECT * FROM contact_grants WHERE match_id = ?", (match_id,))
        return CONTACT_GRANT.load(row) if row else None

    async def save(self, grant: ContactGrant) -> None:
        """Insert or replace a grant."""
        await _write(self.conn, "contact_grants", CONTACT_GRANT.row(grant))

    async def for_person(self, person_id: str) -> list[ContactGrant]:
        """Every grant naming the person."""
        rows = await _all(
            self.conn,
            "SELECT * FROM contact_grants WHERE mentee_id = ? OR mentor_id = ? ORDER BY granted_at",
            (person_id, person_id),
        )
        return [CONTACT_GRANT.load(row) for row in rows]

    async def delete_for_person(self, person_id: str) -> int:
        """Remove every grant naming the person."""
        cursor = await self.conn.execute(
            "DELETE FROM contact_grants WHERE mentee_id = ? OR mentor_id = ?",
            (person_id, person_id),
        )
        return cursor.rowcount


class SqliteAllowedDomainRepository(_SqliteRepository):
    """The allow-list on SQLite: one row per entry."""

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


class SqlitePendingCredentialRepository(_SqliteRepository):
    """Registrations' pending credentials on SQLite."""

    async def add(self, credential: PendingCredential) -> None:
        """Store a registration's credential."""
        await _write(
            self.conn, "pending_credentials", PENDING_CREDENTIAL.row(credential), verb="INSERT"
        )

    async def for_token(self, token_id: str) -> PendingCredential | None:
        """The credential bound to a token, or None."""
        row = await _one(
            self.conn, "SELECT * FROM pending_credentials WHERE token_id = ?", (token_id,)
        )
        return PENDING_CREDENTIAL.load(row) if row else None

    async def latest_for_account(self, account_id: str) -> PendingCredential | None:
        """The most recent registration's credential, or None."""
        row = await _one(
            self.conn,
            "SELECT * FROM pending_credentials WHERE account_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (account_id,),
        )
        return PENDING_CREDENTIAL.load(row) if row else None

    async def delete_for_account(self, account_id: str) -> None:
        """Discard every pending credential of an account."""
        await self.conn.execute(
            "DELETE FROM pending_credentials WHERE account_id = ?", (account_id,)
        )


class SqliteErasedSubjectRepository(_SqliteRepository):
    """Erased ids on SQLite (the shared ``erased_subjects`` table)."""

    async def mark(self, subject_id: str) -> None:
        """Record an erased id."""
        await mark_erased_sqlite(self.conn, subject_id)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return await is_erased_sqlite(self.conn, subject_id)


class SqliteInvitationRepository(_SqliteRepository):
    """Coach imports and claim invitations on SQLite.

    ``position`` orders invitations across imports (the order they were made),
    so the sender releases the oldest import's first.
    """

    async def add_import(self, record: CoachImportRecord, invited: Sequence[str]) -> None:
        """Store an import and a pending invitation per account."""
        await _write(
            self.conn,
            "coach_imports",
            {
                "id": record.id,
                **import_record_fields(record),
                "created_at": to_text(record.created_at),
            },
            verb="INSERT",
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
        return load_import_progress(row, counts)

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
            (to_text(at), import_id),
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


class SqliteProfileUnitOfWork(SqliteUnitOfWork, ProfileUnitOfWork):
    """A write transaction on the profile service's SQLite file."""

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
