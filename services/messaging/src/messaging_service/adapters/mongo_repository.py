"""MongoDB adapters: repositories in the unit of work's transaction, and the read model.

Every repository call passes ``session=self.session`` so it joins the
transaction. Times are stored as BSON dates (millisecond precision; message
order comes from ``seq``, never from times).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.bus.mongo_store import MongoUnitOfWork
from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from messaging_service.adapters.sqlite_repository import actions_from
from messaging_service.domain.model import (
    Conversation,
    ConversationSummary,
    Message,
    Person,
    Report,
    Session,
)
from messaging_service.domain.plan import Plan, SessionNote
from messaging_service.service.ports import (
    ConversationRepository,
    ErasedSubjectRepository,
    MessageRepository,
    PersonRepository,
    PlanRepository,
    ReadStateRepository,
    ReportedMessage,
    ReportRepository,
    RetainedEventRepository,
    SessionNoteRepository,
    SessionRepository,
    sorted_newest_first,
)

Document = dict[str, Any]


async def ensure_messaging_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes the repositories and the read model rely on (idempotent)."""
    await db.conversations.create_index("match_id", unique=True)
    await db.conversations.create_index("mentee_id")
    await db.conversations.create_index("mentor_id")
    await db.messages.create_index(
        [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True
    )
    await db.messages.create_index("sender_id")
    await db.read_states.create_index("reader_id")
    await db.reports.create_index([("created_at", DESCENDING)])
    await db.reports.create_index("reporter_id")
    await db.sessions.create_index([("conversation_id", ASCENDING), ("starts_at", ASCENDING)])
    await db.sessions.create_index("proposer_id")
    await db.sessions.create_index("other_id")
    await db.session_notes.create_index(
        [("session_id", ASCENDING), ("author_id", ASCENDING)], unique=True
    )
    await db.session_notes.create_index("author_id")
    await db.session_notes.create_index("conversation_id")


def _aware(value: datetime) -> datetime:
    # Clients built by mentor_shared.storage.mongo are tz_aware; this guards others.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _conversation_doc(c: Conversation) -> Document:
    return {
        "_id": c.id,
        "match_id": c.match_id,
        "mentee_id": c.mentee_id,
        "mentor_id": c.mentor_id,
        "status": c.status,
        "closed_reason": c.closed_reason,
        "created_at": c.created_at,
        "last_activity_at": c.last_activity_at,
        "last_seq": c.last_seq,
    }


def _conversation(doc: Document) -> Conversation:
    return Conversation(
        id=doc["_id"],
        match_id=doc["match_id"],
        mentee_id=doc["mentee_id"],
        mentor_id=doc["mentor_id"],
        status=doc["status"],
        closed_reason=doc["closed_reason"],
        created_at=_aware(doc["created_at"]),
        last_activity_at=_aware(doc["last_activity_at"]),
        last_seq=doc["last_seq"],
    )


def _message_doc(m: Message) -> Document:
    return {
        "_id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "sender_id": m.sender_id,
        "body": m.body,
        "sent_at": m.sent_at,
        "deleted": m.deleted,
    }


def _message(doc: Document) -> Message:
    return Message(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        seq=doc["seq"],
        sender_id=doc["sender_id"],
        body=doc["body"],
        sent_at=_aware(doc["sent_at"]),
        deleted=bool(doc["deleted"]),
    )


def _report_doc(r: Report) -> Document:
    return {
        "_id": r.id,
        "message_id": r.message_id,
        "conversation_id": r.conversation_id,
        "reporter_id": r.reporter_id,
        "reason": r.reason,
        "created_at": r.created_at,
    }


def _report(doc: Document) -> Report:
    return Report(
        id=doc["_id"],
        message_id=doc["message_id"],
        conversation_id=doc["conversation_id"],
        reporter_id=doc["reporter_id"],
        reason=doc["reason"],
        created_at=_aware(doc["created_at"]),
    )


def _session_doc(s: Session) -> Document:
    return {
        "_id": s.id,
        "conversation_id": s.conversation_id,
        "match_id": s.match_id,
        "proposer_id": s.proposer_id,
        "other_id": s.other_id,
        "starts_at": s.starts_at,
        "duration_minutes": s.duration_minutes,
        "location": s.location,
        "online_link": s.online_link,
        "status": s.status,
        "sequence": s.sequence,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }


def _session(doc: Document) -> Session:
    return Session(
        id=doc["_id"],
        conversation_id=doc["conversation_id"],
        match_id=doc["match_id"],
        proposer_id=doc["proposer_id"],
        other_id=doc["other_id"],
        starts_at=_aware(doc["starts_at"]),
        duration_minutes=doc["duration_minutes"],
        location=doc["location"],
        online_link=doc["online_link"],
        status=doc["status"],
        sequence=doc["sequence"],
        created_at=_aware(doc["created_at"]),
        updated_at=_aware(doc["updated_at"]),
    )


def _person(doc: Document) -> Person:
    return Person(
        profile_id=doc["_id"],
        display_name=doc["display_name"],
        initials=doc["initials"],
        anonymous=bool(doc["anonymous"]),
        version=doc["version"],
        goals=tuple(doc.get("goals", ())),
    )


def _plan_doc(plan: Plan) -> Document:
    return {
        "_id": plan.conversation_id,
        "goals": list(plan.goals),
        "actions": [
            {
                "id": a.id,
                "text": a.text,
                "owner": a.owner,
                "due_on": a.due_on.isoformat() if a.due_on else None,
                "done": a.done,
            }
            for a in plan.actions
        ],
        "version": plan.version,
        "updated_at": plan.updated_at,
        "updated_by": plan.updated_by,
    }


def _plan(doc: Document) -> Plan:
    return Plan(
        conversation_id=doc["_id"],
        goals=list(doc["goals"]),
        actions=actions_from(doc["actions"]),
        version=doc["version"],
        updated_at=_aware(doc["updated_at"]) if doc.get("updated_at") else None,
        updated_by=doc.get("updated_by"),
    )


def _note(doc: Document) -> SessionNote:
    return SessionNote(
        conversation_id=doc["conversation_id"],
        session_id=doc["session_id"],
        author_id=doc["author_id"],
        body=doc["body"],
        updated_at=_aware(doc["updated_at"]),
    )


class _Repo:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.db = db
        self.session = session


class MongoConversationRepository(_Repo):
    """Conversations on MongoDB."""

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        doc = await self.db.conversations.find_one({"_id": conversation_id}, session=self.session)
        return _conversation(doc) if doc else None

    async def get_by_match(self, match_id: str) -> Conversation | None:
        """The conversation of a match, or None."""
        doc = await self.db.conversations.find_one({"match_id": match_id}, session=self.session)
        return _conversation(doc) if doc else None

    async def add(self, conversation: Conversation) -> None:
        """Store a new conversation."""
        await self.db.conversations.insert_one(
            _conversation_doc(conversation), session=self.session
        )

    async def update(self, conversation: Conversation) -> None:
        """Save status, participants, last sequence and activity time."""
        doc = _conversation_doc(conversation)
        await self.db.conversations.replace_one({"_id": conversation.id}, doc, session=self.session)

    async def list_for_participant(self, person_id: str) -> list[Conversation]:
        """Every conversation the person takes part in."""
        cursor = self.db.conversations.find(
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}, session=self.session
        )
        return [_conversation(doc) async for doc in cursor]

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation and everything in it."""
        for collection in ("reports", "read_states", "session_notes", "sessions", "messages"):
            await self.db[collection].delete_many(
                {"conversation_id": conversation_id}, session=self.session
            )
        await self.db.plans.delete_one({"_id": conversation_id}, session=self.session)
        await self.db.conversations.delete_one({"_id": conversation_id}, session=self.session)


class MongoMessageRepository(_Repo):
    """Messages on MongoDB."""

    async def add(self, message: Message) -> None:
        """Store a new message."""
        await self.db.messages.insert_one(_message_doc(message), session=self.session)

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        """A message of the conversation, or None."""
        doc = await self.db.messages.find_one(
            {"_id": message_id, "conversation_id": conversation_id}, session=self.session
        )
        return _message(doc) if doc else None

    async def delete_by_sender(self, person_id: str) -> list[str]:
        """Drop the person's messages; returns their ids."""
        cursor = self.db.messages.find({"sender_id": person_id}, {"_id": 1}, session=self.session)
        ids = [doc["_id"] async for doc in cursor]
        await self.db.messages.delete_many({"sender_id": person_id}, session=self.session)
        return ids

    async def last_sent_at(self, conversation_id: str) -> datetime | None:
        """When the latest message was sent."""
        doc = await self.db.messages.find_one(
            {"conversation_id": conversation_id},
            sort=[("seq", DESCENDING)],
            session=self.session,
        )
        return _aware(doc["sent_at"]) if doc else None


