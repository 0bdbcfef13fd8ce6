"""One contract for every store adapter: SQLite here, MongoDB where one is reachable."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.erasure import ERASED_SQL
from mentor_shared.events import new_event
from mentor_shared.events.schemas import MessageSent
from mentor_shared.storage.sqlite import SqliteDatabase
from messaging_service.adapters.schema import SQLITE_SCHEMA
from messaging_service.adapters.sqlite_repository import (
    SqliteMessagingReadModel,
    SqliteMessagingUnitOfWork,
)
from messaging_service.domain.model import Conversation, Person, Report, Session
from messaging_service.domain.plan import Plan, PlanAction, SessionNote
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

    async def test_deleting_a_senders_messages_keeps_everyone_elses(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores, mentee="gone", mentor="stays")
        before = await read.messages_before(cid, None, 10)
        async with new_uow() as uow:
            deleted = await uow.messages.delete_by_sender("gone")
            await uow.commit()
        assert sorted(deleted) == sorted(m.id for m in before if m.sender_id == "gone")
        async with new_uow() as uow:
            assert await uow.messages.last_sent_at(cid) == NOW
            assert await uow.messages.last_sent_at("no-such-conversation") is None
        messages = await read.messages_before(cid, None, 10)
        assert [(m.seq, m.sender_id) for m in messages] == [
            (5, "stays"),
            (3, "stays"),
            (1, "stays"),
        ]

    async def test_deleting_a_conversation_takes_everything_in_it(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores, mentee="p", mentor="q")
        keep = await self._conversation(stores, mentee="p", mentor="r")
        message = (await read.messages_before(cid, None, 1))[0]
        async with new_uow() as uow:
            await uow.read_states.mark_read(cid, "p", 5)
            await uow.reports.add(Report(str(uuid.uuid4()), message.id, cid, "p", "rude", NOW))
            await uow.commit()
        async with new_uow() as uow:
            await uow.conversations.delete(cid)
            await uow.commit()
        assert await read.conversation(cid) is None
        assert await read.messages_after(cid, 0, 10) == []
        assert await read.read_marks_of("p") == {}
        assert await read.reports_by("p") == []
        assert len(await read.messages_after(keep, 0, 10)) == 5

    async def test_reports_of_given_messages_are_deleted(self, stores: Stores) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores, mentee="s", mentor="t")
        first, second = await read.messages_after(cid, 0, 2)
        async with new_uow() as uow:
            await uow.reports.add(Report("r1", first.id, cid, "s", "one", NOW))
            await uow.reports.add(Report("r2", second.id, cid, "s", "two", NOW))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.reports.delete_for_messages([first.id]) == 1
            await uow.commit()
        assert [r.id for r in await read.reports_by("s")] == ["r2"]

    async def test_an_erased_id_is_recorded_only_when_the_transaction_commits(
        self, stores: Stores
    ) -> None:
        new_uow, _ = stores
        subject = f"erased-{uuid.uuid4()}"
        async with new_uow() as uow:
            await uow.erased.add(subject)
            assert await uow.erased.contains(subject)
        async with new_uow() as uow:
            assert not await uow.erased.contains(subject)
        async with new_uow() as uow:
            await uow.erased.add(subject)
            await uow.erased.add(subject)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.erased.contains(subject)
            assert not await uow.erased.contains("someone-else")

    async def test_retained_events_are_forgotten_by_key_sent_or_not(self, stores: Stores) -> None:
        new_uow, _ = stores
        gone, kept = f"match-{uuid.uuid4()}", f"match-{uuid.uuid4()}"
        async with new_uow() as uow:
            for key in (gone, gone, kept):
                uow.add_event(
                    new_event(
                        MessageSent(
                            conversation_id="c",
                            message_id=str(uuid.uuid4()),
                            sender_id="a",
                            recipient_id="b",
                            sent_at=NOW,
                        ),
                        subject=key,
                        source="messaging",
                    )
                )
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.retained_events.forget([gone]) == 2
            assert await uow.retained_events.forget([gone]) == 0
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.retained_events.forget([kept, gone]) == 1

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
            assert await uow.sessions.count_confirmed(cid) == 0
            session.apply("accept", "y", NOW)
            await uow.sessions.update(session)
            assert await uow.sessions.count_confirmed(cid) == 1
            assert await uow.sessions.count_confirmed("another") == 0
            message = (await read.messages_before(cid, None, 1))[0]
            await uow.reports.add(Report(str(uuid.uuid4()), message.id, cid, "x", "spam", NOW))
            assert await uow.people.upsert(Person("x", "Xena", "X", True, 2))
            assert not await uow.people.upsert(Person("x", "Old", "O", False, 1))
            await uow.read_states.mark_read(cid, "x", 3)
            await uow.commit()
        assert await read.session(cid, session.id) == session
        assert await read.read_marks_of("x") == {cid: 3}
        assert [r.reason for r in await read.reports_by("x")] == ["spam"]
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

    async def test_plans_save_only_over_the_version_read_and_notes_stay_per_author(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        cid = await self._conversation(stores, mentee="p", mentor="q")
        plan = Plan(cid)
        plan.revise(
            based_on=0,
            goals=["Lead"],
            actions=[PlanAction("a1", "Read", "mentee", date(2027, 1, 5))],
            editor_id="q",
            now=NOW,
        )
        async with new_uow() as uow:
            assert await uow.plans.save(plan, 0)
            assert not await uow.plans.save(plan, 0)
            await uow.session_notes.save(SessionNote(cid, "s1", "p", "mine", NOW))
            await uow.session_notes.save(SessionNote(cid, "s1", "q", "theirs", NOW))
            await uow.session_notes.save(SessionNote(cid, "s1", "p", "mine, edited", NOW))
            assert await uow.people.upsert(Person("p", "Pat", "P", False, 1, ("Lead", "Speak")))
            await uow.commit()
        assert await read.plan(cid) == plan
        assert (await read.people(["p"]))["p"].goals == ("Lead", "Speak")
        stale = Plan(cid, goals=["Stale"], version=1)
        async with new_uow() as uow:
            assert not await uow.plans.save(stale, 5)
            assert await uow.plans.save(Plan(cid, goals=["Fresh"], version=2), 1)
            await uow.commit()
        assert (await read.plan(cid) or Plan(cid)).goals == ["Fresh"]
        note = await read.session_note("s1", "p")
        assert note is not None
        assert note.body == "mine, edited"
        assert [n.body for n in await read.session_notes_by("q")] == ["theirs"]
        async with new_uow() as uow:
            assert await uow.session_notes.delete_by_author("p") == 1
            await uow.conversations.delete(cid)
            await uow.people.delete("p")
            await uow.commit()
        assert await read.plan(cid) is None
        assert await read.session_notes_by("q") == []
        assert await read.people(["p"]) == {}


class TestSqliteStore(MessagingStoreContract):
    @pytest.fixture
    async def stores(self, tmp_path: Path) -> AsyncIterator[Stores]:
        db = await SqliteDatabase(
            tmp_path / "c.sqlite3", [BUS_SCHEMA, ERASED_SQL, *SQLITE_SCHEMA]
        ).open()
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
        )
        from messaging_service.adapters.schema import ensure_messaging_indexes

        client: Any = mongo_client(mongodb_uri)
        name = f"messaging_contract_{uuid.uuid4().hex[:8]}"
        db = client[name]
        await ensure_bus_indexes(db)
        await ensure_messaging_indexes(db)
        yield (lambda: MongoMessagingUnitOfWork(client, name)), MongoMessagingReadModel(db)
        await client.drop_database(name)
        await client.close()
