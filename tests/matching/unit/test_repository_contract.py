"""One contract for every store adapter: SQLite here, MongoDB where one is reachable."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from matching_service.adapters.sqlite_read_model import SqliteMatchingReadModel
from matching_service.adapters.sqlite_repository import SQLITE_SCHEMA, SqliteMatchingUnitOfWork
from matching_service.domain.matches import Match
from matching_service.domain.replies import ReplyTimes
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.loads import pair_history
from matching_service.service.ports import AppliedEvent, MatchingReadModel, MatchingUnitOfWork
from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.erasure import ERASED_SQL
from mentor_shared.events import new_event
from mentor_shared.events.schemas import MatchRequested
from mentor_shared.storage.sqlite import SqliteDatabase
from tests.matching.stores import mentee, upserted

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
Stores = tuple[Callable[[], MatchingUnitOfWork], MatchingReadModel]


def match(mentee_id: str, mentor_id: str, status: str = "requested", **fields: Any) -> Match:
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "mentee_id": mentee_id,
        "mentor_id": mentor_id,
        "role": "mentor",
        "status": status,
        "message": "Hello",
        "created_at": NOW,
        **fields,
    }
    return Match(**values)


class MatchingStoreContract:
    """Subclasses provide ``stores``: a unit-of-work factory and the read model."""

    async def test_profiles_keep_only_newer_versions(self, stores: Stores) -> None:
        new_uow, read = stores
        async with new_uow() as uow:
            assert await uow.profiles.save(upserted("p", version=2, display_name="Two"))
            assert not await uow.profiles.save(upserted("p", version=2, display_name="Again"))
            assert not await uow.profiles.save(upserted("p", version=1, display_name="One"))
            await uow.commit()
        assert (await read.profiles_by_id(["p"]))["p"].display_name == "Two"
        assert [p.profile_id for p in await read.all_profiles()] == ["p"]
        async with new_uow() as uow:
            assert await uow.profiles.delete("p")
            assert await uow.profiles.get("p") is None
            await uow.commit()

    async def test_matches_round_trip_and_answer_the_lifecycle_queries(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        waiting = match("me", "a")
        active = match("x", "a", "accepted", answered_at=NOW + timedelta(hours=1))
        async with new_uow() as uow:
            await uow.matches.add(waiting)
            await uow.matches.add(active)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.matches.get(waiting.id) == waiting
            assert [m.id for m in await uow.matches.open_for_mentee("me")] == [waiting.id]
            assert [m.id for m in await uow.matches.live_between("me", "a")] == [waiting.id]
            assert await uow.matches.active_count("a") == 1
            assert {m.id for m in await uow.matches.involving("a")} == {waiting.id, active.id}
            assert [m.id for m in await uow.matches.open_requests()] == [waiting.id]
            waiting.decline(NOW, "busy")
            await uow.matches.update(waiting)
            await uow.commit()
        history = await pair_history(read, "me", "mentor", now=NOW)
        assert history.excluded_ids == {"a"}
        assert history.load_of("a").active_matches == 1
        assert (await read.matches_of("me"))[0].status == "declined"

    async def test_pair_history_gives_the_age_of_each_mentors_oldest_waiting_request(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        async with new_uow() as uow:
            await uow.matches.add(match("x", "a", created_at=NOW - timedelta(days=1)))
            await uow.matches.add(match("y", "a", created_at=NOW - timedelta(days=5)))
            await uow.matches.add(match("z", "a", "accepted", created_at=NOW - timedelta(days=30)))
            await uow.matches.add(match("x", "b", "accepted", created_at=NOW - timedelta(days=9)))
            await uow.matches.add(match("y", "c", "expired", created_at=NOW - timedelta(days=20)))
            await uow.commit()
        loads = (await pair_history(read, "me", "mentor", now=NOW)).loads
        assert loads["a"].open_requests == 2
        assert loads["a"].active_matches == 1
        assert loads["a"].oldest_wait_hours == pytest.approx(120.0)
        assert loads["b"].oldest_wait_hours is None, "an accepted match is not waiting"
        assert "c" not in loads, "an expired request no longer waits"

    async def test_reply_times_round_trip_and_only_medians_above_the_threshold_are_read(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        slow = ReplyTimes("slow", (30.0, 100.0, 336.0))
        async with new_uow() as uow:
            assert await uow.replies.get("slow") is None
            await uow.replies.save(ReplyTimes("quick", (1.0, 3.0, 200.0)))
            await uow.replies.save(ReplyTimes("slow", (30.0,)))
            await uow.replies.save(slow)
            await uow.matches.add(match("me", "slow"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.replies.get("slow") == slow
            assert await uow.replies.get("quick") == ReplyTimes("quick", (1.0, 3.0, 200.0))
        loads = (await pair_history(read, "me", "mentor", now=NOW, reply_ok_hours=48.0)).loads
        assert loads["slow"].median_reply_hours == 100.0
        assert loads["slow"].open_requests == 1, "the median joins the live counts"
        assert "quick" not in loads, "a median within the penalty-free time is not read"
        everything = (await pair_history(read, "me", "mentor", now=NOW)).loads
        assert everything["quick"].median_reply_hours == 3.0
        assert everything["quick"].open_requests == 0
        async with new_uow() as uow:
            assert await uow.replies.delete("slow")
            assert not await uow.replies.delete("slow")
            await uow.replies.save(ReplyTimes("quick"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.replies.get("slow") is None
            assert await uow.replies.get("quick") is None, "no reply times left: nothing held"
        after = await pair_history(read, "me", "mentor", now=NOW)
        assert after.load_of("slow").median_reply_hours is None

    async def test_leaving_without_commit_rolls_back(self, stores: Stores) -> None:
        new_uow, read = stores
        async with new_uow() as uow:
            await uow.matches.add(match("me", "a"))
            await uow.profiles.save(mentee("me"))
            await uow.replies.save(ReplyTimes("a", (500.0,)))
        assert await read.matches_of("me") == []
        assert await read.profiles_by_id(["me"]) == {}
        assert (await pair_history(read, "me", "mentor", now=NOW)).loads == {}

    async def test_the_last_applied_event_is_remembered(self, stores: Stores) -> None:
        new_uow, read = stores
        event = AppliedEvent("e-1", "profile.deleted", NOW)
        async with new_uow() as uow:
            await uow.index_state.record(AppliedEvent("e-0", "profile.upserted", NOW))
            await uow.index_state.record(event)
            await uow.commit()
        assert await read.last_event() == event

    async def test_erasure_deletes_the_persons_matches_and_their_outbox_events(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        theirs = match("gone", "a", "declined", answered_at=NOW)
        also = match("b", "gone", "accepted", answered_at=NOW)
        kept = match("b", "a")
        async with new_uow() as uow:
            for each in (theirs, also, kept):
                await uow.matches.add(each)
                uow.add_event(
                    new_event(
                        MatchRequested(
                            match_id=each.id,
                            mentee_id=each.mentee_id,
                            mentor_id=each.mentor_id,
                            role="mentor",
                            message="Hello",
                            expires_at=NOW,
                        ),
                        subject=each.id,
                        source="test",
                    )
                )
            await uow.commit()
        async with new_uow() as uow:
            assert [m.id for m in await uow.matches.between("gone", "a")] == [theirs.id]
            assert await uow.matches.delete_involving("gone") == 2
            assert not await uow.erased.contains("gone")
            await uow.erased.add("gone")
            await uow.erased.add("gone")
            assert await uow.erased.contains("gone")
            await uow.commit()
        assert [m.id for m in await read.matches_of("b")] == [kept.id]
        assert await read.erased_among(["gone", "b"]) == {"gone"}
        assert await outbox_keys(stores) == [kept.id]

    async def test_partners_leave_out_recent_withdrawals_and_expiries_when_asked(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        async with new_uow() as uow:
            await uow.matches.add(
                match("me", "w", "withdrawn", reason="withdrawn", answered_at=NOW)
            )
            await uow.matches.add(match("me", "x", "expired", reason="expired", answered_at=NOW))
            await uow.matches.add(
                match("me", "o", "withdrawn", reason="another_accepted", answered_at=NOW)
            )
            await uow.matches.add(
                match(
                    "me",
                    "old",
                    "withdrawn",
                    reason="withdrawn",
                    answered_at=NOW - timedelta(days=40),
                )
            )
            await uow.commit()
        assert await read.partners("me", "mentor") == frozenset()
        since = NOW - timedelta(days=30)
        assert await read.partners("me", "mentor", refused_since=since) == {"w", "x"}

    async def test_reply_times_are_read_for_the_export(self, stores: Stores) -> None:
        new_uow, read = stores
        assert await read.reply_times_of("m") is None
        async with new_uow() as uow:
            await uow.replies.save(ReplyTimes("m", (4.0, 8.0)))
            await uow.commit()
        assert (await read.reply_times_of("m")) == ReplyTimes("m", (4.0, 8.0))

    async def test_shortlist_entries_round_trip_and_leave_with_either_person(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        async with new_uow() as uow:
            await uow.shortlist.add(SavedPerson("me", "a", NOW))
            await uow.shortlist.add(SavedPerson("me", "b", NOW + timedelta(minutes=1)))
            await uow.shortlist.add(SavedPerson("b", "a", NOW))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.shortlist.get("me", "a") == SavedPerson("me", "a", NOW)
            assert await uow.shortlist.get("a", "me") is None
            assert await uow.shortlist.count("me") == 2
        assert [s.profile_id for s in await read.shortlist_of("me")] == ["b", "a"]
        async with new_uow() as uow:
            assert await uow.shortlist.remove("me", "a")
            assert not await uow.shortlist.remove("me", "a")
            assert await uow.shortlist.delete_involving("b") == 2
            await uow.commit()
        assert await read.shortlist_of("me") == []
        assert await read.shortlist_of("b") == []

    async def test_activity_keeps_the_latest_month_and_reply_times_are_read_in_bulk(
        self, stores: Stores
    ) -> None:
        new_uow, read = stores
        async with new_uow() as uow:
            await uow.activity.touch("p", "2026-11")
            await uow.activity.touch("p", "2026-10")
            await uow.activity.touch("q", "2026-09")
            await uow.replies.save(ReplyTimes("p", (1.0, 2.0, 3.0)))
            await uow.commit()
        assert await read.active_months(["p", "q", "r"]) == {"p": "2026-11", "q": "2026-09"}
        assert await read.reply_times_among(["p", "q"]) == {"p": ReplyTimes("p", (1.0, 2.0, 3.0))}
        async with new_uow() as uow:
            assert await uow.activity.delete("p")
            await uow.commit()
        assert await read.active_months(["p"]) == {}


async def outbox_keys(stores: Stores) -> list[str]:
    read: Any = stores[1]
    if isinstance(read, SqliteMatchingReadModel):
        rows = await read.db.fetchall("SELECT key FROM outbox ORDER BY seq")
        return [row["key"] for row in rows]
    return [doc["key"] async for doc in read.db.outbox.find().sort("_id", 1)]


class TestSqliteStore(MatchingStoreContract):
    @pytest.fixture
    async def stores(self, tmp_path: Path) -> AsyncIterator[Stores]:
        db = await SqliteDatabase(
            tmp_path / "m.sqlite3", [BUS_SCHEMA, ERASED_SQL, *SQLITE_SCHEMA]
        ).open()
        yield (lambda: SqliteMatchingUnitOfWork(db)), SqliteMatchingReadModel(db)
        await db.close()

    async def test_loads_read_in_pages_equal_one_reading(self, stores: Stores) -> None:
        new_uow, read = stores
        assert isinstance(read, SqliteMatchingReadModel)
        async with new_uow() as uow:
            # "" sorts first: no page may start after it.
            for number in range(7):
                mentor = f"mentor-{number}" if number else ""
                await uow.matches.add(match("x", mentor, created_at=NOW - timedelta(hours=number)))
                if number % 2:
                    await uow.matches.add(match("y", mentor, "accepted"))
            await uow.commit()
        whole = await read.mentor_loads(now=NOW)
        assert len(whole) == 7
        for page in (1, 2, 3, 7):
            paged = SqliteMatchingReadModel(read.db, loads_page=page)
            assert await paged.mentor_loads(now=NOW) == whole


class TestMongoStore(MatchingStoreContract):
    @pytest.fixture
    async def stores(self, mongodb_uri: str) -> AsyncIterator[Stores]:
        from matching_service.adapters.mongo_read_model import MongoMatchingReadModel
        from matching_service.adapters.mongo_repository import (
            MongoMatchingUnitOfWork,
            ensure_matching_indexes,
        )
        from mentor_shared.bus.mongo_store import ensure_bus_indexes
        from mentor_shared.storage.mongo import mongo_client

        client: Any = mongo_client(mongodb_uri)
        name = f"matching_contract_{uuid.uuid4().hex[:8]}"
        db = client[name]
        await ensure_bus_indexes(db)
        await ensure_matching_indexes(db)
        yield (lambda: MongoMatchingUnitOfWork(client, name)), MongoMatchingReadModel(db)
        await client.drop_database(name)
        await client.close()
