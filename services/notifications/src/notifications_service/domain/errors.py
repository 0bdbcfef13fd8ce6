"""Errors the notifications domain raises.

Each is one of the shared families (:mod:`mentor_shared.errors`) and carries the
code and message the HTTP answer shows, so routes let them propagate.
"""

from __future__ import annotations

from mentor_shared.errors import (
    BadRequest,
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    Unauthenticated,
)


class NotificationNotFound(NotFound):
    """No such notification for this person."""

    code = "notification_not_found"
    message = "No such notification"


class SubscriptionNotFound(NotFound):
    """No such subscription."""

    code = "subscription_not_found"
    message = "No such subscription"


class NotConfigurable(InvalidInput):
    """Account emails (verification, reset, claim) cannot be switched off."""

    code = "not_configurable"

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"{kind} emails cannot be changed")


class InvalidUnsubscribeToken(BadRequest):
    """The unsubscribe link was altered or is not ours."""

    code = "invalid_unsubscribe_token"
    message = "This unsubscribe link is not valid"


class ExpiredUnsubscribeToken(Gone):
    """The unsubscribe link is genuine but too old (410)."""

    code = "unsubscribe_link_expired"
    message = (
        "This unsubscribe link has expired. Sign in and change your notification "
        "settings, or use the link in a more recent email"
    )


class PersonErased(Unauthenticated):
    """The person asked to be forgotten: nothing is stored for them again.

    Answered as a revoked token (the shared token check normally answers first).
    """

    code = "token_revoked"
    message = "This account has been deleted"

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        # RFC 6750: a token was sent, and it is no longer any good.
        super().__init__(headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class CheckInNotFound(NotFound):
    """No such check-in for this person."""

    code = "checkin_not_found"
    message = "No such check-in"


class CheckInAnswered(Conflict):
    """The check-in was answered already."""

    code = "checkin_already_answered"
    message = "This check-in has already been answered"
