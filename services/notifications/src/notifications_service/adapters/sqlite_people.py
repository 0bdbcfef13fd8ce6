"""What the SQLite store keeps of people: addresses, profile cards,
preferences and who was erased."""

from __future__ import annotations

from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from notifications_service.adapters.records import (
    SQLITE,
    card_from,
    card_record,
    contact_from,
    contact_record,
    preferences_from,
    preferences_record,
)
from notifications_service.adapters.sqlite_rows import SqliteRepository
from notifications_service.domain.model import Contact, Preferences, ProfileCard


class SqliteContactRepository(SqliteRepository):
    """Addresses in the ``contacts`` table."""

    async def upsert(self, contact: Contact) -> None:
        """Add or replace an address (``verified`` is kept once set)."""
        await self.insert_record(
            "contacts",
            contact_record(contact, SQLITE),
            on_conflict="(account_id) DO UPDATE SET email = excluded.email, "
            "display_name = excluded.display_name, verified = max(verified, excluded.verified)",
        )

    async def get(self, account_id: str) -> Contact | None:
        """An address, or None."""
        row = await self.fetch_row("SELECT * FROM contacts WHERE account_id = ?", (account_id,))
        return None if row is None else contact_from(row, SQLITE)

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        await self.update_rows("contacts", {"verified": 1}, "account_id = ?", account_id)

    async def delete(self, account_id: str) -> None:
        """Forget the address."""
        await self.delete_rows("contacts", "account_id = ?", account_id)


class SqliteProfileCardRepository(SqliteRepository):
    """Profile cards in ``profile_cards``; older versions never overwrite newer."""

    async def upsert(self, card: ProfileCard) -> bool:
        """Store unless a newer version is stored."""
        return await self.upsert_record(
            "profile_cards",
            card_record(card, SQLITE),
            "profile_id",
            only_if="excluded.version > profile_cards.version",
        )

    async def get(self, profile_id: str) -> ProfileCard | None:
        """A card, or None."""
        row = await self.fetch_row(
            "SELECT * FROM profile_cards WHERE profile_id = ?", (profile_id,)
        )
        return None if row is None else card_from(row, SQLITE)

    async def delete(self, profile_id: str) -> None:
        """Forget a card."""
        await self.delete_rows("profile_cards", "profile_id = ?", profile_id)


class SqlitePreferenceRepository(SqliteRepository):
    """Preferences in ``preferences`` (channels as a JSON object)."""

    async def get(self, account_id: str) -> Preferences:
        """Stored preferences, or the defaults."""
        row = await self.fetch_row("SELECT * FROM preferences WHERE account_id = ?", (account_id,))
        return Preferences(account_id) if row is None else preferences_from(row, SQLITE)

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        await self.upsert_record(
            "preferences", preferences_record(preferences, SQLITE), "account_id"
        )

    async def delete(self, account_id: str) -> None:
        """Forget preferences."""
        await self.delete_rows("preferences", "account_id = ?", account_id)


class SqliteErasedRepository(SqliteRepository):
    """Erased ids in ``erased_subjects`` (created by the shared store)."""

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        return await is_erased_sqlite(self.conn, subject_id)

    async def mark(self, subject_id: str) -> None:
        """Record an erasure in this transaction."""
        await mark_erased_sqlite(self.conn, subject_id)
