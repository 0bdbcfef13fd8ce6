"""The profile service's repositories on MongoDB (production store).

Every call passes the unit of work's session, so state, outbox and inbox commit in
one multi-document transaction. Documents mirror the SQLite columns (both made and
read by :mod:`profile_service.adapters.mapping`); profiles keep the search fields
beside the document, as in SQLite. Indexes are in :mod:`profile_service.adapters.schema`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.bus.mongo_store import MongoUnitOfWork
from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from profile_service.adapters.mapping import (
    ACCOUNT,
    ACCOUNT_TOKEN,
    CONTACT_GRANT,
    PENDING_CREDENTIAL,
    REFRESH_TOKEN,
    Stored,
    import_record_fields,
    load_import_progress,
    load_profile,
    profile_document,
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

Document = dict[str, Any]
TokenT = TypeVar("TokenT", RefreshToken, AccountToken)


class _MongoRepository:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.db = db
        self.session = session

    async def _replace(self, collection: str, doc: Document) -> None:
        """Insert or replace the document with ``doc``'s ``_id``."""
        await self.db[collection].replace_one(
            {"_id": doc["_id"]}, doc, upsert=True, session=self.session
        )


class MongoAccountRepository(_MongoRepository):
    """Accounts on MongoDB (``_id`` = account id, unique ``email_key``)."""

    async def get(self, account_id: str) -> Account | None:
        """The account with this id, or None."""
        doc = await self.db.accounts.find_one({"_id": account_id}, session=self.session)
        return ACCOUNT.load(doc) if doc else None

    async def get_by_email(self, email: str) -> Account | None:
        """The account with this address (any case), or None."""
        doc = await self.db.accounts.find_one({"email_key": email_key(email)}, session=self.session)
        return ACCOUNT.load(doc) if doc else None

    async def save(self, account: Account) -> None:
        """Insert or replace an account."""
        await self._replace("accounts", ACCOUNT.document(account))

    async def delete(self, account_id: str) -> None:
        """Remove an account."""
        await self.db.accounts.delete_one({"_id": account_id}, session=self.session)


