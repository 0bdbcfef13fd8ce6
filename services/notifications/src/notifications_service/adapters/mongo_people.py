"""What the MongoDB store keeps of people: addresses, profile cards,
preferences and who was erased."""

from __future__ import annotations

from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from notifications_service.adapters.mongo_documents import MongoRepository
from notifications_service.adapters.records import (
    MONGO,
    card_from,
    card_record,
    contact_from,
    contact_record,
    preferences_from,
    preferences_record,
)
from notifications_service.domain.model import Contact, Preferences, ProfileCard


class MongoContactRepository(MongoRepository):
    """Addresses in ``contacts``."""

    async def upsert(self, contact: Contact) -> None:
        """Add or replace an address (``verified`` kept once set)."""
        doc = contact_record(contact, MONGO)
        verified = doc.pop("verified")
        await self.db.contacts.update_one(
            {"_id": doc.pop("_id")},
            {"$set": doc, "$max": {"verified": verified}},
            upsert=True,
            session=self.session,
        )

    async def get(self, account_id: str) -> Contact | None:
        """An address, or None."""
        doc = await self.db.contacts.find_one({"_id": account_id}, session=self.session)
        return None if doc is None else contact_from(doc, MONGO)

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        await self.db.contacts.update_one(
            {"_id": account_id}, {"$set": {"verified": True}}, session=self.session
        )

    async def delete(self, account_id: str) -> None:
        """Forget the address."""
        await self.db.contacts.delete_one({"_id": account_id}, session=self.session)


class MongoProfileCardRepository(MongoRepository):
    """Cards in ``profile_cards``; older versions never overwrite newer."""

    async def upsert(self, card: ProfileCard) -> bool:
        """Store unless a newer or equal version is stored."""
        current = await self.db.profile_cards.find_one(
            {"_id": card.profile_id}, session=self.session
        )
        if current is not None and current["version"] >= card.version:
            return False
        await self.db.profile_cards.replace_one(
            {"_id": card.profile_id},
            card_record(card, MONGO),
            upsert=True,
            session=self.session,
        )
        return True

    async def get(self, profile_id: str) -> ProfileCard | None:
        """A card, or None."""
        doc = await self.db.profile_cards.find_one({"_id": profile_id}, session=self.session)
        return None if doc is None else card_from(doc, MONGO)

    async def delete(self, profile_id: str) -> None:
        """Forget a card."""
        await self.db.profile_cards.delete_one({"_id": profile_id}, session=self.session)


class MongoPreferenceRepository(MongoRepository):
    """Preferences in ``preferences``."""

    async def get(self, account_id: str) -> Preferences:
        """Stored preferences, or the defaults."""
        doc = await self.db.preferences.find_one({"_id": account_id}, session=self.session)
        return Preferences(account_id) if doc is None else preferences_from(doc, MONGO)

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        await self.db.preferences.replace_one(
            {"_id": preferences.account_id},
            preferences_record(preferences, MONGO),
            upsert=True,
            session=self.session,
        )

    async def delete(self, account_id: str) -> None:
        """Forget preferences."""
        await self.db.preferences.delete_one({"_id": account_id}, session=self.session)


class MongoErasedRepository(MongoRepository):
    """Erased ids in ``erased_subjects``."""

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        return await is_erased_mongo(self.db, subject_id, session=self.session)

    async def mark(self, subject_id: str) -> None:
        """Record an erasure in this transaction."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)
