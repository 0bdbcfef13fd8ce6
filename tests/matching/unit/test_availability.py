"""The capacity rule (domain/availability.py), and the errors it and the handlers raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from matching_service.domain.availability import MentorAvailability, takes_requests
from matching_service.domain.commands import AnswerMatch
from matching_service.domain.errors import (
    ErasedPerson,
    InvalidStatus,
    MatchConflict,
    MatchNotFound,
    MentorPaused,
    NoCapacity,
    NotAMentor,
    NotSaved,
    ProfileNotIndexed,
    UnknownProfile,
    WrongParticipant,
)
from matching_service.service import handlers
from mentor_shared.errors import DomainError
from mentor_shared.web.errors import status_of
from tests.matching.stores import Store, mentee, open_store, upserted
from tests.matching.unit.test_handlers import NOW, deps, put, request

TODAY = NOW.date()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "matching.db") as opened:
        yield opened


def test_a_mentor_takes_a_request_only_while_accepting_unpaused_and_with_a_free_place() -> None:
    free = MentorAvailability(capacity=2, accepting_requests=True, active_matches=1)
    assert free.can_take(TODAY)
    assert free.places_left(TODAY) == 1
    free.ensure_can_take(NOW)
    full = MentorAvailability(capacity=2, accepting_requests=True, active_matches=2)
    assert not full.can_take(TODAY)
    assert full.places_left(TODAY) == 0
    with pytest.raises(NoCapacity) as at_capacity:
        full.ensure_can_take(NOW)
    assert (at_capacity.value.code, at_capacity.value.message) == (
        "no_capacity",
        "This person has no capacity left",
    )
    closed = MentorAvailability(capacity=2, accepting_requests=False)
    assert not closed.can_take(TODAY)
    assert closed.places_left(TODAY) == 0
    with pytest.raises(NoCapacity) as not_taking:
        closed.ensure_can_take(NOW)
    assert (not_taking.value.code, not_taking.value.message) == (
        "no_capacity",
        "This person is not taking requests",
    )
    assert not MentorAvailability.of(None).can_take(TODAY), "no profile takes nobody"


def test_a_pause_refuses_new_requests_until_its_end_date_but_not_an_accept() -> None:
    until = TODAY + timedelta(days=3)
    paused = MentorAvailability(capacity=2, accepting_requests=True, paused_until=until)
    assert not paused.can_take(TODAY)
    assert paused.places_left(TODAY) == 0
    with pytest.raises(MentorPaused) as refused:
        paused.ensure_can_take(NOW)
    assert refused.value.code == "mentor_paused"
    assert refused.value.details == {"paused_until": until.isoformat()}
    paused.ensure_has_place()  # a request made before the pause may still be accepted
    assert paused.can_take(until)
    assert paused.places_left(until) == 2


def test_the_rule_gives_the_same_answer_on_one_mentor_and_on_columns() -> None:
    today = date(2026, 12, 1).toordinal()
    rows = [
        (True, 2, 1, 0),
        (True, 2, 2, 0),
        (False, 2, 0, 0),
        (True, 1, 0, today + 1),
        (True, 1, 0, today),
    ]
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    vectorised = takes_requests(*columns, today=today)
    assert vectorised.tolist() == [takes_requests(*row, today=today) for row in rows]
    assert vectorised.tolist() == [True, False, False, False, True]


async def test_a_paused_mentor_can_still_accept_a_request_made_before_the_pause(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("mentor"))
    asked = await request(store, "me", "mentor")
    await put(store, upserted("mentor", version=2, paused_until=TODAY + timedelta(days=5)))
    accepted = await handlers.accept_match(AnswerMatch(asked.id, "mentor"), store.uow(), deps())
    assert accepted.status == "accepted"


async def test_accepting_an_answered_match_tells_its_status_even_when_the_mentor_is_full(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("mentor", capacity=1))
    asked = await request(store, "me", "mentor")
    await handlers.accept_match(AnswerMatch(asked.id, "mentor"), store.uow(), deps())
    with pytest.raises(InvalidStatus) as again:
        await handlers.accept_match(AnswerMatch(asked.id, "mentor"), store.uow(), deps())
    assert (again.value.code, again.value.message) == ("invalid_status", "the match is accepted")


@pytest.mark.parametrize(
    ("error", "status", "code", "message"),
    [
        (MatchNotFound("m"), 404, "match_not_found", "No such match"),
        (UnknownProfile("p"), 404, "profile_not_found", "No such mentor or coach"),
        (UnknownProfile("p", "No such person"), 404, "profile_not_found", "No such person"),
        (NotSaved("p"), 404, "not_saved", "This person is not on your list"),
        (WrongParticipant("only the mentor"), 403, "wrong_participant", "only the mentor"),
        (NotAMentor(), 403, "not_a_mentor", "Only mentors and coaches receive requests"),
        (
            ProfileNotIndexed("p"),
            409,
            "profile_not_indexed",
            "Your profile is not indexed yet; try again in a moment",
        ),
        (MatchConflict("Full", code="shortlist_full"), 409, "shortlist_full", "Full"),
        (ErasedPerson("p"), 401, "token_revoked", "This account was deleted"),
    ],
)
def test_each_domain_error_carries_its_http_status_code_and_message(
    error: Exception, status: int, code: str, message: str
) -> None:
    assert isinstance(error, DomainError)
    assert (status_of(error), error.code, error.message) == (status, code, message)


def test_an_erased_person_is_asked_to_sign_in_again() -> None:
    assert ErasedPerson("p").headers["WWW-Authenticate"] == "Bearer"