class MongoProfileRepository(_MongoRepository):
    """Profiles on MongoDB: the JSON document plus search fields."""

    async def get(self, profile_id: str) -> Profile | None:
        """The profile with this id, or None."""
        doc = await self.db.profiles.find_one({"_id": profile_id}, session=self.session)
        return load_profile(doc["document"]) if doc else None

    async def save(self, profile: Profile) -> None:
        """Insert or replace a profile."""
        await self._replace("profiles", profile_document(profile))

    async def delete(self, profile_id: str) -> None:
        """Remove a profile."""
        await self.db.profiles.delete_one({"_id": profile_id}, session=self.session)

    async def search(self, query: DirectoryQuery) -> list[Profile]:
        """Listed profiles matching ``query`` by sort key then id (at most ``limit + 1``)."""
        conditions: list[Document] = []
        for field in ("department", "profession", "grade", "region"):
            value = getattr(query, field)
            if value is not None:
                conditions.append({field: {"$regex": f"^{re.escape(value)}$", "$options": "i"}})
        if query.role is not None:
            conditions.append({f"is_{query.role}": True})
        if query.excludes_anonymous:
            conditions.append({"anonymous": False})
        fragment = query.name_fragment
        if fragment:
            conditions.append({"name_key": {"$regex": re.escape(fragment)}})
        if query.after is not None:
            conditions.append(
                {
                    "$or": [
                        {"name_key": {"$gt": query.after.name_key}},
                        {"name_key": query.after.name_key, "_id": {"$gt": query.after.profile_id}},
                    ]
                }
            )
        # Listed (Account.listed) lives on the account: joined after the index-ordered
        # match, so the scan stops as soon as the page is full.
        pipeline: list[Document] = [
            {"$match": {"$and": conditions} if conditions else {}},
            {"$sort": {"name_key": ASCENDING, "_id": ASCENDING}},
            {
                "$lookup": {
                    "from": "accounts",
                    "localField": "_id",
                    "foreignField": "_id",
                    "as": "account",
                    "pipeline": [{"$project": {"email_verified": 1, "claimed": 1}}],
                }
            },
            {
                "$match": {
                    "$or": [
                        {"account.email_verified": True},
                        {"account.claimed": False},
                    ]
                }
            },
            {"$limit": query.limit + 1},
            {"$project": {"document": 1}},
        ]
        cursor = await self.db.profiles.aggregate(pipeline, session=self.session)
        return [load_profile(doc["document"]) async for doc in cursor]

    async def stats(self) -> ProfileStats:
        """Counts of people, roles and departments."""
        users = await self.db.accounts.count_documents({}, session=self.session)
        verified = await self.db.accounts.count_documents(
            {"email_verified": True}, session=self.session
        )
        counts = {
            role: await self.db.profiles.count_documents({f"is_{role}": True}, session=self.session)
            for role in ("mentor", "mentee", "coach")
        }
        by_department: dict[str, int] = {}
        pipeline: list[Document] = [
            {"$match": {"department": {"$ne": None}}},
            {"$group": {"_id": "$department", "n": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ]
        cursor = await self.db.profiles.aggregate(pipeline, session=self.session)
        async for row in cursor:
            by_department[row["_id"]] = row["n"]
        return ProfileStats(
            users=users,
            verified=verified,
            mentors=counts["mentor"],
            mentees=counts["mentee"],
            coaches=counts["coach"],
            by_department=by_department,
        )


class _MongoHashedTokens(_MongoRepository, Generic[TokenT]):
    """Tokens found by the digest of their secret (refresh and emailed tokens)."""

    collection: str
    stored: Stored[TokenT]

    async def add(self, token: TokenT) -> None:
        """Store a new token."""
        await self.save(token)

    async def get_by_hash(self, token_hash: str) -> TokenT | None:
        """The token with this hash, or None."""
        doc = await self.db[self.collection].find_one(
            {"token_hash": token_hash}, session=self.session
        )
        return self.stored.load(doc) if doc else None

    async def save(self, token: TokenT) -> None:
        """Insert or replace a token."""
        await self._replace(self.collection, self.stored.document(token))

    async def delete_for_account(self, account_id: str) -> None:
        """Remove every token of an account."""
        await self.db[self.collection].delete_many({"account_id": account_id}, session=self.session)


class MongoRefreshTokenRepository(_MongoHashedTokens[RefreshToken]):
    """Refresh tokens on MongoDB."""

    collection = "refresh_tokens"
    stored = REFRESH_TOKEN

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        """Revoke every live token of a family."""
        return await self._revoke("family_id", family_id, at)

    async def revoke_for_account(self, account_id: str, at: datetime) -> int:
        """Revoke every live token of an account."""
        return await self._revoke("account_id", account_id, at)

    async def _revoke(self, field: str, value: str, at: datetime) -> int:
        result = await self.db.refresh_tokens.update_many(
            {field: value, "revoked_at": None}, {"$set": {"revoked_at": at}}, session=self.session
        )
        return result.modified_count

    async def list_for_account(self, account_id: str) -> list[RefreshToken]:
        """Every token of an account."""
        cursor = self.db.refresh_tokens.find({"account_id": account_id}, session=self.session).sort(
            "issued_at", ASCENDING
        )
        return [REFRESH_TOKEN.load(doc) async for doc in cursor]


class MongoAccountTokenRepository(_MongoHashedTokens[AccountToken]):
    """Single-use emailed tokens on MongoDB."""

    collection = "account_tokens"
    stored = ACCOUNT_TOKEN

    async def spend_unused(self, account_id: str, purpose: TokenPurpose, at: datetime) -> None:
        """Mark every unused token of this purpose used."""
        await self.db.account_tokens.update_many(
            {"account_id": account_id, "purpose": purpose, "used_at": None},
            {"$set": {"used_at": at}},
            session=self.session,
        )


class MongoContactGrantRepository(_MongoRepository):
    """Contact grants on MongoDB (``_id`` = match id)."""

    async def get(self, match_id: str) -> ContactGrant | None:
        """The grant of a match, or None."""
        doc = await self.db.contact_grants.find_one({"_id": match_id}, session=self.session)
        return CONTACT_GRANT.load(doc) if doc else None

    async def save(self, grant: ContactGrant) -> None:
        """Insert or replace a grant."""
        await self._replace("contact_grants", CONTACT_GRANT.document(grant))

    async def for_person(self, person_id: str) -> list[ContactGrant]:
        """Every grant naming the person."""
        cursor = self.db.contact_grants.find(
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}, session=self.session
        ).sort("granted_at", ASCENDING)
        return [CONTACT_GRANT.load(doc) async for doc in cursor]

    async def delete_for_person(self, person_id: str) -> int:
        """Remove every grant naming the person."""
        result = await self.db.contact_grants.delete_many(
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}, session=self.session
        )
        return result.deleted_count


class MongoAllowedDomainRepository(_MongoRepository):
    """The allow-list on MongoDB: one settings document."""

    async def get(self) -> AllowedDomains | None:
        """The list, or None before it was seeded."""
        doc = await self.db.settings.find_one({"_id": "allowed_domains"}, session=self.session)
        return AllowedDomains(doc["entries"]) if doc else None

    async def replace(self, domains: AllowedDomains) -> None:
        """Store the whole list."""
        await self.db.settings.replace_one(
            {"_id": "allowed_domains"},
            {"_id": "allowed_domains", "entries": domains.entries()},
            upsert=True,
            session=self.session,
        )


