"""The shared plan and session notes through the handlers, on SQLite in a temporary file."""

from __future__ import annotations

import asyncio

import pytest

from mentor_shared.storage.sqlite import SqliteDatabase
from messaging_service.adapters.sqlite_repository import SqliteMessagingUnitOfWork
from messaging_service.domain.commands import (
    ErasePerson,
    RecordPerson,
    RevisePlan,
    WriteSessionNote,
)
from messaging_service.domain.errors import (
    ConversationNotFound,
    InvalidPlan,
    PlanVersionConflict,
    SessionNotFound,
)
from messaging_service.domain.model import Person
from messaging_service.domain.plan import MAX_ACTIONS, PlanAction
from messaging_service.service import handlers
from tests.messaging.unit.test_handlers import NOW, active_with_session, consume, db

__all__ = ["db"]


async def session_of(db: SqliteDatabase, cid: str) -> str:
    row = await db.fetchone("SELECT id FROM sessions WHERE conversation_id = ?", (cid,))
    assert row is not None
    return str(row["id"])


def revise(cid: str, editor: str, based_on: int, *goals: str) -> RevisePlan:
    return RevisePlan(
        conversation_id=cid,
        editor_id=editor,
        based_on=based_on,
        goals=list(goals),
        actions=[PlanAction("", "Shadow a briefing", "mentee")],
    )


async def test_two_people_saving_over_the_same_version_one_wins_one_gets_the_conflict(
    db: SqliteDatabase,
) -> None:
    cid = await active_with_session(db)
    results = await asyncio.gather(
        handlers.revise_plan(revise(cid, "mentee", 0, "A"), SqliteMessagingUnitOfWork(db), now=NOW),
        handlers.revise_plan(revise(cid, "mentor", 0, "B"), SqliteMessagingUnitOfWork(db), now=NOW),
        return_exceptions=True,
    )
    conflicts = [r for r in results if isinstance(r, PlanVersionConflict)]
    assert len(conflicts) == 1
    assert conflicts[0].current_version == 1
    saved = await db.fetchone(
        "SELECT version, actions FROM plans WHERE conversation_id = ?", (cid,)
    )
    assert saved is not None
    assert saved["version"] == 1
    assert '"id": ""' not in saved["actions"], "new actions get an id"


async def test_plan_limits_and_outsiders_are_refused(db: SqliteDatabase) -> None:
    cid = await active_with_session(db)
    too_many = RevisePlan(
        cid, "mentee", 0, [], [PlanAction("", f"a{i}", "both") for i in range(MAX_ACTIONS + 1)]
    )
    with pytest.raises(InvalidPlan):
        await handlers.revise_plan(too_many, SqliteMessagingUnitOfWork(db), now=NOW)
    with pytest.raises(InvalidPlan):
        await handlers.revise_plan(
            revise(cid, "mentee", 0, "ok", " "), SqliteMessagingUnitOfWork(db), now=NOW
        )
    with pytest.raises(ConversationNotFound):
        await handlers.revise_plan(
            revise(cid, "intruder", 0, "x"), SqliteMessagingUnitOfWork(db), now=NOW
        )
    with pytest.raises(SessionNotFound):
        await handlers.write_session_note(
            WriteSessionNote(cid, "no-such-session", "mentee", "x"),
            SqliteMessagingUnitOfWork(db),
            now=NOW,
        )


async def test_erasure_takes_the_plan_the_notes_and_the_goals(db: SqliteDatabase) -> None:
    cid = await active_with_session(db)
    sid = await session_of(db, cid)
    await consume(
        db,
        lambda uow: handlers.record_person(
            RecordPerson(Person("mentee", "Ana B", "AB", False, 3, ("Lead a team",))), uow
        ),
    )
    await handlers.revise_plan(
        revise(cid, "mentor", 0, "Lead a team"), SqliteMessagingUnitOfWork(db), now=NOW
    )
    for author in ("mentee", "mentor"):
        await handlers.write_session_note(
            WriteSessionNote(cid, sid, author, f"notes of the {author}"),
            SqliteMessagingUnitOfWork(db),
            now=NOW,
        )
    await consume(db, lambda uow: handlers.erase_person(ErasePerson("mentee"), uow))
    for table in ("plans", "session_notes", "person_goals"):
        row = await db.fetchone(f"SELECT count(*) AS n FROM {table}")
        assert row is not None
        assert row["n"] == 0, table
