"""Errors the notifications domain raises."""

from __future__ import annotations


class NotificationsError(Exception):
    """Base of this service's domain errors."""


class NotificationNotFound(NotificationsError):
    """No such notification for this person."""


class SubscriptionNotFound(NotificationsError):
    """No such subscription."""


class NotConfigurable(NotificationsError):
    """Account emails (verification, reset, claim) cannot be switched off."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"{kind} emails cannot be changed")


class InvalidUnsubscribeToken(NotificationsError):
    """The unsubscribe link was altered or is not ours."""


class ExpiredUnsubscribeToken(NotificationsError):
    """The unsubscribe link is genuine but too old."""


class PersonErased(NotificationsError):
    """The person asked to be forgotten: nothing is stored for them again."""


class CheckInNotFound(NotificationsError):
    """No such check-in for this person."""


class CheckInAnswered(NotificationsError):
    """The check-in was answered already."""