class MongoReadStateRepository(_Repo):
    """Read marks on MongoDB."""

    async def mark_read(self, conversation_id: str, reader_id: str, seq: int) -> int:
        """Raise the reader's mark to ``seq``; returns the mark now held."""
        key = f"{conversation_id}:{reader_id}"
        await self.db.read_states.update_one(
            {"_id": key},
            {
                "$max": {"last_read_seq": seq},
                "$set": {"conversation_id": conversation_id, "reader_id": reader_id},
            },
            upsert=True,
            session=self.session,
        )
        doc = await self.db.read_states.find_one({"_id": key}, session=self.session)
        assert doc is not None  # just upserted in this transaction
        return int(doc["last_read_seq"])

    async def delete_reader(self, person_id: str) -> None:
        """Forget the person's marks."""
        await self.db.read_states.delete_many({"reader_id": person_id}, session=self.session)


class MongoReportRepository(_Repo):
    """Reports on MongoDB."""

    async def add(self, report: Report) -> None:
        """Store a new report."""
        await self.db.reports.insert_one(_report_doc(report), session=self.session)

    async def delete_by_reporter(self, person_id: str) -> int:
        """Drop the person's reports."""
        result = await self.db.reports.delete_many({"reporter_id": person_id}, session=self.session)
        return result.deleted_count

    async def delete_for_messages(self, message_ids: Sequence[str]) -> int:
        """Drop the reports of these messages."""
        result = await self.db.reports.delete_many(
            {"message_id": {"$in": list(message_ids)}}, session=self.session
        )
        return result.deleted_count


