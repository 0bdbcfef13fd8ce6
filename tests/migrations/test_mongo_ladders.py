"""The ladders on MongoDB: old databases upgrade with every document, one migrator at a time.

Needs a MongoDB replica set (``MONGODB_URI``, or Docker for a container); skipped
with the reason where neither is reachable, like the other MongoDB suites.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mentor_shared.storage.migrations import (
    VERSION_COLLECTION,
    Ladder,
    MigrationError,
    MongoSchemaLock,
    Step,
    migrate_mongo,
    plan_mongo,
)
from tests.migrations.sqlite_files import SERVICES, ladder_of

LATER_LADDERS = [service for service in SERVICES if ladder_of(service).target > 1]
DOCUMENTS_PER_COLLECTION = 3


async def _before_versions(db: Any, service: str) -> None:
    """What the code before versions did at start: indexes, no version document."""
    for change in ladder_of(service).steps[0].mongo:
        await change(db)
    if service == "profile":
        # Files from before commit f8d2592 counted sign-in failures here.
        await db.sign_in_failures.insert_many(
            [{"email_key": f"person{i}@example.org", "at": 1.0 + i} for i in range(3)]
        )


async def _fill(db: Any) -> dict[str, list[Any]]:
    """Documents in every collection, with a distinct value for every indexed field."""
    for name in await db.list_collection_names():
        if name == VERSION_COLLECTION or name.startswith("system."):
            continue
        fields = {
            field
            for index in (await db[name].index_information()).values()
            for field, _ in index["key"]
            if field != "_id"
        }
        await db[name].insert_many(
            [
                {"_id": f"{name}-{i}", **{field: f"{name}.{field}.{i}" for field in fields}}
                for i in range(DOCUMENTS_PER_COLLECTION)
            ]
        )
    return await _contents(db)


async def _contents(db: Any) -> dict[str, list[Any]]:
    return {
        name: sorted([doc async for doc in db[name].find({})], key=repr)
        for name in sorted(await db.list_collection_names())
        if name != VERSION_COLLECTION and not name.startswith("system.")
    }


async def _indexes(db: Any) -> dict[str, Any]:
    return {
        name: sorted(
            (str(index["key"]), bool(index.get("unique")))
            for index in (await db[name].index_information()).values()
        )
        for name in sorted(await db.list_collection_names())
    }


async def _version(db: Any, service: str) -> int:
    doc = await db[VERSION_COLLECTION].find_one({"_id": service})
    return int(doc["version"]) if doc else 0


@pytest.mark.parametrize("service", SERVICES)
async def test_a_database_from_before_versions_is_adopted_with_all_its_documents(
    database: Any, service: str
) -> None:
    await _before_versions(database, service)
    before = await _fill(database)
    ladder = ladder_of(service)

    plan = await migrate_mongo(database, ladder)

    assert plan.adopted
    assert [version for version, _ in plan.pending] == list(range(1, ladder.target + 1))
    assert await _version(database, service) == ladder.target
    after = await _contents(database)
    if service == "profile":
        assert "sign_in_failures" not in after
        del before["sign_in_failures"]
    assert after == before


@pytest.mark.parametrize("service", LATER_LADDERS)
async def test_a_database_at_the_previous_version_gets_the_new_step(
    database: Any, service: str
) -> None:
    ladder = ladder_of(service)
    await migrate_mongo(database, ladder, target=ladder.target - 1)
    before = await _fill(database)

    plan = await migrate_mongo(database, ladder)

    assert plan.pending == [(ladder.target, ladder.steps[-1].name)]
    assert await _version(database, service) == ladder.target
    assert await _contents(database) == before


@pytest.mark.parametrize("service", SERVICES)
async def test_every_step_runs_again_without_harm_and_a_rerun_is_a_no_op(
    database: Any, service: str
) -> None:
    ladder = ladder_of(service)
    await migrate_mongo(database, ladder)
    before, indexes = await _fill(database), await _indexes(database)
    assert (await migrate_mongo(database, ladder)).pending == []
    for version in range(1, ladder.target + 1):
        # As after a crash between a step and its version bump.
        await database[VERSION_COLLECTION].update_one(
            {"_id": service}, {"$set": {"version": version - 1}}
        )
        plan = await migrate_mongo(database, ladder)
        assert [v for v, _ in plan.pending] == list(range(version, ladder.target + 1))
        assert await _contents(database) == before
        assert await _indexes(database) == indexes


async def test_check_changes_nothing(database: Any) -> None:
    ladder = ladder_of("matching")
    await _before_versions(database, "matching")
    before, indexes = await _fill(database), await _indexes(database)
    plan = await plan_mongo(database, ladder)
    assert plan.current == 0
    assert plan.pending == [(1, ladder.steps[0].name)]
    assert await _contents(database) == before
    assert await _indexes(database) == indexes
    assert await database[VERSION_COLLECTION].count_documents({}) == 0


async def _record_run(db: Any) -> None:
    await db.step_runs.insert_one({"at": time.time()})
    # Long enough for the rival to arrive while the step is under way.
    await asyncio.sleep(0.3)


RECORDING = Ladder("test", [Step("record the run", mongo=[_record_run])])


async def test_two_migrators_at_once_run_a_step_only_once(database: Any) -> None:
    first, second = await asyncio.gather(
        migrate_mongo(database, RECORDING), migrate_mongo(database, RECORDING)
    )
    assert await database.step_runs.count_documents({}) == 1
    assert sorted([len(first.pending), len(second.pending)]) == [0, 1]
    assert await _version(database, "test") == 1
    # The lock is given back.
    assert await database[VERSION_COLLECTION].count_documents({"_id": "test:lock"}) == 0


async def test_a_live_lock_holds_a_migrator_back_and_an_expired_one_does_not(
    database: Any,
) -> None:
    holder = MongoSchemaLock(database, "test", ttl_s=60)
    await holder.acquire()
    with pytest.raises(MigrationError, match="another migrator"):
        await migrate_mongo(database, RECORDING, lock_wait_s=1)
    assert await database.step_runs.count_documents({}) == 0
    # A migrator that died leaves its lock to expire.
    await database[VERSION_COLLECTION].update_one(
        {"_id": "test:lock"}, {"$set": {"expires_at": time.time() - 1}}
    )
    plan = await migrate_mongo(database, RECORDING, lock_wait_s=1)
    assert plan.pending == [(1, "record the run")]
    with pytest.raises(MigrationError, match="lost"):
        await holder.renew()


async def test_a_database_newer_than_the_code_is_refused(database: Any) -> None:
    await database[VERSION_COLLECTION].insert_one({"_id": "test", "version": 5})
    with pytest.raises(MigrationError, match="version 5, newer than this code's 1"):
        await migrate_mongo(database, RECORDING)
    assert await database.step_runs.count_documents({}) == 0
