"""One contract for every outbox/inbox store: SQLite here, MongoDB wherever one is reachable."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from mentor_shared.bus.mongo_store import (
    MongoOutboxStore,
    MongoUnitOfWork,
    ensure_bus_indexes,
    ensure_lane_index,
)
from mentor_shared.bus.records import OutboxStore, UnitOfWork
from mentor_shared.bus.sqlite_store import SqliteOutboxStore, SqliteUnitOfWork
from mentor_shared.storage.mongo import mongo_client
from tests.shared.ledger import ledger_event, open_db

StoreUnderTest = tuple[OutboxStore, Callable[[], UnitOfWork]]


class OutboxInboxContract:
    """Subclasses provide the ``store`` fixture: (outbox store, unit-of-work factory)."""

    async def test_committed_events_are_unsent_in_write_order(self, store: StoreUnderTest) -> None:
        outbox, uow_factory = store
        events = [ledger_event("key-a", n) for n in range(5)]
        async with uow_factory() as uow:
            for event in events:
                uow.add_event(event)
            await uow.commit()
        unsent = await outbox.unsent(10)
        assert [r.event_id for r in unsent] == [str(e.id) for e in events]
        assert {r.topic for r in unsent} == {"messaging"}
        assert {r.key for r in unsent} == {"key-a"}
        assert dict(unsent[0].headers)["event_type"] == b"message.sent"

    async def test_leaving_without_commit_writes_nothing(self, store: StoreUnderTest) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            uow.add_event(ledger_event("key-a", 0))
            await uow.record_inbox("consumer", "evt-1")
        assert await outbox.unsent(10) == []
        async with uow_factory() as uow:
            assert await uow.record_inbox("consumer", "evt-1") is True

    async def test_failure_inside_the_unit_of_work_rolls_back(self, store: StoreUnderTest) -> None:
        outbox, uow_factory = store

        async def failing_handler() -> None:
            async with uow_factory() as uow:
                uow.add_event(ledger_event("key-a", 0))
                await uow.record_inbox("consumer", "evt-2")
                raise RuntimeError("handler failed")

        with pytest.raises(RuntimeError):
            await failing_handler()
        assert (await outbox.counts()).unsent == 0
        async with uow_factory() as uow:
            assert await uow.record_inbox("consumer", "evt-2") is True

    async def test_inbox_recognises_an_event_seen_before(self, store: StoreUnderTest) -> None:
        _, uow_factory = store
        async with uow_factory() as uow:
            assert await uow.record_inbox("c1", "evt-3") is True
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.record_inbox("c1", "evt-3") is False
            assert await uow.record_inbox("c2", "evt-3") is True, "per consumer"
            await uow.commit()

    async def test_inbox_batch_returns_only_new_ids(self, store: StoreUnderTest) -> None:
        _, uow_factory = store
        async with uow_factory() as uow:
            assert await uow.record_inbox_many("c1", ["a", "b"]) == {"a", "b"}
            await uow.commit()
        async with uow_factory() as uow:
            assert await uow.record_inbox_many("c1", ["b", "c", "c"]) == {"c"}
            await uow.commit()

    async def test_marking_sent_keeps_records_and_raises_marks(self, store: StoreUnderTest) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            for n in range(3):
                uow.add_event(ledger_event("key-a", n))
            await uow.commit()
        records = await outbox.unsent(10)
        await outbox.mark_sent([r.seq for r in records[:2]], {("messaging", 0): 5})
        await outbox.mark_sent([], {("messaging", 0): 3, ("messaging", 1): 1})
        assert [r.seq for r in await outbox.unsent(10)] == [records[2].seq]
        assert await outbox.partition_marks() == {("messaging", 0): 5, ("messaging", 1): 1}
        counts = await outbox.counts()
        assert (counts.unsent, counts.retained) == (1, 2)

    async def test_counts_say_when_the_oldest_unsent_event_was_written(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        assert (await outbox.counts()).oldest_unsent_at is None
        before = time.time()
        async with uow_factory() as uow:
            uow.add_event(ledger_event("key-a", 0))
            uow.add_event(ledger_event("key-a", 1))
            await uow.commit()
        oldest = (await outbox.counts()).oldest_unsent_at
        assert oldest is not None
        assert before - 1 <= oldest <= time.time() + 1
        records = await outbox.unsent(10)
        await outbox.mark_sent([r.seq for r in records], {})
        assert (await outbox.counts()).oldest_unsent_at is None

    async def test_requeue_after_loss_makes_retained_records_unsent_again(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            for n in range(3):
                uow.add_event(ledger_event("key-a", n))
            await uow.commit()
        records = await outbox.unsent(10)
        await outbox.mark_sent([r.seq for r in records], {("messaging", 0): 3})
        requeued = await outbox.requeue_retained(since=time.time() - 60)
        assert requeued == 3
        assert [r.seq for r in await outbox.unsent(10)] == [r.seq for r in records]
        assert await outbox.partition_marks() == {}

    async def test_purge_drops_only_sent_records_older_than_the_window(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            for n in range(2):
                uow.add_event(ledger_event("key-a", n))
            await uow.commit()
        records = await outbox.unsent(10)
        await outbox.mark_sent([records[0].seq], {})
        assert await outbox.purge_sent_before(time.time() - 60) == 0
        assert await outbox.purge_sent_before(time.time() + 1) == 1
        counts = await outbox.counts()
        assert (counts.unsent, counts.retained) == (1, 0)

    async def test_a_tombstone_is_stored_with_no_payload_after_the_events(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            uow.add_tombstone("profile", "person-1")
            uow.add_event(ledger_event("person-1", 0))
            await uow.commit()
        event, tombstone = await outbox.unsent(10)
        assert (event.is_tombstone, event.payload is not None) == (False, True)
        assert (tombstone.topic, tombstone.key, tombstone.payload) == ("profile", "person-1", None)
        assert tombstone.is_tombstone
        assert tombstone.event_id != event.event_id

    async def test_dropping_a_subject_removes_its_rows_sent_or_not_and_keeps_the_rest(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            for n in range(3):
                uow.add_event(ledger_event("person-1", n))
                uow.add_event(ledger_event("person-2", n))
            await uow.commit()
        sent = [r.seq for r in (await outbox.unsent(10))[:2]]
        await outbox.mark_sent(sent, {})
        deletion = ledger_event("person-1", 99)
        async with uow_factory() as uow:
            uow.add_event(deletion)
            uow.add_tombstone("messaging", "person-1")
            assert await uow.drop_outbox_for_subject("person-1") == 3
            await uow.commit()
        remaining = await outbox.unsent(10)
        person_1 = [r for r in remaining if r.key == "person-1"]
        assert [r.event_id for r in person_1] == [str(deletion.id), person_1[1].event_id]
        assert person_1[1].is_tombstone
        assert len([r for r in remaining if r.key == "person-2"]) == 2  # one was sent
        assert (await outbox.counts()).retained == 1

    async def test_a_dropped_subject_comes_back_if_the_unit_of_work_rolls_back(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            uow.add_event(ledger_event("person-1", 0))
            await uow.commit()
        async with uow_factory() as uow:
            await uow.drop_outbox_for_subject("person-1")
        assert [r.key for r in await outbox.unsent(10)] == ["person-1"]

    async def test_transactional_records_go_before_earlier_bulk_ones_of_other_keys(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        async with uow_factory() as uow:
            for n in range(20):
                uow.add_event(ledger_event(f"imported-{n}", 0), bulk=True)
            await uow.commit()
        signup = [ledger_event("signup", n) for n in range(2)]
        async with uow_factory() as uow:
            for event in signup:
                uow.add_event(event)
            await uow.commit()
        first = await outbox.unsent(3)
        assert [r.key for r in first] == ["signup", "signup", "imported-0"]
        assert [r.event_id for r in first[:2]] == [str(e.id) for e in signup]
        everything = await outbox.unsent(100)
        assert [r.key for r in everything[2:]] == [f"imported-{n}" for n in range(20)]

    async def test_a_transactional_record_waits_for_an_earlier_bulk_record_of_its_key(
        self, store: StoreUnderTest
    ) -> None:
        outbox, uow_factory = store
        bulk = [ledger_event(f"coach-{n}", 0) for n in range(3)]
        async with uow_factory() as uow:
            for event in bulk:
                uow.add_event(event, bulk=True)
            await uow.commit()
        later = ledger_event("coach-2", 1)
        other = ledger_event("someone", 0)
        async with uow_factory() as uow:
            uow.add_event(later)
            uow.add_event(other)
            await uow.commit()
        order = [r.event_id for r in await outbox.unsent(10)]
        assert order[0] == str(other.id)
        assert order.index(str(bulk[2].id)) < order.index(str(later.id))
        # Once the bulk record is sent, the key's later record is transactional again.
        sent = [r.seq for r in await outbox.unsent(10) if r.event_id == str(bulk[2].id)]
        await outbox.mark_sent(sent, {})
        assert [r.event_id for r in await outbox.unsent(2)] == [str(later.id), str(other.id)]


class TestSqliteStore(OutboxInboxContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[StoreUnderTest]:
        db = await open_db(tmp_path / "store.sqlite3")
        yield SqliteOutboxStore(db), lambda: SqliteUnitOfWork(db)
        await db.close()


async def test_an_outbox_made_before_lanes_gets_the_column_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    from mentor_shared.bus.sqlite_store import BUS_SCHEMA
    from mentor_shared.schema import OUTBOX_LANES
    from mentor_shared.storage.migrations import Ladder, Step, migrate_sqlite
    from mentor_shared.storage.sqlite import SqliteDatabase

    old_schema = BUS_SCHEMA.replace(",\n    lane INTEGER NOT NULL DEFAULT 0", "")
    assert "lane" not in old_schema
    path = tmp_path / "old.sqlite3"
    ladder = Ladder("bus", [Step("baseline", sqlite=[old_schema]), OUTBOX_LANES])
    migrate_sqlite(path, ladder, target=1)
    db = await SqliteDatabase(path).open()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, key, payload, headers, created_at) "
            "VALUES ('e1', 'messaging', 'k', x'7b7d', '{}', 1.0)"
        )
    await db.close()
    migrate_sqlite(path, ladder)
    migrate_sqlite(path, ladder)  # a second start changes nothing
    db = await SqliteDatabase(path).open()
    unsent = await SqliteOutboxStore(db).unsent(10)
    assert [r.event_id for r in unsent] == ["e1"]
    async with SqliteUnitOfWork(db) as uow:
        uow.add_event(ledger_event("k2", 0), bulk=True)
        await uow.commit()
    assert len(await SqliteOutboxStore(db).unsent(10)) == 2
    await db.close()


class TestMongoStore(OutboxInboxContract):
    @pytest.fixture
    async def store(self, mongodb_uri: str) -> AsyncIterator[StoreUnderTest]:
        client: Any = mongo_client(mongodb_uri)
        name = f"contract_{uuid.uuid4().hex[:8]}"
        await ensure_bus_indexes(client[name])
        await ensure_lane_index(client[name])
        yield MongoOutboxStore(client[name]), lambda: MongoUnitOfWork(client, name)
        await client.drop_database(name)
        await client.close()