class MongoSessionRepository(_Repo):
    """Sessions on MongoDB."""

    async def add(self, session: Session) -> None:
        """Store a new session."""
        await self.db.sessions.insert_one(_session_doc(session), session=self.session)

    async def get(self, conversation_id: str, session_id: str) -> Session | None:
        """A session of the conversation, or None."""
        doc = await self.db.sessions.find_one(
            {"_id": session_id, "conversation_id": conversation_id}, session=self.session
        )
        return _session(doc) if doc else None

    async def update(self, session: Session) -> None:
        """Save status, sequence and update time."""
        await self.db.sessions.update_one(
            {"_id": session.id},
            {
                "$set": {
                    "status": session.status,
                    "sequence": session.sequence,
                    "updated_at": session.updated_at,
                }
            },
            session=self.session,
        )

    async def count_confirmed(self, conversation_id: str) -> int:
        """How many sessions of the conversation are confirmed or held."""
        return int(
            await self.db.sessions.count_documents(
                {"conversation_id": conversation_id, "status": {"$in": ["confirmed", "held"]}},
                session=self.session,
            )
        )

    async def delete_for_participant(self, person_id: str) -> int:
        """Drop every session the person is part of."""
        result = await self.db.sessions.delete_many(
            {"$or": [{"proposer_id": person_id}, {"other_id": person_id}]}, session=self.session
        )
        return result.deleted_count


class MongoPlanRepository(_Repo):
    """Shared plans on MongoDB, one document per conversation (``_id``)."""

    async def get(self, conversation_id: str) -> Plan | None:
        """The saved plan, or None."""
        doc = await self.db.plans.find_one({"_id": conversation_id}, session=self.session)
        return _plan(doc) if doc else None

    async def save(self, plan: Plan, expected_version: int) -> bool:
        """Store the plan if the stored version is still ``expected_version``."""
        if expected_version == 0:
            # An upsert that only inserts: a duplicate-key error would abort the
            # whole transaction, this leaves it usable and says whether it inserted.
            doc = _plan_doc(plan)
            del doc["_id"]
            inserted = await self.db.plans.update_one(
                {"_id": plan.conversation_id},
                {"$setOnInsert": doc},
                upsert=True,
                session=self.session,
            )
            return inserted.upserted_id is not None
        result = await self.db.plans.replace_one(
            {"_id": plan.conversation_id, "version": expected_version},
            _plan_doc(plan),
            session=self.session,
        )
        return result.matched_count == 1

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation's plan."""
        await self.db.plans.delete_one({"_id": conversation_id}, session=self.session)


