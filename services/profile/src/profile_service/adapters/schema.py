"""The profile service's schema, for SQLite and MongoDB, and its ladder.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.erasure import ERASED_SQL
from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Ladder, Step

Document = dict[str, Any]

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
    # a step in this ladder that brings older files to it.
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


async def ensure_mongo_indexes(db: AsyncDatabase[Document]) -> None:
    """Unique and lookup indexes (idempotent): step 1 of the ladder."""
    await db.accounts.create_index("email_key", unique=True)
    await db.profiles.create_index([("name_key", ASCENDING), ("_id", ASCENDING)])
    await db.profiles.create_index([("department", ASCENDING), ("name_key", ASCENDING)])
    await db.refresh_tokens.create_index("token_hash", unique=True)
    await db.refresh_tokens.create_index("family_id")
    await db.refresh_tokens.create_index("account_id")
    await db.account_tokens.create_index("token_hash", unique=True)
    await db.account_tokens.create_index("account_id")
    await db.contact_grants.create_index("mentee_id")
    await db.contact_grants.create_index("mentor_id")
    await db.pending_credentials.create_index(
        [("account_id", ASCENDING), ("created_at", ASCENDING)]
    )


async def ensure_mongo_invitation_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes of coach imports and claim invitations: step 3 of the ladder."""
    await db.coach_imports.create_index("created_at")
    await db.claim_invitations.create_index([("import_id", ASCENDING), ("state", ASCENDING)])
    await db.claim_invitations.create_index([("state", ASCENDING), ("position", ASCENDING)])
    await db.claim_invitations.create_index("position")


async def _drop_sign_in_failures(db: AsyncDatabase[Document]) -> None:
    await db.drop_collection("sign_in_failures")


LADDER = Ladder(
    "profile",
    [
        baseline_step(SQLITE_SCHEMA, ensure_mongo_indexes),
        # Sign-in failures are counted by the shared rate limiter now; this table
        # held addresses in clear, so it goes rather than lingering.
        Step(
            "drop sign_in_failures (addresses in clear)",
            sqlite=["DROP TABLE IF EXISTS sign_in_failures;"],
            mongo=[_drop_sign_in_failures],
        ),
        OUTBOX_LANES,
        Step(
            "coach imports and claim invitations",
            sqlite=[INVITATIONS_SQL],
            mongo=[ensure_mongo_invitation_indexes],
        ),
    ],
)
