"""Domain errors as HTTP errors (the shared error shape)."""

from __future__ import annotations

from mentor_shared.web.errors import ApiError, Conflict, NotFound, Unprocessable
from messaging_service.domain.errors import (
    ConversationNotFound,
    ConversationReadOnly,
    InvalidMessage,
    InvalidPlan,
    InvalidSession,
    MatchNotAccepted,
    MessageNotFound,
    MessagingError,
    PlanNeedsAcceptedMatch,
    PlanVersionConflict,
    SessionNotFound,
    SessionTransitionNotAllowed,
)

CONVERSATION_NOT_FOUND = "No such conversation"


def api_error(exc: MessagingError) -> ApiError:
    """The HTTP error for a domain error."""
    if isinstance(exc, ConversationNotFound):
        return NotFound(CONVERSATION_NOT_FOUND, code="conversation_not_found")
    if isinstance(exc, MessageNotFound):
        return NotFound("No such message in this conversation", code="message_not_found")
    if isinstance(exc, SessionNotFound):
        return NotFound("No such session in this conversation", code="session_not_found")
    if isinstance(exc, ConversationReadOnly):
        return Conflict(
            "This conversation is read-only",
            code="conversation_read_only",
            details={"reason": exc.reason},
        )
    if isinstance(exc, PlanNeedsAcceptedMatch):
        return Conflict("The plan needs an accepted match", code="match_not_accepted")
    if isinstance(exc, PlanVersionConflict):
        return Conflict(
            "Someone else saved the plan since you read it: read it again and redo your change",
            code="plan_version_conflict",
            details={"current_version": exc.current_version},
        )
    if isinstance(exc, InvalidPlan):
        return Unprocessable(str(exc), code="invalid_plan")
    if isinstance(exc, MatchNotAccepted):
        return Conflict("Sessions need an accepted match", code="match_not_accepted")
    if isinstance(exc, SessionTransitionNotAllowed):
        return Conflict(
            str(exc),
            code="session_transition_not_allowed",
            details={"status": exc.status, "action": exc.action},
        )
    if isinstance(exc, InvalidMessage):
        return Unprocessable(str(exc), code="invalid_message")
    if isinstance(exc, InvalidSession):
        return Unprocessable(str(exc), code="invalid_session")
    raise exc
