"""Domain rules: messages, sessions and names, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mentor_shared.errors import Family
from messaging_service.domain.errors import (
    ConversationReadOnly,
    InvalidMessage,
    InvalidSession,
    MatchNotAccepted,
    SessionTransitionNotAllowed,
)
from messaging_service.domain.model import Conversation, Person, propose_session, visible_name

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def active_conversation() -> Conversation:
    conversation = Conversation.open("m1", "mentee", "mentor", NOW)
    conversation.activate()
    return conversation


def test_sequence_numbers_increase_by_one_per_message() -> None:
    conversation = Conversation.open("m1", "mentee", "mentor", NOW)
    seqs = [conversation.post("mentee", f"m{i}", NOW).seq for i in range(3)]
    assert seqs == [1, 2, 3]


@pytest.mark.parametrize("body", ["", "  ", "\n\t", "x" * 5001])
def test_blank_or_over_long_messages_are_refused(body: str) -> None:
    with pytest.raises(InvalidMessage):
        Conversation.open("m1", "a", "b", NOW).post("a", body, NOW)


def test_a_closed_conversation_keeps_its_first_reason_and_takes_no_messages() -> None:
    conversation = active_conversation()
    conversation.close("ended")
    conversation.close("account_deleted")
    conversation.activate()
    assert conversation.status == "closed"
    with pytest.raises(ConversationReadOnly) as raised:
        conversation.post("mentee", "hello", NOW)
    assert raised.value.reason == "ended"


def test_sessions_need_an_accepted_match() -> None:
    with pytest.raises(MatchNotAccepted):
        propose_session(
            Conversation.open("m1", "a", "b", NOW),
            "a",
            starts_at=NOW + timedelta(days=1),
            duration_minutes=60,
            location="Room",
            online_link=None,
            now=NOW,
        )


@pytest.mark.parametrize(
    ("starts_at", "minutes", "location"),
    [
        (NOW - timedelta(minutes=1), 60, "Room"),
        (NOW + timedelta(days=1), 14, "Room"),
        (NOW + timedelta(days=1), 241, "Room"),
        (NOW + timedelta(days=1), 60, "   "),
        ((NOW + timedelta(days=1)).replace(tzinfo=None), 60, "Room"),
    ],
)
def test_invalid_session_proposals_are_refused(
    starts_at: datetime, minutes: int, location: str
) -> None:
    with pytest.raises(InvalidSession):
        propose_session(
            active_conversation(),
            "mentee",
            starts_at=starts_at,
            duration_minutes=minutes,
            location=location,
            online_link=None,
            now=NOW,
        )


def test_only_the_other_person_accepts_and_held_waits_for_the_start() -> None:
    session = propose_session(
        active_conversation(),
        "mentee",
        starts_at=NOW + timedelta(hours=2),
        duration_minutes=60,
        location="Room",
        online_link=None,
        now=NOW,
    )
    with pytest.raises(SessionTransitionNotAllowed):
        session.apply("accept", "mentee", NOW)
    session.apply("accept", "mentor", NOW)
    assert (session.status, session.sequence) == ("confirmed", 1)
    with pytest.raises(SessionTransitionNotAllowed):
        session.apply("held", "mentee", NOW)
    session.apply("held", "mentee", NOW + timedelta(hours=3))
    assert (session.status, session.sequence) == ("held", 2)
    with pytest.raises(SessionTransitionNotAllowed):
        session.apply("cancel", "mentor", NOW + timedelta(hours=3))


def test_only_a_session_confirmed_before_it_was_cancelled_has_a_calendar_entry() -> None:
    def proposed() -> Any:
        return propose_session(
            active_conversation(),
            "mentee",
            starts_at=NOW + timedelta(hours=2),
            duration_minutes=60,
            location="Room",
            online_link=None,
            now=NOW,
        )

    withdrawn = proposed()
    withdrawn.apply("cancel", "mentee", NOW)
    assert not withdrawn.has_invite
    called_off = proposed()
    called_off.apply("accept", "mentor", NOW)
    assert called_off.has_invite
    called_off.apply("cancel", "mentee", NOW)
    assert called_off.has_invite


def test_anonymous_people_show_initials_outside_their_conversations() -> None:
    person = Person("p", "Priya Shah", "PS", anonymous=True, version=1)
    assert visible_name(person, shares_conversation=True) == "Priya Shah"
    assert visible_name(person, shares_conversation=False) == "PS"
    public = Person("q", "Sam Lee", "SL", anonymous=False, version=1)
    assert visible_name(public, shares_conversation=False) == "Sam Lee"
    assert visible_name(None, shares_conversation=True, erased=True) == "A former member"


def test_domain_errors_carry_the_code_message_and_details_callers_see() -> None:
    session = propose_session(
        active_conversation(),
        "mentee",
        starts_at=NOW + timedelta(hours=2),
        duration_minutes=60,
        location="Room",
        online_link=None,
        now=NOW,
    )
    with pytest.raises(SessionTransitionNotAllowed) as refused:
        session.apply("held", "mentee", NOW)
    assert refused.value.family is Family.CONFLICT
    assert refused.value.to_dict() == {
        "code": "session_transition_not_allowed",
        "message": "cannot held a session that is proposed",
        "details": {"status": "proposed", "action": "held"},
    }
    with pytest.raises(InvalidMessage) as blank:
        active_conversation().post("mentee", " ", NOW)
    assert (blank.value.family, blank.value.code, blank.value.message) == (
        Family.INVALID,
        "invalid_message",
        "a message cannot be empty",
    )
    with pytest.raises(MatchNotAccepted) as early:
        Conversation.open("m1", "a", "b", NOW).require_plan_writable()
    assert (early.value.code, early.value.message) == (
        "match_not_accepted",
        "The plan needs an accepted match",
    )
