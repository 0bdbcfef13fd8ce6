"""What the MongoDB store keeps of people: addresses, profile cards,
preferences and who was erased."""

from __future__ import annotations

from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from notifications_service.adapters.mongo_documents import MongoCollection, MongoRepository
from notifications_service.adapters.records import (
    CARD,
    CONTACT,
    MONGO,
    PREFERENCES,
)
from notifications_service.domain.model import Contact, Preferences, ProfileCard


class MongoContactRepository(MongoCollection[Contact], collection="contacts", shape=CONTACT):
    """Addresses in ``contacts``."""

    async def upsert(self, contact: Contact) -> None:
        """Add or replace an address (``verified`` kept once set)."""
        doc = CONTACT.record(contact, MONGO)
        verified = doc.pop("verified")
        await self.db.contacts.update_one(
            {"_id": doc.pop("_id")},
            {"$set": doc, "$max": {"verified": verified}},
            upsert=True,
            session=self.session,
        )

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        await self.db.contacts.update_one(
            {"_id": account_id}, {"$set": {"verified": True}}, session=self.session
        )


class MongoProfileCardRepository(
    MongoCollection[ProfileCard], collection="profile_cards", shape=CARD
):
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
            CARD.record(card, MONGO),
            upsert=True,
            session=self.session,
        )
        return True


class MongoPreferenceRepository(
    MongoCollection[Preferences], collection="preferences", shape=PREFERENCES
):
    """Preferences in ``preferences``."""

    async def get(self, account_id: str) -> Preferences:
        """Stored preferences, or the defaults."""
        return await super().get(account_id) or Preferences(account_id)

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        await self.db.preferences.replace_one(
            {"_id": preferences.account_id},
            PREFERENCES.record(preferences, MONGO),
            upsert=True,
            session=self.session,
        )


class MongoErasedRepository(MongoRepository):
    """Erased ids in ``erased_subjects``."""

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        return await is_erased_mongo(self.db, subject_id, session=self.session)

    async def mark(self, subject_id: str) -> None:
        """Record an erasure in this transaction."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)
