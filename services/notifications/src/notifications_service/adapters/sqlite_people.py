"""What the SQLite store keeps of people: addresses, profile cards,
preferences and who was erased."""

from __future__ import annotations

from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from notifications_service.adapters.records import (
    CARD,
    CONTACT,
    PREFERENCES,
    SQLITE,
)
from notifications_service.adapters.sqlite_rows import SqliteRepository, SqliteTable
from notifications_service.domain.model import Contact, Preferences, ProfileCard


class SqliteContactRepository(SqliteTable[Contact], table="contacts", shape=CONTACT):
    """Addresses in the ``contacts`` table."""

    async def upsert(self, contact: Contact) -> None:
        """Add or replace an address (``verified`` is kept once set)."""
        await self.insert_record(
            "contacts",
            CONTACT.record(contact, SQLITE),
            on_conflict="(account_id) DO UPDATE SET email = excluded.email, "
            "display_name = excluded.display_name, verified = max(verified, excluded.verified)",
        )

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        await self.update_rows("contacts", {"verified": 1}, "account_id = ?", account_id)


class SqliteProfileCardRepository(SqliteTable[ProfileCard], table="profile_cards", shape=CARD):
    """Profile cards in ``profile_cards``; older versions never overwrite newer."""

    async def upsert(self, card: ProfileCard) -> bool:
        """Store unless a newer version is stored."""
        return await self.upsert_record(
            "profile_cards",
            CARD.record(card, SQLITE),
            "profile_id",
            only_if="excluded.version > profile_cards.version",
        )


class SqlitePreferenceRepository(SqliteTable[Preferences], table="preferences", shape=PREFERENCES):
    """Preferences in ``preferences`` (channels as a JSON object)."""

    async def get(self, account_id: str) -> Preferences:
        """Stored preferences, or the defaults."""
        return await super().get(account_id) or Preferences(account_id)

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        await self.upsert_record(
            "preferences", PREFERENCES.record(preferences, SQLITE), "account_id"
        )


class SqliteErasedRepository(SqliteRepository):
    """Erased ids in ``erased_subjects`` (created by the shared store)."""

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        return await is_erased_sqlite(self.conn, subject_id)

    async def mark(self, subject_id: str) -> None:
        """Record an erasure in this transaction."""
        await mark_erased_sqlite(self.conn, subject_id)
