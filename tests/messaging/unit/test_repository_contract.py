"""One contract for every store adapter: SQLite here, MongoDB where one is reachable."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.storage.sqlite import SqliteDatabase
from messaging_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteMessagingReadModel,
    SqliteMessagingUnitOfWork,
)
from messaging_service.domain.model import Conversation, Person, Report, Session
from messaging_service.service.ports import MessagingReadModel, MessagingUnitOfWork

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

Stores = tuple[Callable[[], MessagingUnitOfWork], MessagingReadModel]


class MessagingStoreContract:
    """Subclasses provide ``stores``: a unit-of-work factory and the read model."""

    async def _conversation(self, stores: Stores, mentee: str = "a", mentor: str = "b") -> str:
        new_uow, _ = stores
        conversation = Conversation.open(f"m-{uuid.uuid4()}", mentee, mentor, NOW)
        async with new_uow() as uow:
            await uow.conversations.add(conversation)
            for i in range(5):
                await uow.messages.add(conversation.post(mentee if i % 2 else mentor, f"{i}", NOW))
            await uow.conversations.update(conversation)
            await uow.commit()
        return conversation.id

    async def test_a_conversation_round_trips_and_is_found_by_match(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores)
        async with new_uow() as uow:
            loaded = await uow.conversations.get(cid)
            assert loaded is not None
            assert loaded.last_seq == 5
            assert await uow.conversations.get_by_match(loaded.match_id) == loaded
        assert await read.conversation(cid) == loaded

    async def test_leaving_without_commit_rolls_back(self, stores: Stores) -> None:
        new_uow, read = stores
        conversation = Conversation.open("m-rollback", "a", "b", NOW)
        async with new_uow() as uow:
            await uow.conversations.add(conversation)
        assert await read.conversation(conversation.id) is None

    async def test_messages_page_newest_first_below_a_sequence(self, stores: Stores) -> None:
        _, read = stores
        cid = await self._conversation(stores)
        assert [m.seq for m in await read.messages_before(cid, None, 3)] == [5, 4, 3]
        assert [m.seq for m in await read.messages_before(cid, 3, 10)] == [2, 1]
        assert [m.seq for m in await read.messages_after(cid, 3, 10)] == [4, 5]

    async def test_read_marks_only_rise_and_drive_unread_counts(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores)
        assert await read.unread_count(cid, "a") == 3
        async with new_uow() as uow:
            assert await uow.read_states.mark_read(cid, "a", 4) == 4
            assert await uow.read_states.mark_read(cid, "a", 2) == 4
            await uow.commit()
        assert await read.unread_count(cid, "a") == 1
        [summary] = [s for s in await read.conversations_of("a") if s.conversation.id == cid]
        assert summary.unread_count == 1

    async def test_erasing_a_sender_leaves_placeholders(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores, mentee="gone", mentor="stays")
        async with new_uow() as uow:
            assert await uow.messages.erase_sender("gone") == 2
            await uow.commit()
        messages = await read.messages_before(cid, None, 10)
        assert [m.deleted for m in messages] == [False, True, False, True, False]
        assert all(m.body is None and m.sender_id is None for m in messages if m.deleted)

    async def test_sessions_reports_and_people(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores, mentee="x", mentor="y")
        session = Session(
            id=str(uuid.uuid4()),
            conversation_id=cid,
            match_id="m",
            proposer_id="x",
            other_id="y",
            starts_at=NOW + timedelta(days=1),
            duration_minutes=60,
            location="Room",
            online_link=None,
            status="proposed",
            created_at=NOW,
            updated_at=NOW,
        )
        async with new_uow() as uow:
            await uow.sessions.add(session)
            session.apply("accept", "y", NOW)
            await uow.sessions.update(session)
            message = (await read.messages_before(cid, None, 1))[0]
            await uow.reports.add(Report(str(uuid.uuid4()), message.id, cid, "x", "spam", NOW))
            assert await uow.people.upsert(Person("x", "Xena", "X", True, 2))
            assert not await uow.people.upsert(Person("x", "Old", "O", False, 1))
            await uow.commit()
        assert await read.session(cid, session.id) == session
        [entry] = [r for r in await read.reports(50) if r.report.conversation_id == cid]
        assert entry.message == message
        assert (await read.people(["x"]))["x"].display_name == "Xena"
        async with new_uow() as uow:
            assert await uow.sessions.delete_for_participant("y") == 1
            assert await uow.reports.delete_by_reporter("x") == 1
            await uow.people.delete("x")
            await uow.commit()
        assert await read.sessions(cid) == []
        assert await read.people(["x"]) == {}


class TestSqliteStore(MessagingStoreContract):
    @pytest.fixture
    async def stores(self, tmp_path: Path) -> AsyncIterator[Stores]:
        db = await SqliteDatabase(tmp_path / "c.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
        yield (lambda: SqliteMessagingUnitOfWork(db)), SqliteMessagingReadModel(db)
        await db.close()


class TestMongoStore(MessagingStoreContract):
    @pytest.fixture
    async def stores(self, mongodb_uri: str) -> AsyncIterator[Stores]:
        from mentor_shared.bus.mongo_store import ensure_bus_indexes
        from mentor_shared.storage.mongo import mongo_client
        from messaging_service.adapters.mongo_repository import (
            MongoMessagingReadModel,
            MongoMessagingUnitOfWork,
            ensure_messaging_indexes,
        )

        client: Any = mongo_client(mongodb_uri)
        name = f"messaging_contract_{uuid.uuid4().hex[:8]}"
        db = client[name]
        await ensure_bus_indexes(db)
        await ensure_messaging_indexes(db)
        yield (lambda: MongoMessagingUnitOfWork(client, name)), MongoMessagingReadModel(db)
        await client.drop_database(name)
        await client.close()
