"""Handlers through the SQLite unit of work on a temporary file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.erasure import ERASED_SQL, is_erased_sqlite
from mentor_shared.storage.sqlite import SqliteDatabase
from messaging_service.adapters.schema import SQLITE_SCHEMA
from messaging_service.adapters.sqlite_repository import (
    SqliteMessagingReadModel,
    SqliteMessagingUnitOfWork,
)
from messaging_service.domain.commands import (
    ActivateConversation,
    ChangeSession,
    ErasePerson,
    OpenConversation,
    PlanSeries,
    ProposeSession,
    RecordPerson,
    SendMessage,
)
from messaging_service.domain.errors import ConversationNotFound
from messaging_service.domain.model import Person
from messaging_service.service import handlers

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase(
        tmp_path / "m.sqlite3", [BUS_SCHEMA, ERASED_SQL, *SQLITE_SCHEMA]
    ).open()
    yield database
    await database.close()


async def consume(db: SqliteDatabase, apply: object) -> SqliteMessagingUnitOfWork:
    uow = SqliteMessagingUnitOfWork(db)
    async with uow:
        await apply(uow)  # type: ignore[operator]
        await uow.commit()
    return uow


async def opened(db: SqliteDatabase, match_id: str = "m1") -> str:
    await consume(
        db,
        lambda uow: handlers.open_conversation(
            OpenConversation(match_id, "mentee", "mentor", "Hello there", NOW), uow
        ),
    )
    row = await db.fetchone("SELECT id FROM conversations WHERE match_id = ?", (match_id,))
    assert row is not None
    return str(row["id"])


async def test_opening_twice_for_one_match_keeps_one_conversation_and_one_message(
    db: SqliteDatabase,
) -> None:
    await opened(db)
    uow = await consume(
        db,
        lambda uow: handlers.open_conversation(
            OpenConversation("m1", "mentee", "mentor", "Hello there", NOW), uow
        ),
    )
    assert uow.committed_events == []
    row = await db.fetchone("SELECT count(*) AS n FROM messages")
    assert row is not None
    assert row["n"] == 1


async def test_every_posted_message_queues_message_sent_without_the_body(
    db: SqliteDatabase,
) -> None:
    cid = await opened(db)
    opening = await db.fetchall("SELECT topic FROM outbox")
    assert opening == [], "the request's own message is announced by match.requested"
    await handlers.send_message(
        SendMessage(cid, "mentor", "confidential reply"), SqliteMessagingUnitOfWork(db), now=NOW
    )
    rows = await db.fetchall("SELECT topic, payload FROM outbox ORDER BY seq")
    assert [r["topic"] for r in rows] == ["messaging"]
    for row in rows:
        assert b"message.sent" in row["payload"]
        assert b"confidential" not in row["payload"]
        assert b"Hello there" not in row["payload"]


async def test_someone_outside_the_conversation_cannot_post(db: SqliteDatabase) -> None:
    cid = await opened(db)
    with pytest.raises(ConversationNotFound):
        await handlers.send_message(
            SendMessage(cid, "intruder", "hi"), SqliteMessagingUnitOfWork(db), now=NOW
        )


async def test_concurrent_posts_get_distinct_consecutive_sequence_numbers(
    db: SqliteDatabase,
) -> None:
    cid = await opened(db)
    sent = await asyncio.gather(
        *(
            handlers.send_message(
                SendMessage(cid, "mentee" if i % 2 else "mentor", f"m{i}"),
                SqliteMessagingUnitOfWork(db),
                now=NOW,
            )
            for i in range(40)
        )
    )
    assert sorted(m.seq for m in sent) == list(range(2, 42))


async def active_with_session(db: SqliteDatabase, match_id: str = "m1") -> str:
    cid = await opened(db, match_id)
    await consume(
        db,
        lambda uow: handlers.record_person(
            RecordPerson(Person("mentee", "Ana B", "AB", False, 2)), uow
        ),
    )
    await consume(
        db,
        lambda uow: handlers.activate_conversation(
            ActivateConversation(match_id, "mentee", "mentor", NOW), uow
        ),
    )
    await handlers.send_message(
        SendMessage(cid, "mentor", "Welcome aboard"), SqliteMessagingUnitOfWork(db), now=NOW
    )
    await handlers.propose_session(
        ProposeSession(cid, "mentor", NOW + timedelta(days=2), 60, "Room", None),
        SqliteMessagingUnitOfWork(db),
        now=NOW,
    )
    return cid


async def test_erasure_deletes_their_messages_sessions_and_name_and_records_the_id(
    db: SqliteDatabase,
) -> None:
    cid = await active_with_session(db)
    await handlers.send_message(
        SendMessage(cid, "mentee", "Later words"),
        SqliteMessagingUnitOfWork(db),
        now=NOW + timedelta(hours=1),
    )

    await consume(db, lambda uow: handlers.erase_person(ErasePerson("mentee"), uow))

    read_model = SqliteMessagingReadModel(db)
    conversation = await read_model.conversation(cid)
    assert conversation is not None
    assert conversation.mentee_id is None
    assert (conversation.status, conversation.closed_reason) == ("closed", "account_deleted")
    # The mentee's request message is gone; the mentor keeps their own.
    [message] = await read_model.messages_before(cid, None, 10)
    assert (message.sender_id, message.body) == ("mentor", "Welcome aboard")
    # Their last message's time goes with it.
    assert conversation.last_activity_at == message.sent_at == NOW
    assert await read_model.sessions(cid) == []
    assert await read_model.people(["mentee"]) == {}
    assert await is_erased_sqlite(db, "mentee")
    assert [s.conversation.id for s in await read_model.conversations_of("mentor")] == [cid]


async def test_erasure_drops_the_outbox_events_of_their_conversations_and_queues_none(
    db: SqliteDatabase,
) -> None:
    await active_with_session(db)
    # The mentor's match with someone else keeps its events.
    await consume(
        db,
        lambda uow: handlers.open_conversation(
            OpenConversation("m2", "someone-else", "mentor", "Hi", NOW), uow
        ),
    )
    other = await db.fetchone("SELECT id FROM conversations WHERE match_id = 'm2'")
    assert other is not None
    await handlers.send_message(
        SendMessage(other["id"], "mentor", "Unrelated"), SqliteMessagingUnitOfWork(db), now=NOW
    )

    uow = await consume(db, lambda uow: handlers.erase_person(ErasePerson("mentee"), uow))

    assert uow.committed_events == []
    rows = await db.fetchall("SELECT key FROM outbox")
    assert [row["key"] for row in rows] == ["m2"]


async def test_a_conversation_nobody_is_left_in_is_deleted_whole(db: SqliteDatabase) -> None:
    cid = await active_with_session(db)

    await consume(db, lambda uow: handlers.erase_person(ErasePerson("mentee"), uow))
    await consume(db, lambda uow: handlers.erase_person(ErasePerson("mentor"), uow))

    read_model = SqliteMessagingReadModel(db)
    assert await read_model.conversation(cid) is None
    assert await read_model.messages_after(cid, 0, 10) == []


async def test_replayed_events_for_an_erased_person_create_nothing(db: SqliteDatabase) -> None:
    await consume(db, lambda uow: handlers.erase_person(ErasePerson("mentee"), uow))

    opened_again = await consume(
        db,
        lambda uow: handlers.open_conversation(
            OpenConversation("m9", "mentee", "mentor", "Hello again", NOW), uow
        ),
    )
    await consume(
        db,
        lambda uow: handlers.activate_conversation(
            ActivateConversation("m10", "mentor", "mentee", NOW), uow
        ),
    )
    await consume(
        db,
        lambda uow: handlers.record_person(
            RecordPerson(Person("mentee", "Ana B", "AB", False, 9)), uow
        ),
    )

    assert opened_again.committed_events == []
    read_model = SqliteMessagingReadModel(db)
    assert await read_model.conversations_of("mentor") == []
    assert await read_model.people(["mentee"]) == {}
    assert (await db.fetchone("SELECT count(*) AS n FROM messages"))["n"] == 0  # type: ignore[index]


async def test_an_older_profile_version_does_not_overwrite_a_newer_name(
    db: SqliteDatabase,
) -> None:
    await consume(
        db,
        lambda uow: handlers.record_person(
            RecordPerson(Person("p", "New Name", "NN", False, 3)), uow
        ),
    )
    await consume(
        db,
        lambda uow: handlers.record_person(
            RecordPerson(Person("p", "Old Name", "ON", False, 2)), uow
        ),
    )
    people = await SqliteMessagingReadModel(db).people(["p"])
    assert people["p"].display_name == "New Name"


async def test_each_confirmation_carries_how_many_sessions_are_confirmed(
    db: SqliteDatabase,
) -> None:
    cid = await active_with_session(db)
    series = await handlers.plan_series(
        PlanSeries(cid, "mentor", NOW + timedelta(days=7), "Room", None),
        SqliteMessagingUnitOfWork(db),
        now=NOW,
    )
    for session in series[:3]:
        await handlers.change_session(
            ChangeSession(cid, session.id, "mentee", "accept"),
            SqliteMessagingUnitOfWork(db),
            now=NOW,
        )
    rows = await db.fetchall("SELECT payload FROM outbox WHERE topic = 'messaging' ORDER BY seq")
    sessions = [
        json.loads(bytes(r["payload"]))["data"]
        for r in rows
        if b"session.scheduled" in bytes(r["payload"])
    ]
    assert [(s["status"], s["confirmed_sessions"]) for s in sessions[-3:]] == [
        ("confirmed", 1),
        ("confirmed", 2),
        ("confirmed", 3),
    ]
    assert {s["confirmed_sessions"] for s in sessions if s["status"] == "proposed"} == {None}


def _scheduled_events(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        json.loads(bytes(r["payload"]))["data"]
        for r in rows
        if b"session.scheduled" in bytes(r["payload"])
    ]


async def test_session_scheduled_says_who_changed_it_its_sequence_and_if_it_was_confirmed(
    db: SqliteDatabase,
) -> None:
    cid = await active_with_session(db)
    [proposed] = await SqliteMessagingReadModel(db).sessions(cid)
    await handlers.change_session(
        ChangeSession(cid, proposed.id, "mentee", "accept"), SqliteMessagingUnitOfWork(db), now=NOW
    )
    await handlers.change_session(
        ChangeSession(cid, proposed.id, "mentor", "cancel"), SqliteMessagingUnitOfWork(db), now=NOW
    )
    rows = await db.fetchall("SELECT payload FROM outbox WHERE topic = 'messaging' ORDER BY seq")
    assert [
        (e["status"], e["sequence"], e["actor_id"], e["was_confirmed"])
        for e in _scheduled_events(rows)
    ] == [
        ("proposed", 0, "mentor", False),
        ("confirmed", 1, "mentee", False),
        ("cancelled", 2, "mentor", True),
    ]


async def test_a_proposal_cancelled_before_confirmation_was_never_confirmed(
    db: SqliteDatabase,
) -> None:
    cid = await active_with_session(db)
    [proposed] = await SqliteMessagingReadModel(db).sessions(cid)
    await handlers.change_session(
        ChangeSession(cid, proposed.id, "mentee", "cancel"), SqliteMessagingUnitOfWork(db), now=NOW
    )
    rows = await db.fetchall("SELECT payload FROM outbox WHERE topic = 'messaging' ORDER BY seq")
    cancelled = _scheduled_events(rows)[-1]
    assert (cancelled["status"], cancelled["actor_id"], cancelled["was_confirmed"]) == (
        "cancelled",
        "mentee",
        False,
    )
