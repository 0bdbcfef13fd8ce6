"""Errors of the messaging domain.

Each is one of the shared families (:mod:`mentor_shared.errors`) and carries
the code, message and details callers see; the shared handler renders them.
"""

from __future__ import annotations

from mentor_shared.errors import Conflict, InvalidInput, NotFound


class ConversationNotFound(NotFound):
    """No such conversation, or the caller is not one of its two participants.

    The two cases are deliberately the same error: nobody else may learn that a
    conversation exists.
    """

    code = "conversation_not_found"
    message = "No such conversation"


class MessageNotFound(NotFound):
    """No such message in this conversation."""

    code = "message_not_found"
    message = "No such message in this conversation"


class SessionNotFound(NotFound):
    """No such session in this conversation."""

    code = "session_not_found"
    message = "No such session in this conversation"


class ConversationReadOnly(Conflict):
    """The conversation is closed (declined, withdrawn, expired, ended, erased)."""

    code = "conversation_read_only"
    message = "This conversation is read-only"

    def __init__(self, reason: str | None) -> None:
        super().__init__(details={"reason": reason})
        self.reason = reason


class MatchNotAccepted(Conflict):
    """Sessions need an accepted, active match."""

    code = "match_not_accepted"
    message = "Sessions need an accepted match"


class PlanNeedsAcceptedMatch(MatchNotAccepted):
    """The shared plan exists only once the match is accepted."""

    message = "The plan needs an accepted match"


class SessionNotConfirmed(Conflict):
    """The session has no calendar entry: it was never confirmed."""

    code = "session_not_confirmed"
    message = "The session is not confirmed"


class SessionTransitionNotAllowed(Conflict):
    """The session cannot move to that status, or not by this participant."""

    code = "session_transition_not_allowed"

    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            f"cannot {action} a session that is {status}",
            details={"status": status, "action": action},
        )
        self.status = status
        self.action = action


class PlanVersionConflict(Conflict):
    """The plan was saved by someone else since the caller read it."""

    code = "plan_version_conflict"
    message = "Someone else saved the plan since you read it: read it again and redo your change"

    def __init__(self, current_version: int) -> None:
        super().__init__(details={"current_version": current_version})
        self.current_version = current_version


class InvalidMessage(InvalidInput):
    """The message body breaks a rule (empty, whitespace only, too long)."""

    code = "invalid_message"


class InvalidSession(InvalidInput):
    """The session proposal breaks a rule (past start, duration, no place)."""

    code = "invalid_session"


class InvalidPlan(InvalidInput):
    """The plan or the notes break a rule (too many goals or actions, blank or long text)."""

    code = "invalid_plan"
