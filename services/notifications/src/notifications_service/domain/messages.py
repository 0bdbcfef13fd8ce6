"""What each notification says, in plain English (GOV.UK style: short sentences,
no marketing, say what happens next).

One :class:`Letter` per notification; adapters render it as plain text, HTML
and an in-app entry. Message bodies never appear: a new message only says that
there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from notifications_service.domain.model import Kind


@dataclass(frozen=True, slots=True)
class Letter:
    """The words of one notification.

    Attributes:
        kind: Which kind of notification.
        subject: Email subject and in-app title.
        paragraphs: The body, one sentence or two per paragraph.
        action_label: Text of the one link the reader should follow.
        action_url: Where that link goes.
        summary: One line for the in-app list.
    """

    kind: Kind
    subject: str
    paragraphs: tuple[str, ...]
    action_label: str
    action_url: str
    summary: str
    footnotes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One line of a daily digest: what happened, and where to see it."""

    text: str
    url: str


def digest(public_url: str, items: tuple[DigestItem, ...]) -> Letter:
    """The daily summary of emails held for someone who chose the digest."""
    count = len(items)
    things = "1 update" if count == 1 else f"{count} updates"
    return Letter(
        kind="message",  # not used for a digest; the job's kind is "digest"
        subject="Your Mentor Match daily summary",
        paragraphs=(
            f"You have {things} since your last summary.",
            "You asked us to send these once a day instead of one email each time.",
        ),
        action_label="See all your notifications",
        action_url=f"{public_url}/notifications",
        summary=f"{things} in your daily summary",
        footnotes=(
            "You can choose to get an email each time instead in your notification settings.",
        ),
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%A %-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")


def verification(public_url: str, token: str, expires_at: datetime) -> Letter:
    """Confirm your email address."""
    return Letter(
        kind="verification",
        subject="Confirm your email address",
        paragraphs=(
            "You created a Mentor Match account with this email address.",
            "Confirm your email address to finish setting up your account.",
            f"The link works until {_when(expires_at)} (UTC).",
        ),
        action_label="Confirm your email address",
        action_url=f"{public_url}/verify?token={token}",
        summary="Confirm your email address",
        footnotes=("If you did not create an account, you can ignore this email.",),
    )


def password_reset(public_url: str, token: str, expires_at: datetime) -> Letter:
    """Reset your password."""
    return Letter(
        kind="password_reset",
        subject="Reset your password",
        paragraphs=(
            "Someone asked to reset the password for your Mentor Match account.",
            f"The link works until {_when(expires_at)} (UTC) and can be used once.",
        ),
        action_label="Reset your password",
        action_url=f"{public_url}/reset-password?token={token}",
        summary="Reset your password",
        footnotes=(
            "If you did not ask for this, you can ignore this email. Your password has not changed.",
        ),
    )


def claim(public_url: str, token: str, expires_at: datetime) -> Letter:
    """An imported coach claims the account made for them."""
    return Letter(
        kind="claim",
        subject="Your Mentor Match account is ready",
        paragraphs=(
            "The coaching and mentoring team added you to Mentor Match as a coach.",
            "Set a password to start using your account.",
            f"The link works until {_when(expires_at)} (UTC).",
        ),
        action_label="Set your password",
        action_url=f"{public_url}/claim?token={token}",
        summary="Set your password",
        footnotes=("If you were not expecting this, you can ignore this email.",),
    )


def request_received(public_url: str, match_id: str, mentee_name: str, role: str) -> Letter:
    """A mentee asked you to be their mentor or coach."""
    return Letter(
        kind="request_received",
        subject=f"{mentee_name} would like you to be their {role}",
        paragraphs=(
            f"{mentee_name} asked you to be their {role}.",
            "Read their request and accept or decline it.",
        ),
        action_label="Read the request",
        action_url=f"{public_url}/matches/{match_id}",
        summary=f"{mentee_name} asked you to be their {role}",
    )


def request_answered(
    public_url: str, match_id: str, other_name: str, answer: str, *, to_mentor: bool = False
) -> Letter:
    """Your request was accepted, declined, withdrawn or has expired."""
    sentences = {
        "accepted": (
            f"{other_name} accepted your request.",
            "You can now see their contact details and arrange your first conversation.",
        ),
        "declined": (
            f"{other_name} declined your request.",
            "You can ask someone else. Your suggestions show other people who could help.",
        ),
        "withdrawn": (f"{other_name} withdrew their request. You do not need to do anything.",),
        "expired": (
            (f"The request from {other_name} has expired. You do not need to do anything.",)
            if to_mentor
            else (
                f"{other_name} did not answer your request in time, so it has expired.",
                "You can ask someone else.",
            )
        ),
    }[answer]
    return Letter(
        kind="request_answered",
        subject=f"Your request was {answer}" if not to_mentor else f"A request was {answer}",
        paragraphs=sentences,
        action_label="See your matches",
        action_url=f"{public_url}/matches/{match_id}",
        summary=sentences[0],
    )


def reminder(public_url: str, match_id: str, mentee_name: str) -> Letter:
    """A request is still waiting for an answer."""
    return Letter(
        kind="reminder",
        subject=f"{mentee_name} is waiting for your answer",
        paragraphs=(
            f"{mentee_name} asked you to be their mentor and is waiting for an answer.",
            "Accept or decline the request so they know what to do next.",
        ),
        action_label="Answer the request",
        action_url=f"{public_url}/matches/{match_id}",
        summary=f"{mentee_name} is waiting for your answer",
    )


def new_message(public_url: str, conversation_id: str, sender_name: str) -> Letter:
    """A new message (never its body)."""
    return Letter(
        kind="message",
        subject=f"New message from {sender_name}",
        paragraphs=(
            f"{sender_name} sent you a message on Mentor Match.",
            "Sign in to read it and reply.",
        ),
        action_label="Read the message",
        action_url=f"{public_url}/conversations/{conversation_id}",
        summary=f"New message from {sender_name}",
        footnotes=("We send at most one email an hour for each conversation.",),
    )


def session(
    public_url: str, conversation_id: str, other_name: str, status: str, starts_at: datetime
) -> Letter:
    """A session was proposed or confirmed."""
    when = _when(starts_at)
    if status == "confirmed":
        subject = f"Session confirmed for {when}"
        paragraphs: tuple[str, ...] = (
            f"{other_name} confirmed your session on {when} (UTC).",
            "A calendar invitation is attached.",
        )
    else:
        subject = f"{other_name} suggested a session"
        paragraphs = (
            f"{other_name} suggested a session on {when} (UTC).",
            "Confirm the time or suggest another one.",
        )
    return Letter(
        kind="session",
        subject=subject,
        paragraphs=paragraphs,
        action_label="See the session",
        action_url=f"{public_url}/conversations/{conversation_id}",
        summary=paragraphs[0],
    )


def session_cancelled(
    public_url: str,
    conversation_id: str,
    other_name: str,
    starts_at: datetime,
    *,
    by_you: bool | None,
) -> Letter:
    """A confirmed session was cancelled (``by_you``: None when who did is not known)."""
    when = _when(starts_at)
    if by_you is None:
        first = f"Your session with {other_name} on {when} (UTC) was cancelled."
    elif by_you:
        first = f"You cancelled your session with {other_name} on {when} (UTC)."
    else:
        first = f"{other_name} cancelled your session on {when} (UTC)."
    return Letter(
        kind="session",
        subject=f"Session cancelled for {when}",
        paragraphs=(first, "Open the attached calendar file to remove it from your calendar."),
        action_label="See the conversation",
        action_url=f"{public_url}/conversations/{conversation_id}",
        summary=first,
    )


def match_ended(public_url: str, match_id: str, other_name: str, *, by_you: bool) -> Letter:
    """A mentoring relationship ended."""
    first = (
        f"You ended your mentoring with {other_name}."
        if by_you
        else f"{other_name} ended your mentoring."
    )
    return Letter(
        kind="match_ended",
        subject="Your mentoring has ended",
        paragraphs=(first, "Their contact details are no longer shared with you."),
        action_label="See your matches",
        action_url=f"{public_url}/matches/{match_id}",
        summary=first,
    )


def checkin(public_url: str, checkin_id: str, round_: int) -> Letter:
    """How is it going? Asked after the 3rd and 6th confirmed session."""
    return Letter(
        kind="session",
        subject="How is your mentoring going?",
        paragraphs=(
            f"You have had {round_} sessions confirmed. How is it going?",
            "Tell us on a scale of 1 to 5. It takes a minute. "
            "Only totals are shared, never your answer on its own.",
        ),
        action_label="Answer the check-in",
        action_url=f"{public_url}/checkins/{checkin_id}",
        summary="How is your mentoring going? Answer the check-in.",
    )
