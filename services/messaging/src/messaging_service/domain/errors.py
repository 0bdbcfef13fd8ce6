"""Errors of the messaging domain."""

from __future__ import annotations


class MessagingError(Exception):
    """Base class of the messaging domain's errors."""


class ConversationNotFound(MessagingError):
    """No such conversation, or the caller is not one of its two participants.

    The two cases are deliberately the same error: nobody else may learn that a
    conversation exists.
    """


class MessageNotFound(MessagingError):
    """No such message in this conversation."""


class SessionNotFound(MessagingError):
    """No such session in this conversation."""


class ConversationReadOnly(MessagingError):
    """The conversation is closed (declined, withdrawn, expired, ended, erased)."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(f"conversation is read-only ({reason})")
        self.reason = reason


class MatchNotAccepted(MessagingError):
    """Sessions need an accepted, active match."""


class InvalidMessage(MessagingError):
    """The message body breaks a rule (empty, whitespace only, too long)."""


class InvalidSession(MessagingError):
    """The session proposal breaks a rule (past start, duration, no place)."""


class SessionTransitionNotAllowed(MessagingError):
    """The session cannot move to that status, or not by this participant."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} a session that is {status}")
        self.status = status
        self.action = action


class InvalidPlan(MessagingError):
    """The plan or the notes break a rule (too many goals or actions, blank or long text)."""


class PlanVersionConflict(MessagingError):
    """The plan was saved by someone else since the caller read it."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the plan is at version {current_version}")
        self.current_version = current_version


class PlanNeedsAcceptedMatch(MatchNotAccepted):
    """The shared plan exists only once the match is accepted."""
