"""Reply times: what a match says about its mentor, and the usual reply time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matching_service.domain.availability import MentorAvailability
from matching_service.domain.matches import Match
from matching_service.domain.model import CandidateLoad
from matching_service.domain.replies import (
    REPLY_SAMPLE_SIZE,
    ReplyTimes,
    candidate_loads,
    reply_hours,
    waiting_hours,
)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
EXPIRY = timedelta(days=14)


def requested() -> Match:
    return Match("m", "mentee", "mentor", "mentor", "requested", "Hello", created_at=NOW)


def test_the_usual_reply_time_is_the_median_of_the_recent_replies() -> None:
    replies = ReplyTimes("mentor")
    assert replies.median_hours is None
    for hours in (2.0, 300.0, 5.0):
        replies = replies.with_reply(hours)
    assert replies.recent_hours == (2.0, 300.0, 5.0)
    assert replies.median_hours == 5.0, "one very slow reply does not make a mentor slow"


def test_only_the_last_replies_are_kept_so_old_behaviour_is_forgotten() -> None:
    replies = ReplyTimes("mentor")
    for _ in range(REPLY_SAMPLE_SIZE):
        replies = replies.with_reply(200.0)
    assert replies.median_hours == 200.0
    for _ in range(REPLY_SAMPLE_SIZE // 2 + 1):
        replies = replies.with_reply(1.0)
    assert len(replies.recent_hours) == REPLY_SAMPLE_SIZE
    assert replies.recent_hours[-1] == 1.0
    assert replies.median_hours == 1.0, "a majority of prompt recent replies wins"


FREE = MentorAvailability(capacity=1, accepting_requests=True)
"""A mentor with a place free."""


def test_accepting_or_declining_counts_the_time_from_request_to_answer() -> None:
    accepted = requested()
    accepted.accept(NOW + timedelta(hours=3, minutes=30), FREE)
    assert reply_hours(accepted, EXPIRY) == 3.5
    declined = requested()
    declined.decline(NOW + timedelta(days=2), "busy")
    assert reply_hours(declined, EXPIRY) == 48.0


def test_an_expired_request_counts_as_the_whole_expiry_period() -> None:
    expired = requested()
    # The hourly sweep expires it a little after the deadline.
    expired.expire(NOW + EXPIRY + timedelta(minutes=50))
    assert reply_hours(expired, EXPIRY) == 14 * 24


def test_withdrawn_waiting_and_ended_matches_add_no_reply_time() -> None:
    waiting = requested()
    assert reply_hours(waiting, EXPIRY) is None
    withdrawn = requested()
    withdrawn.withdraw(NOW + timedelta(days=3), "withdrawn")
    assert reply_hours(withdrawn, EXPIRY) is None
    ended = requested()
    ended.accept(NOW + timedelta(hours=1), FREE)
    ended.end(NOW + timedelta(days=60), "mentee", None, None)
    assert reply_hours(ended, EXPIRY) is None, "counted once, when it was accepted"


def test_a_clock_that_stepped_back_never_gives_a_negative_time() -> None:
    accepted = requested()
    accepted.accept(NOW - timedelta(minutes=5), FREE)
    assert reply_hours(accepted, EXPIRY) == 0.0
    assert waiting_hours(NOW, NOW - timedelta(hours=1)) == 0.0
    assert ReplyTimes("mentor").with_reply(-2.0).recent_hours == (0.0,)


@pytest.mark.parametrize(
    ("median", "waiting", "expected"),
    [
        (None, None, None),
        (10.0, None, 10.0),
        (None, 30.0, 30.0),
        (10.0, 4.0, 10.0),
        (10.0, 120.0, 120.0),
    ],
)
def test_a_request_waiting_longer_than_usual_raises_the_expected_reply_time(
    median: float | None, waiting: float | None, expected: float | None
) -> None:
    load = CandidateLoad(median_reply_hours=median, oldest_wait_hours=waiting)
    assert load.expected_reply_hours == expected


def test_loads_are_made_from_live_counts_waiting_ages_and_slow_medians() -> None:
    loads = candidate_loads(
        [
            ("busy", 2, 1, NOW - timedelta(hours=30)),
            ("slow-and-busy", 1, 0, None),
            ("full", 3, 0, None),
        ],
        {"slow-and-busy": 70.0, "slow-only": 90.0},
        NOW,
    )
    assert loads == {
        "busy": CandidateLoad(2, 1, None, 30.0),
        "slow-and-busy": CandidateLoad(1, 0, 70.0, None),
        "full": CandidateLoad(3, 0),
        "slow-only": CandidateLoad(median_reply_hours=90.0),
    }


def test_mentors_with_the_same_counts_and_nothing_else_share_one_load() -> None:
    """A reading covers thousands of mentors every few seconds: objects are its cost."""
    live = [(f"mentor-{i}", i % 2, 0, None) for i in range(1000)]
    loads = candidate_loads(live, {}, NOW)
    assert len({id(load) for load in loads.values()}) == 2
    assert loads["mentor-3"] == CandidateLoad(active_matches=1)
    assert loads["mentor-4"] == CandidateLoad()
