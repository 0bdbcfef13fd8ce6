"""The messaging domain's objects as stored records, one mapping for both stores.

The SQLite and MongoDB adapters both read and write through these mappers
(:class:`mentor_shared.storage.records.RecordMapper`): a field is named and
converted the same way in a SQLite row and a MongoDB document, except for the
conversions each store needs (times, flags, lists) and the key, which MongoDB
keeps as ``_id``.
"""

from __future__ import annotations

from mentor_shared.storage.records import RecordMapper
from messaging_service.domain.model import Conversation, Message, Person, Report, Session
from messaging_service.domain.plan import Plan, SessionNote

CONVERSATIONS = RecordMapper(Conversation, key="id")
MESSAGES = RecordMapper(Message, key="id")
REPORTS = RecordMapper(Report, key="id")
SESSIONS = RecordMapper(Session, key="id")
PEOPLE = RecordMapper(Person, key="profile_id")
"""On SQLite without ``goals``, which are kept beside the directory (``person_goals``)."""
PLANS = RecordMapper(Plan, key="conversation_id")
SESSION_NOTES = RecordMapper(SessionNote)
"""Keyed by session and author together: a MongoDB note's ``_id`` is its own."""

SESSION_CHANGES = ("status", "sequence", "updated_at")
"""What a change to a session (accepted, declined, cancelled, held) writes."""
CONVERSATION_CHANGES = (
    "mentee_id",
    "mentor_id",
    "status",
    "closed_reason",
    "last_activity_at",
    "last_seq",
)
"""What a change to a conversation (a message, closing, an erasure) writes."""
