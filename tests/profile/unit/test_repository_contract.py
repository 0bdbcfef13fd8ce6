"""One contract for the profile repositories, run against every store that can run here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.adapters.schema import SQLITE_SCHEMA
from profile_service.adapters.sqlite_repository import SqliteProfileUnitOfWork
from profile_service.domain.account_tokens import AccountToken, PendingCredential
from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import AllowedDomains, parse_email
from profile_service.domain.directory import DirectoryPosition, DirectoryQuery
from profile_service.domain.grants import ContactGrant
from profile_service.domain.invitations import CoachImportRecord
from profile_service.domain.profiles import Profile, ProfileUpdate
from profile_service.domain.reference import default_reference_data
from profile_service.domain.tokens import RefreshToken
from profile_service.service.ports import ProfileUnitOfWork

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
REFERENCE = default_reference_data()


async def save_person(
    uow: ProfileUnitOfWork, profile: Profile, *, verified: bool = True, imported: bool = False
) -> None:
    """A profile with its account (the directory lists only confirmed people and imports)."""
    email = parse_email(f"{profile.id}@co.gov.uk")
    account = (
        Account.import_(
            profile.id, email, profile.display_name, ProfileUpdate(), REFERENCE, now=NOW
        )
        if imported
        else Account.register(
            profile.id, email, display_name=profile.display_name, password_hash="hash", now=NOW
        )
    ).account
    await uow.accounts.save(account.verify_email(now=NOW) if verified else account)
    await uow.profiles.save(profile)


class RepositoryContract:
    """Subclass with a ``work`` fixture yielding a factory of fresh units of work."""

    async def test_accounts_are_found_by_id_and_by_address_in_any_case(self, work: Any) -> None:
        account = Account.register(
            "a1", parse_email("Ada@CO.gov.uk"), display_name="Ada", password_hash="hash", now=NOW
        ).account
        async with work() as uow:
            await uow.accounts.save(account)
            await uow.commit()
        async with work() as uow:
            assert await uow.accounts.get("a1") == account
            assert await uow.accounts.get_by_email("ADA@co.gov.uk") == account
            await uow.accounts.delete("a1")
            assert await uow.accounts.get("a1") is None

    async def test_directory_orders_by_name_and_resumes_after_a_position(self, work: Any) -> None:
        async with work() as uow:
            for index, name in enumerate(["Cy", "amy", "Bea"]):
                await save_person(uow, Profile.new(f"p{index}", name))
            await uow.commit()
        async with work() as uow:
            first = await uow.profiles.search(DirectoryQuery(limit=1))
            assert [p.display_name for p in first] == ["amy", "Bea"]
            after = DirectoryPosition.after(first[0])
            rest = await uow.profiles.search(DirectoryQuery(after=after, limit=5))
            assert [p.display_name for p in rest] == ["Bea", "Cy"]
            assert [p.id for p in await uow.profiles.search(DirectoryQuery(q="E"))] == ["p2"]

    async def test_directory_lists_confirmed_people_and_unclaimed_imports_only(
        self, work: Any
    ) -> None:
        async with work() as uow:
            await save_person(uow, Profile.new("confirmed", "Ann Confirmed"))
            await save_person(uow, Profile.new("unconfirmed", "Ann Unconfirmed"), verified=False)
            await save_person(
                uow, Profile.new("imported", "Ann Imported"), imported=True, verified=False
            )
            await uow.profiles.save(Profile.new("orphan", "Ann Orphan"))  # no account at all
            await uow.commit()
        async with work() as uow:
            listed = await uow.profiles.search(DirectoryQuery(q="ann"))
            everyone = await uow.profiles.search(DirectoryQuery())
        assert [p.id for p in listed] == ["confirmed", "imported"]
        assert [p.id for p in everyone] == ["confirmed", "imported"]

    async def test_anonymous_people_sit_in_name_order_by_their_initials(self, work: Any) -> None:
        # By full name "adam zane" would sit between the two, telling its first name.
        hidden = Profile.new("hidden", "Adam Zane").model_copy(update={"anonymous": True})
        async with work() as uow:
            await save_person(uow, Profile.new("bell", "Adam Bell"))
            await save_person(uow, Profile.new("cole", "Ava Cole"))
            await save_person(uow, hidden)
            await uow.commit()
        async with work() as uow:
            order = [p.id for p in await uow.profiles.search(DirectoryQuery())]
            by_name = await uow.profiles.search(DirectoryQuery(q="adam"))
        assert order == ["hidden", "bell", "cole"]  # "a. z." before "adam bell"
        assert [p.id for p in by_name] == ["bell"]

    async def test_erased_ids_are_remembered_once_committed(self, work: Any) -> None:
        async with work() as uow:
            await uow.erased.mark("gone")
            assert await uow.erased.contains("gone")
        async with work() as uow:
            assert not await uow.erased.contains("gone"), "rolled back with its transaction"
            await uow.erased.mark("gone")
            await uow.erased.mark("gone")  # twice is once
            await uow.commit()
        async with work() as uow:
            assert await uow.erased.contains("gone")
            assert not await uow.erased.contains("other")

    async def test_refresh_family_revocation_touches_only_that_family(self, work: Any) -> None:
        one = RefreshToken.issue("a1", now=NOW).record
        two = RefreshToken.issue("a1", now=NOW).record
        async with work() as uow:
            await uow.refresh_tokens.add(one)
            await uow.refresh_tokens.add(two)
            assert await uow.refresh_tokens.revoke_family(one.family_id, NOW) == 1
            await uow.commit()
        async with work() as uow:
            stored_one = await uow.refresh_tokens.get_by_hash(one.token_hash)
            stored_two = await uow.refresh_tokens.get_by_hash(two.token_hash)
            assert stored_one is not None
            assert stored_one.revoked_at == NOW
            assert stored_two == two

    async def test_account_tokens_grants_and_domains_round_trip(self, work: Any) -> None:
        token = AccountToken.issue("a1", "verify", now=NOW, ttl=timedelta(hours=1)).record
        grant = ContactGrant(match_id="m1", mentee_id="a1", mentor_id="a2", granted_at=NOW)
        async with work() as uow:
            assert await uow.domains.get() is None
            await uow.account_tokens.add(token)
            await uow.grants.save(grant)
            await uow.domains.replace(AllowedDomains(["*.gov.uk", "nhs.net"]))
            await uow.commit()
        async with work() as uow:
            assert await uow.account_tokens.get_by_hash(token.token_hash) == token
            await uow.account_tokens.spend_unused("a1", "verify", NOW)
            spent = await uow.account_tokens.get_by_hash(token.token_hash)
            assert spent is not None
            assert spent.used_at == NOW
            assert await uow.grants.for_person("a2") == [grant]
            assert (await uow.domains.get()).entries() == ["*.gov.uk", "nhs.net"]
            assert await uow.grants.delete_for_person("a1") == 1

    async def test_pending_credentials_are_found_by_token_and_latest_per_account(
        self, work: Any
    ) -> None:
        first = PendingCredential(
            token_id="t1", account_id="a1", password_hash="h1", display_name="Eve", created_at=NOW
        )
        second = PendingCredential(
            token_id="t2",
            account_id="a1",
            password_hash="h2",
            display_name="Ada",
            created_at=NOW + timedelta(seconds=1),
        )
        other = first.model_copy(update={"token_id": "t3", "account_id": "a2"})
        async with work() as uow:
            for credential in (first, second, other):
                await uow.pending_credentials.add(credential)
            await uow.commit()
        async with work() as uow:
            assert await uow.pending_credentials.for_token("t1") == first
            assert await uow.pending_credentials.latest_for_account("a1") == second
            assert await uow.pending_credentials.for_token("nope") is None
            await uow.pending_credentials.delete_for_account("a1")
            await uow.commit()
        async with work() as uow:
            assert await uow.pending_credentials.for_token("t2") is None
            assert await uow.pending_credentials.latest_for_account("a1") is None
            assert await uow.pending_credentials.latest_for_account("a2") == other

    async def test_invitations_wait_then_queue_in_import_order_and_settle_once(
        self, work: Any
    ) -> None:
        first = CoachImportRecord(id="i1", created_at=NOW, created=3, updated=0, unchanged=0)
        second = CoachImportRecord(
            id="i2", created_at=NOW + timedelta(minutes=1), created=2, updated=1, unchanged=0
        )
        async with work() as uow:
            await uow.invitations.add_import(first, ["a1", "a2", "a3"])
            await uow.invitations.add_import(second, ["b1", "b2"])
            await uow.commit()
        async with work() as uow:
            assert await uow.invitations.next_queued(10) == []
            assert await uow.invitations.queue("i2", NOW) == 2
            assert await uow.invitations.queue("i1", NOW + timedelta(seconds=5)) == 3
            assert await uow.invitations.queue("i1", NOW + timedelta(seconds=9)) == 0
            await uow.commit()
        async with work() as uow:
            # The older import's invitations go first, each import's in row order.
            assert await uow.invitations.next_queued(4) == ["a1", "a2", "a3", "b1"]
            assert await uow.invitations.settle(["a1", "a2"], "sent") == 2
            assert await uow.invitations.settle(["a3"], "skipped") == 1
            assert await uow.invitations.settle(["a1"], "sent") == 0
            await uow.invitations.delete_for_account("b2")
            await uow.commit()
        async with work() as uow:
            progress = await uow.invitations.progress("i1")
            assert progress is not None
            assert (progress.pending, progress.queued, progress.sent, progress.skipped) == (
                0,
                0,
                2,
                1,
            )
            assert progress.done
            assert progress.send_requested_at == NOW + timedelta(seconds=5)  # the first ask
            assert await uow.invitations.next_queued(10) == ["b1"]
            assert [p.record.id for p in await uow.invitations.recent(10)] == ["i2", "i1"]
            newest = (await uow.invitations.recent(1))[0]
            assert (newest.invitations, newest.queued, newest.record.updated) == (1, 1, 1)
            assert await uow.invitations.progress("nope") is None

    async def test_leaving_without_commit_rolls_back(self, work: Any) -> None:
        async with work() as uow:
            await uow.profiles.save(Profile.new("p1", "Gone"))
        async with work() as uow:
            assert await uow.profiles.get("p1") is None


class TestSqliteRepositories(RepositoryContract):
    @pytest_asyncio.fixture
    async def work(self, tmp_path: Path) -> AsyncIterator[Any]:
        db = await SqliteDatabase(tmp_path / "c.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()

        def factory() -> ProfileUnitOfWork:
            return SqliteProfileUnitOfWork(db)

        yield factory
        await db.close()


class TestMongoRepositories(RepositoryContract):
    @pytest_asyncio.fixture
    async def work(self, mongodb_uri: str) -> AsyncIterator[Any]:
        import uuid

        from mentor_shared.storage.mongo import mongo_client
        from profile_service.adapters.mongo_repository import MongoProfileUnitOfWork
        from profile_service.adapters.schema import ensure_mongo_indexes

        client: Any = mongo_client(mongodb_uri)
        name = f"profile_contract_{uuid.uuid4().hex[:8]}"
        await ensure_mongo_indexes(client[name])

        def factory() -> ProfileUnitOfWork:
            return MongoProfileUnitOfWork(client, name)

        yield factory
        await client.drop_database(name)
        await client.close()