class MongoSessionNoteRepository(_Repo):
    """Private session notes on MongoDB."""

    async def save(self, note: SessionNote) -> None:
        """Store or replace the author's notes on the session."""
        await self.db.session_notes.replace_one(
            {"session_id": note.session_id, "author_id": note.author_id},
            {
                "session_id": note.session_id,
                "author_id": note.author_id,
                "conversation_id": note.conversation_id,
                "body": note.body,
                "updated_at": note.updated_at,
            },
            upsert=True,
            session=self.session,
        )

    async def delete_for_conversation(self, conversation_id: str) -> int:
        """Drop every note of the conversation."""
        result = await self.db.session_notes.delete_many(
            {"conversation_id": conversation_id}, session=self.session
        )
        return result.deleted_count

    async def delete_by_author(self, person_id: str) -> int:
        """Drop every note the person wrote."""
        result = await self.db.session_notes.delete_many(
            {"author_id": person_id}, session=self.session
        )
        return result.deleted_count


class MongoPersonRepository(_Repo):
    """The directory of display names on MongoDB."""

    async def get(self, profile_id: str) -> Person | None:
        """The person, or None."""
        doc = await self.db.people.find_one({"_id": profile_id}, session=self.session)
        return _person(doc) if doc else None

    async def upsert(self, person: Person) -> bool:
        """Store unless an equal or newer version is held."""
        held = await self.get(person.profile_id)
        if held is not None and held.version >= person.version:
            return False
        await self.db.people.replace_one(
            {"_id": person.profile_id},
            {
                "_id": person.profile_id,
                "display_name": person.display_name,
                "initials": person.initials,
                "anonymous": person.anonymous,
                "version": person.version,
                "goals": list(person.goals),
            },
            upsert=True,
            session=self.session,
        )
        return True

    async def delete(self, profile_id: str) -> None:
        """Forget the person."""
        await self.db.people.delete_one({"_id": profile_id}, session=self.session)


class MongoErasedSubjectRepository(_Repo):
    """The shared ``erased_subjects`` collection, in the unit of work's transaction."""

    async def add(self, subject_id: str) -> None:
        """Record the id as erased."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return bool(await is_erased_mongo(self.db, subject_id, session=self.session))


class MongoRetainedEventRepository(_Repo):
    """The outbox collection, as data about the people its events name."""

    async def forget(self, keys: Sequence[str]) -> int:
        """Drop the outbox documents keyed by ``keys``, sent or not."""
        result = await self.db.outbox.delete_many(
            {"key": {"$in": list(keys)}}, session=self.session
        )
        return result.deleted_count


class MongoMessagingUnitOfWork(MongoUnitOfWork):
    """The messaging service's multi-document transaction on MongoDB."""

    conversations: ConversationRepository
    messages: MessageRepository
    read_states: ReadStateRepository
    reports: ReportRepository
    sessions: SessionRepository
    plans: PlanRepository
    session_notes: SessionNoteRepository
    people: PersonRepository
    erased: ErasedSubjectRepository
    retained_events: RetainedEventRepository

    def open_repositories(self) -> None:
        """Build the repositories on the open session."""
        self.conversations = MongoConversationRepository(self.db, self.session)
        self.messages = MongoMessageRepository(self.db, self.session)
        self.read_states = MongoReadStateRepository(self.db, self.session)
        self.reports = MongoReportRepository(self.db, self.session)
        self.sessions = MongoSessionRepository(self.db, self.session)
        self.plans = MongoPlanRepository(self.db, self.session)
        self.session_notes = MongoSessionNoteRepository(self.db, self.session)
        self.people = MongoPersonRepository(self.db, self.session)
        self.erased = MongoErasedSubjectRepository(self.db, self.session)
        self.retained_events = MongoRetainedEventRepository(self.db, self.session)


