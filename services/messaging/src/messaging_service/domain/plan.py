"""The shared mentoring plan of an accepted match, and each person's private session notes.

Pure Python: no framework, no database. The plan is one versioned document per
conversation that both people edit; a write must carry the version it was
based on, so two people editing at once cannot overwrite each other silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final, Literal

from messaging_service.domain.errors import (
    InvalidPlan,
    PlanNeedsAcceptedMatch,
    PlanVersionConflict,
)
from messaging_service.domain.model import Conversation, new_id

ActionOwner = Literal["mentee", "mentor", "both"]

MAX_GOALS: Final = 20
MAX_GOAL_LENGTH: Final = 300
MAX_ACTIONS: Final = 50
MAX_ACTION_LENGTH: Final = 500
MAX_NOTE_LENGTH: Final = 5000


@dataclass(frozen=True)
class PlanAction:
    """One shared action: what, who does it (by side, never by name), by when, done or not."""

    id: str
    text: str
    owner: ActionOwner
    due_on: date | None = None
    done: bool = False


@dataclass
class Plan:
    """The plan of one conversation; ``version`` 0 means nothing has been saved yet."""

    conversation_id: str
    goals: list[str] = field(default_factory=list)
    actions: list[PlanAction] = field(default_factory=list)
    version: int = 0
    updated_at: datetime | None = None
    updated_by: str | None = None

    @classmethod
    def prefilled(cls, conversation_id: str, mentee_goals: list[str]) -> Plan:
        """An unsaved plan whose goals start as the mentee's profile goals (bounded)."""
        goals = [g.strip()[:MAX_GOAL_LENGTH] for g in mentee_goals if g.strip()]
        return cls(conversation_id=conversation_id, goals=goals[:MAX_GOALS])

    def revise(
        self,
        *,
        based_on: int,
        goals: list[str],
        actions: list[PlanAction],
        editor_id: str,
        now: datetime,
    ) -> None:
        """Replace goals and actions as ``editor_id``, if ``based_on`` is the current version.

        Raises:
            PlanVersionConflict: Someone saved the plan since ``based_on`` was read.
            InvalidPlan: Too many goals or actions, or a blank or over-long text.
        """
        if based_on != self.version:
            raise PlanVersionConflict(self.version)
        self.goals = check_goals(goals)
        self.actions = check_actions(actions)
        self.version += 1
        self.updated_at = now
        self.updated_by = editor_id


def check_goals(goals: list[str]) -> list[str]:
    """The goals stripped of surrounding space; raise :class:`InvalidPlan` if out of bounds."""
    cleaned = [g.strip() for g in goals]
    if len(cleaned) > MAX_GOALS:
        raise InvalidPlan(f"a plan has at most {MAX_GOALS} goals")
    for goal in cleaned:
        if not goal:
            raise InvalidPlan("a goal cannot be empty")
        if len(goal) > MAX_GOAL_LENGTH:
            raise InvalidPlan(f"a goal can be at most {MAX_GOAL_LENGTH} characters")
    return cleaned


def check_actions(actions: list[PlanAction]) -> list[PlanAction]:
    """The actions with trimmed text and an id each; raise :class:`InvalidPlan` if out of bounds."""
    if len(actions) > MAX_ACTIONS:
        raise InvalidPlan(f"a plan has at most {MAX_ACTIONS} actions")
    cleaned = []
    seen: set[str] = set()
    for action in actions:
        text = action.text.strip()
        if not text:
            raise InvalidPlan("an action cannot be empty")
        if len(text) > MAX_ACTION_LENGTH:
            raise InvalidPlan(f"an action can be at most {MAX_ACTION_LENGTH} characters")
        action_id = action.id or new_id()
        if action_id in seen:
            raise InvalidPlan("two actions have the same id")
        seen.add(action_id)
        cleaned.append(
            PlanAction(
                id=action_id, text=text, owner=action.owner, due_on=action.due_on, done=action.done
            )
        )
    return cleaned


def require_plan_readable(conversation: Conversation) -> None:
    """A plan exists once the match was accepted: not while it is only a request.

    A closed conversation keeps its plan readable (read-only) if the match had
    been accepted; a request that was declined, withdrawn or expired never had one.

    Raises:
        PlanNeedsAcceptedMatch: The match was never accepted.
    """
    if conversation.status == "requested" or (
        conversation.status == "closed"
        and conversation.closed_reason in ("declined", "withdrawn", "another_accepted", "expired")
    ):
        raise PlanNeedsAcceptedMatch()


@dataclass
class SessionNote:
    """One person's private notes on one session; never shown to the other person."""

    conversation_id: str
    session_id: str
    author_id: str
    body: str
    updated_at: datetime


def write_note(
    conversation_id: str, session_id: str, author_id: str, body: str, now: datetime
) -> SessionNote:
    """The author's notes for a session (an empty body clears them).

    Raises:
        InvalidPlan: The notes are too long.
    """
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidPlan(f"notes can be at most {MAX_NOTE_LENGTH} characters")
    return SessionNote(
        conversation_id=conversation_id,
        session_id=session_id,
        author_id=author_id,
        body=body,
        updated_at=now,
    )
