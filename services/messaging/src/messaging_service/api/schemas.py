"""Request and response bodies of the messaging API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.config import JsonDict

from messaging_service.domain.model import (
    MAX_MESSAGE_LENGTH,
    MAX_SESSION_MINUTES,
    MIN_SESSION_MINUTES,
    ClosedReason,
    ConversationStatus,
    SessionStatus,
)
from messaging_service.domain.plan import (
    MAX_ACTION_LENGTH,
    MAX_ACTIONS,
    MAX_GOAL_LENGTH,
    MAX_GOALS,
    MAX_NOTE_LENGTH,
    ActionOwner,
)


class ParticipantPublic(BaseModel):
    """The other person of a conversation, as the caller may see them."""

    id: str | None = Field(description="Null when they erased their account")
    display_name: str


class ConversationPublic(BaseModel):
    """One of the caller's conversations."""

    id: str
    match_id: str
    status: ConversationStatus
    read_only: bool
    closed_reason: ClosedReason | None
    other_participant: ParticipantPublic
    unread_count: int
    last_message_seq: int
    last_activity_at: datetime
    created_at: datetime


class ConversationList(BaseModel):
    """The caller's conversations, newest activity first."""

    items: list[ConversationPublic]


class MessageCreate(BaseModel):
    """A new message."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=MAX_MESSAGE_LENGTH)


class MessagePublic(BaseModel):
    """A message; ``body`` and ``sender_id`` are null for a deleted account's messages."""

    id: str
    conversation_id: str
    seq: int = Field(description="Increases by one per message in the conversation")
    sender_id: str | None
    body: str | None
    sent_at: datetime
    deleted: bool
    deleted_placeholder: str | None = Field(
        default=None, description="What to show instead of a deleted account's message"
    )


class MessagePage(BaseModel):
    """A page of messages, newest first; pass ``next_cursor`` back for older ones."""

    items: list[MessagePublic]
    next_cursor: str | None


class ReadReceiptCreate(BaseModel):
    """Everything up to and including this message has been read."""

    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(min_length=1, max_length=100)


class ReadReceiptPublic(BaseModel):
    """Where the caller's read mark stands now."""

    last_read_seq: int
    unread_count: int


class ReportCreate(BaseModel):
    """Why a message is being reported."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class ReportPublic(BaseModel):
    """A report was recorded."""

    id: str
    message_id: str
    created_at: datetime


class ReportedMessagePublic(BaseModel):
    """The reported message only: the conversation is not shown to administrators."""

    id: str
    sender_id: str | None
    sender_name: str
    body: str | None
    sent_at: datetime
    deleted: bool


class AdminReportPublic(BaseModel):
    """One entry of the administrators' report queue."""

    id: str
    reason: str
    reporter_id: str
    created_at: datetime
    message: ReportedMessagePublic | None


class AdminReportList(BaseModel):
    """Reports newest first."""

    items: list[AdminReportPublic]


_PLACE_REQUIRED: JsonDict = {
    # The rule of ``_needs_a_place`` in the schema, for client generators.
    "anyOf": [
        {
            "required": ["location"],
            "properties": {"location": {"type": "string", "pattern": r"\S"}},
        },
        {"required": ["online_link"], "properties": {"online_link": {"type": "string"}}},
    ]
}


class _Place(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_PLACE_REQUIRED)

    location: str | None = Field(default=None, max_length=300)
    online_link: AnyHttpUrl | None = None

    @model_validator(mode="after")
    def _needs_a_place(self) -> _Place:
        if not (self.location or "").strip() and self.online_link is None:
            raise ValueError("give a location or an online link")
        return self

    @property
    def online_link_text(self) -> str | None:
        """The online link as the commands take it (text), or None."""
        return str(self.online_link) if self.online_link else None


class SessionCreate(_Place):
    """Propose one session."""

    starts_at: AwareDatetime = Field(description="In the future, with a time zone")
    duration_minutes: int = Field(ge=MIN_SESSION_MINUTES, le=MAX_SESSION_MINUTES)


class SeriesCreate(_Place):
    """Plan six one-hour sessions three weeks apart from ``starts_at``."""

    starts_at: AwareDatetime = Field(description="The first session; in the future")


class SessionPublic(BaseModel):
    """A session; ``ics_url`` is set once it has a calendar invite."""

    id: str
    conversation_id: str
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    location: str | None
    online_link: str | None
    proposer_id: str
    sequence: int
    ics_url: str | None


class SessionList(BaseModel):
    """Sessions by start time."""

    items: list[SessionPublic]


SessionActionName = Literal["accept", "decline", "held", "cancel"]


class PlanActionBody(BaseModel):
    """One shared action; leave ``id`` out for a new one."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=100)
    text: str = Field(min_length=1, max_length=MAX_ACTION_LENGTH)
    owner: ActionOwner = Field(description="Whose action it is, by side of the match")
    due_on: date | None = None
    done: bool = False


class PlanActionPublic(BaseModel):
    """One shared action."""

    id: str
    text: str
    owner: ActionOwner
    due_on: date | None
    done: bool


class PlanUpdate(BaseModel):
    """The whole plan as the editor wants it, with the version they read."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=0, description="The version read; a stale one gets 409")
    # The pattern (some character that is not a space) is in the schema, so a client
    # generated from it knows a blank goal is refused.
    goals: list[
        Annotated[str, StringConstraints(min_length=1, max_length=MAX_GOAL_LENGTH, pattern=r"\S")]
    ] = Field(max_length=MAX_GOALS)
    actions: list[PlanActionBody] = Field(max_length=MAX_ACTIONS)


class PlanPublic(BaseModel):
    """The shared plan; ``version`` 0 is the unsaved plan prefilled with the mentee's goals."""

    conversation_id: str
    version: int
    goals: list[str]
    actions: list[PlanActionPublic]
    updated_at: datetime | None
    updated_by: str | None = Field(description="Who saved last (one of the two people)")
    editable: bool = Field(description="False once the match is over")


class SessionNoteUpdate(BaseModel):
    """The caller's private notes on a session (empty clears them)."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(max_length=MAX_NOTE_LENGTH)


class SessionNotePublic(BaseModel):
    """The caller's own notes on a session; never shown to the other person."""

    session_id: str
    body: str
    updated_at: datetime | None


class ConversationExport(BaseModel):
    """One of the caller's conversations with everything in it they can see."""

    id: str
    match_id: str
    role: Literal["mentee", "mentor"] = Field(description="The caller's side of the match")
    status: ConversationStatus
    closed_reason: ClosedReason | None
    other_participant: ParticipantPublic = Field(
        description="As the caller sees them in the conversation list"
    )
    created_at: datetime
    last_activity_at: datetime
    last_read_seq: int = Field(description="The caller's read mark (0: nothing read)")
    messages: list[MessagePublic] = Field(
        description="Every message, the caller's and the other person's, oldest first"
    )
    sessions: list[SessionPublic]
    plan: PlanPublic | None = Field(
        default=None, description="The shared plan, if either person saved one"
    )
    session_notes: list[SessionNotePublic] = Field(
        default_factory=list, description="The caller's own notes (never the other person's)"
    )


class ReportExport(BaseModel):
    """A report the caller made."""

    id: str
    conversation_id: str
    message_id: str
    reason: str
    created_at: datetime


class MessagingExport(BaseModel):
    """What the messaging service holds about the caller (``GET /v1/me/export/messaging``)."""

    service: Literal["messaging"] = "messaging"
    person_id: str
    exported_at: datetime
    conversations: list[ConversationExport]
    reports: list[ReportExport]