class MongoMessagingReadModel:
    """Read-only queries outside transactions."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db

    async def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        doc = await self.db.conversations.find_one({"_id": conversation_id})
        return _conversation(doc) if doc else None

    async def conversations_of(self, person_id: str) -> list[ConversationSummary]:
        """The person's conversations, newest activity first, with unread counts.

        One count query per conversation: people have a handful of conversations.
        """
        cursor = self.db.conversations.find(
            {"$or": [{"mentee_id": person_id}, {"mentor_id": person_id}]}
        )
        summaries = [
            ConversationSummary(conversation, await self.unread_count(conversation.id, person_id))
            for conversation in [_conversation(doc) async for doc in cursor]
        ]
        return sorted_newest_first(summaries)

    async def messages_before(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        """Messages with ``seq < before_seq``, newest first."""
        query: Document = {"conversation_id": conversation_id}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        cursor = self.db.messages.find(query).sort("seq", DESCENDING).limit(limit)
        return [_message(doc) async for doc in cursor]

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int
    ) -> list[Message]:
        """Messages with ``seq > after_seq``, oldest first."""
        cursor = (
            self.db.messages.find({"conversation_id": conversation_id, "seq": {"$gt": after_seq}})
            .sort("seq", ASCENDING)
            .limit(limit)
        )
        return [_message(doc) async for doc in cursor]

    async def unread_count(self, conversation_id: str, reader_id: str) -> int:
        """Messages by someone else after the reader's mark."""
        mark = await self.db.read_states.find_one({"_id": f"{conversation_id}:{reader_id}"})
        last_read = int(mark["last_read_seq"]) if mark else 0
        return await self.db.messages.count_documents(
            {
                "conversation_id": conversation_id,
                "seq": {"$gt": last_read},
                "sender_id": {"$ne": reader_id},
            }
        )

    async def sessions(self, conversation_id: str) -> list[Session]:
        """The conversation's sessions by start time."""
        cursor = self.db.sessions.find({"conversation_id": conversation_id}).sort(
            [("starts_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [_session(doc) async for doc in cursor]

    async def session(self, conversation_id: str, session_id: str) -> Session | None:
        """One session of the conversation, or None."""
        doc = await self.db.sessions.find_one(
            {"_id": session_id, "conversation_id": conversation_id}
        )
        return _session(doc) if doc else None

    async def reports(self, limit: int, before: datetime | None = None) -> list[ReportedMessage]:
        """Reports newest first, each with the reported message as it is now."""
        query: Document = {} if before is None else {"created_at": {"$lt": before}}
        cursor = self.db.reports.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        reports = [_report(doc) async for doc in cursor.limit(limit)]
        ids = [r.message_id for r in reports]
        messages = {
            doc["_id"]: _message(doc) async for doc in self.db.messages.find({"_id": {"$in": ids}})
        }
        return [ReportedMessage(report=r, message=messages.get(r.message_id)) for r in reports]

    async def people(self, profile_ids: Iterable[str]) -> dict[str, Person]:
        """The directory entries known for the ids."""
        ids = sorted(set(profile_ids))
        if not ids:
            return {}
        return {
            doc["_id"]: _person(doc) async for doc in self.db.people.find({"_id": {"$in": ids}})
        }

    async def read_marks_of(self, reader_id: str) -> dict[str, int]:
        """How far the reader has read, by conversation id."""
        return {
            doc["conversation_id"]: int(doc["last_read_seq"])
            async for doc in self.db.read_states.find({"reader_id": reader_id})
        }

    async def reports_by(self, reporter_id: str) -> list[Report]:
        """The reports the person made, oldest first."""
        cursor = self.db.reports.find({"reporter_id": reporter_id}).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [_report(doc) async for doc in cursor]

    async def plan(self, conversation_id: str) -> Plan | None:
        """The saved plan of the conversation, or None."""
        doc = await self.db.plans.find_one({"_id": conversation_id})
        return _plan(doc) if doc else None

    async def session_note(self, session_id: str, author_id: str) -> SessionNote | None:
        """The author's notes on the session, or None."""
        doc = await self.db.session_notes.find_one(
            {"session_id": session_id, "author_id": author_id}
        )
        return _note(doc) if doc else None

    async def session_notes_by(self, author_id: str) -> list[SessionNote]:
        """Every note the author wrote, oldest first."""
        cursor = self.db.session_notes.find({"author_id": author_id}).sort(
            [("updated_at", ASCENDING), ("session_id", ASCENDING)]
        )
        return [_note(doc) async for doc in cursor]