class MongoPendingCredentialRepository(_MongoRepository):
    """Registrations' pending credentials on MongoDB (``_id`` = token id)."""

    async def add(self, credential: PendingCredential) -> None:
        """Store a registration's credential."""
        await self.db.pending_credentials.insert_one(
            PENDING_CREDENTIAL.document(credential), session=self.session
        )

    async def for_token(self, token_id: str) -> PendingCredential | None:
        """The credential bound to a token, or None."""
        doc = await self.db.pending_credentials.find_one({"_id": token_id}, session=self.session)
        return PENDING_CREDENTIAL.load(doc) if doc else None

    async def latest_for_account(self, account_id: str) -> PendingCredential | None:
        """The most recent registration's credential, or None."""
        cursor = (
            self.db.pending_credentials.find({"account_id": account_id}, session=self.session)
            .sort("created_at", DESCENDING)
            .limit(1)
        )
        docs = [doc async for doc in cursor]
        return PENDING_CREDENTIAL.load(docs[0]) if docs else None

    async def delete_for_account(self, account_id: str) -> None:
        """Discard every pending credential of an account."""
        await self.db.pending_credentials.delete_many(
            {"account_id": account_id}, session=self.session
        )


class MongoErasedSubjectRepository(_MongoRepository):
    """Erased ids on MongoDB (the shared ``erased_subjects`` collection)."""

    async def mark(self, subject_id: str) -> None:
        """Record an erased id."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return await is_erased_mongo(self.db, subject_id, session=self.session)


class MongoInvitationRepository(_MongoRepository):
    """Coach imports (``coach_imports``) and claim invitations (``claim_invitations``,
    ``_id`` = account id, ``position`` orders them across imports), as on SQLite."""

    async def add_import(self, record: CoachImportRecord, invited: Sequence[str]) -> None:
        """Store an import and a pending invitation per account."""
        await self.db.coach_imports.insert_one(
            {"_id": record.id, **import_record_fields(record), "send_requested_at": None},
            session=self.session,
        )
        last = await self.db.claim_invitations.find_one(
            {}, sort=[("position", DESCENDING)], session=self.session
        )
        start = (last["position"] if last else 0) + 1
        existing = {
            doc["_id"]
            async for doc in self.db.claim_invitations.find(
                {"_id": {"$in": list(invited)}}, {"_id": 1}, session=self.session
            )
        }
        docs = [
            {"_id": account_id, "import_id": record.id, "state": "pending", "position": start + n}
            for n, account_id in enumerate(invited)
            if account_id not in existing
        ]
        if docs:
            await self.db.claim_invitations.insert_many(docs, session=self.session)

    async def _progress(self, doc: Document) -> ImportProgress:
        counts = {
            row["_id"]: row["n"]
            async for row in await self.db.claim_invitations.aggregate(
                [
                    {"$match": {"import_id": doc["_id"]}},
                    {"$group": {"_id": "$state", "n": {"$sum": 1}}},
                ],
                session=self.session,
            )
        }
        return load_import_progress(doc, counts)

    async def progress(self, import_id: str) -> ImportProgress | None:
        """An import and its invitation counts, or None."""
        doc = await self.db.coach_imports.find_one({"_id": import_id}, session=self.session)
        return await self._progress(doc) if doc else None

    async def recent(self, limit: int) -> list[ImportProgress]:
        """The latest imports, newest first."""
        cursor = (
            self.db.coach_imports.find({}, session=self.session)
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [await self._progress(doc) async for doc in cursor]

    async def queue(self, import_id: str, at: datetime) -> int:
        """Pending invitations of the import become queued."""
        await self.db.coach_imports.update_one(
            {"_id": import_id, "send_requested_at": None},
            {"$set": {"send_requested_at": at}},
            session=self.session,
        )
        result = await self.db.claim_invitations.update_many(
            {"import_id": import_id, "state": "pending"},
            {"$set": {"state": "queued"}},
            session=self.session,
        )
        return result.modified_count

    async def next_queued(self, limit: int) -> list[str]:
        """Queued invitations, oldest first."""
        cursor = (
            self.db.claim_invitations.find({"state": "queued"}, {"_id": 1}, session=self.session)
            .sort("position", ASCENDING)
            .limit(limit)
        )
        return [doc["_id"] async for doc in cursor]

    async def settle(self, account_ids: Sequence[str], state: InvitationState) -> int:
        """Queued invitations become sent or skipped."""
        result = await self.db.claim_invitations.update_many(
            {"_id": {"$in": list(account_ids)}, "state": "queued"},
            {"$set": {"state": state}},
            session=self.session,
        )
        return result.modified_count

    async def delete_for_account(self, account_id: str) -> None:
        """Forget a person's invitation."""
        await self.db.claim_invitations.delete_one({"_id": account_id}, session=self.session)


class MongoProfileUnitOfWork(MongoUnitOfWork, ProfileUnitOfWork):
    """A MongoDB transaction with the profile service's repositories."""

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's session."""
        db, session = self.db, self.session
        self.accounts = MongoAccountRepository(db, session)
        self.profiles = MongoProfileRepository(db, session)
        self.refresh_tokens = MongoRefreshTokenRepository(db, session)
        self.account_tokens = MongoAccountTokenRepository(db, session)
        self.grants = MongoContactGrantRepository(db, session)
        self.domains = MongoAllowedDomainRepository(db, session)
        self.erased = MongoErasedSubjectRepository(db, session)
        self.pending_credentials = MongoPendingCredentialRepository(db, session)
        self.invitations = MongoInvitationRepository(db, session)
