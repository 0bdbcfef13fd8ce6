"""Match lifecycle and the profile projection on the real SQLite unit of work."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from matching_service.adapters.embedder import HashingEmbedder
from matching_service.adapters.snapshot import build_matcher
from matching_service.domain.commands import AnswerMatch, RequestMatch
from matching_service.domain.errors import (
    InvalidMatchRequest,
    MatchConflict,
    MatchNotFound,
    UnknownProfile,
    WrongParticipant,
)
from matching_service.domain.matches import MatchPolicy
from matching_service.domain.model import PersonProfile, SuggestionQuery
from matching_service.service import handlers
from matching_service.service.handlers import MatchDeps
from matching_service.service.loads import pair_history
from matching_service.service.ports import AppliedEvent
from tests.matching.stores import Store, mentee, open_store, upserted

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "matching.db") as opened:
        yield opened


def applied() -> AppliedEvent:
    return AppliedEvent(str(uuid.uuid4()), "profile.upserted", NOW)


async def put(store: Store, *profiles: object) -> None:
    async with store.uow() as uow:
        for profile in profiles:
            await handlers.project_profile(profile, uow, applied())  # type: ignore[arg-type]
        await uow.commit()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def deps(clock: Clock | None = None, **policy: object) -> MatchDeps:
    return MatchDeps(policy=MatchPolicy(**policy), clock=clock or Clock(NOW))  # type: ignore[arg-type]


async def request(store: Store, mentee_id: str, mentor_id: str, d: MatchDeps | None = None):  # type: ignore[no-untyped-def]
    return await handlers.request_match(
        RequestMatch(mentee_id=mentee_id, mentor_id=mentor_id, message="Hello"),
        store.uow(),
        d or deps(),
    )


async def test_a_stale_profile_version_is_not_stored(store: Store) -> None:
    await put(store, upserted("m1", version=3, display_name="New"))
    await put(store, upserted("m1", version=2, display_name="Old"))
    stored = await store.read.profiles_by_id(["m1"])
    assert stored["m1"].version == 3
    assert stored["m1"].display_name == "New"


async def test_request_is_stored_and_published_through_the_outbox(store: Store) -> None:
    await put(store, upserted("mentor"), mentee("me"))
    match = await request(store, "me", "mentor")
    assert match.status == "requested"
    assert await store.outbox_types() == ["match.requested"]


async def test_requesting_yourself_or_a_non_mentor_is_refused(store: Store) -> None:
    await put(store, mentee("me"), mentee("other"))
    with pytest.raises(InvalidMatchRequest):
        await request(store, "me", "me")
    with pytest.raises(InvalidMatchRequest) as error:
        await request(store, "me", "other")
    assert error.value.code == "not_a_mentor"
    with pytest.raises(UnknownProfile):
        await request(store, "me", "nobody")


async def test_a_fourth_open_request_is_refused(store: Store) -> None:
    mentors = [upserted(f"mentor-{i}") for i in range(4)]
    await put(store, mentee("me"), *mentors)
    for mentor in mentors[:3]:
        await request(store, "me", mentor.profile_id)
    with pytest.raises(MatchConflict) as error:
        await request(store, "me", "mentor-3")
    assert error.value.code == "too_many_open_requests"


async def test_a_mentor_without_capacity_or_paused_gets_no_request(store: Store) -> None:
    await put(
        store,
        mentee("me"),
        upserted("full", capacity=0),
        upserted("paused", accepting_requests=False),
    )
    for mentor_id in ("full", "paused"):
        with pytest.raises(MatchConflict) as error:
            await request(store, "me", mentor_id)
        assert error.value.code == "no_capacity"


async def test_accept_withdraws_the_mentees_other_open_requests(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"))
    first = await request(store, "me", "a")
    second = await request(store, "me", "b")
    await handlers.accept_match(AnswerMatch(first.id, "a"), store.uow(), deps())
    other = await store.read.matches_of("me")
    by_id = {m.id: m for m in other}
    assert by_id[first.id].status == "accepted"
    assert by_id[second.id].status == "withdrawn"
    assert by_id[second.id].reason == "another_accepted"
    assert await store.outbox_types() == [
        "match.requested",
        "match.requested",
        "match.accepted",
        "match.withdrawn",
    ]


async def test_accept_can_keep_the_other_requests_when_configured(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"))
    first = await request(store, "me", "a")
    second = await request(store, "me", "b")
    keep = deps(keep_other_requests_on_accept=True)
    await handlers.accept_match(AnswerMatch(first.id, "a"), store.uow(), keep)
    statuses = {m.id: m.status for m in await store.read.matches_of("me")}
    assert statuses[second.id] == "requested"


async def test_only_the_right_participant_may_answer(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"))
    match = await request(store, "me", "a")
    with pytest.raises(WrongParticipant):
        await handlers.accept_match(AnswerMatch(match.id, "me"), store.uow(), deps())
    with pytest.raises(MatchNotFound):
        await handlers.accept_match(AnswerMatch(match.id, "stranger"), store.uow(), deps())
    with pytest.raises(WrongParticipant):
        await handlers.withdraw_match(AnswerMatch(match.id, "a"), store.uow(), deps())


async def test_concurrent_accepts_never_exceed_capacity(store: Store) -> None:
    mentees = [mentee(f"me-{i}") for i in range(8)]
    await put(store, upserted("busy", capacity=2), *mentees)
    matches = [await request(store, m.profile_id, "busy") for m in mentees]
    results = await asyncio.gather(
        *(handlers.accept_match(AnswerMatch(m.id, "busy"), store.uow(), deps()) for m in matches),
        return_exceptions=True,
    )
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, MatchConflict)]
    assert len(accepted) == 2
    assert len(refused) == 6


async def test_end_records_feedback_and_stats_aggregate_it(store: Store) -> None:
    await put(store, mentee("me", department="DWP"), upserted("a"))
    match = await request(store, "me", "a")
    await handlers.accept_match(AnswerMatch(match.id, "a"), store.uow(), deps())
    await handlers.end_match(AnswerMatch(match.id, "me", rating=4), store.uow(), deps())
    feedback = await store.read.feedback()
    assert (feedback.count, feedback.mean_rating) == (1, 4.0)
    weekly = await store.read.weekly()
    assert [(w.week, w.department, w.requests, w.accepted) for w in weekly] == [
        ("2026-W47", "DWP", 1, 1)
    ]


async def test_requests_get_one_reminder_then_expire(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"))
    clock = Clock(NOW)
    d = deps(clock)
    match = await request(store, "me", "a", d)
    clock.now = NOW + timedelta(days=7, hours=1)
    assert await handlers.expire_requests(store.uow(), d) == (0, 1)
    assert await handlers.expire_requests(store.uow(), d) == (0, 0)
    clock.now = NOW + timedelta(days=14, hours=1)
    assert await handlers.expire_requests(store.uow(), d) == (1, 0)
    assert (await store.read.matches_of("me"))[0].status == "expired"
    assert (await store.outbox_types())[-2:] == ["match.reminder_due", "match.expired"]
    assert match.id == (await store.read.matches_of("me"))[0].id


async def test_erasing_a_profile_deletes_its_matches_and_publishes_nothing_for_them(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"), mentee("other"))
    await request(store, "me", "b")
    active = await request(store, "me", "a", deps(keep_other_requests_on_accept=True))
    await handlers.accept_match(
        AnswerMatch(active.id, "a"), store.uow(), deps(keep_other_requests_on_accept=True)
    )
    kept = await request(store, "other", "a")
    async with store.uow() as uow:
        assert await handlers.erase_profile("me", uow, applied()) == 2
        await uow.commit()
    assert await store.read.matches_of("me") == []
    assert await store.read.matches_of("b") == [], "the request and its message are gone"
    assert [m.id for m in await store.read.matches_of("a")] == [kept.id]
    assert await store.read.profiles_by_id(["me"]) == {}
    # No event on the erased person's behalf, and their matches' retained events
    # (match.requested carries the message) are dropped from the outbox.
    assert await store.outbox_types() == ["match.requested"]
    assert await store.read.erased_among(["me", "a"]) == {"me"}
    async with store.uow() as uow:
        assert await handlers.erase_profile("me", uow, applied()) == 0, "idempotent"
        await uow.commit()


async def test_pair_history_excludes_requested_and_declined_partners(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"), upserted("c"))
    first = await request(store, "me", "a")
    second = await request(store, "me", "b")
    await handlers.decline_match(AnswerMatch(second.id, "b"), store.uow(), deps())
    history = await pair_history(store.read, "me", "mentor", now=NOW)
    assert history.excluded_ids == {"a", "b"}
    assert history.load_of("a").open_requests == 1
    assert first.mentor_id == "a"


async def reply_times(store: Store, mentor_id: str) -> tuple[float, ...] | None:
    async with store.uow() as uow:
        held = await uow.replies.get(mentor_id)
    return None if held is None else held.recent_hours


async def test_answers_feed_the_mentors_reply_times_and_withdrawals_do_not(store: Store) -> None:
    await put(store, mentee("m1"), mentee("m2"), mentee("m3"), upserted("a", capacity=3))
    await put(store, upserted("b"))
    clock = Clock(NOW)
    d = deps(clock)
    accepted = await request(store, "m1", "a", d)
    elsewhere = await request(store, "m1", "b", d)
    declined = await request(store, "m2", "a", d)
    withdrawn = await request(store, "m3", "a", d)
    clock.now = NOW + timedelta(hours=2)
    await handlers.accept_match(AnswerMatch(accepted.id, "a"), store.uow(), d)
    clock.now = NOW + timedelta(hours=30)
    await handlers.decline_match(AnswerMatch(declined.id, "a"), store.uow(), d)
    await handlers.withdraw_match(AnswerMatch(withdrawn.id, "m3"), store.uow(), d)
    clock.now = NOW + timedelta(days=40)
    await handlers.end_match(AnswerMatch(accepted.id, "m1"), store.uow(), d)
    assert await reply_times(store, "a") == (2.0, 30.0), "ending adds nothing, withdrawing neither"
    statuses = {m.id: m.status for m in await store.read.matches_of("m1")}
    assert statuses[elsewhere.id] == "withdrawn"
    assert await reply_times(store, "b") is None, "withdrawn on another accept: not b's doing"
    history = await pair_history(store.read, "m1", "mentor", now=clock.now)
    assert history.load_of("a").median_reply_hours == 16.0


async def test_an_expired_request_counts_as_a_reply_after_the_whole_expiry_period(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("a"))
    clock = Clock(NOW)
    d = deps(clock, request_expiry=timedelta(days=14))
    await request(store, "me", "a", d)
    clock.now = NOW + timedelta(days=14, hours=5)  # the sweep ran late
    assert await handlers.expire_requests(store.uow(), d) == (1, 0)
    assert await reply_times(store, "a") == (336.0,)
    load = (
        await pair_history(store.read, "me", "mentor", now=clock.now, reply_ok_hours=48.0)
    ).load_of("a")
    assert (load.median_reply_hours, load.open_requests, load.oldest_wait_hours) == (336.0, 0, None)


async def test_a_mentor_who_takes_a_week_to_answer_ranks_below_an_equal_prompt_one(
    store: Store,
) -> None:
    expertise = ["stakeholder management", "influencing senior leaders"]
    slow, prompt = (
        upserted("a-slow", expertise=expertise),
        upserted("b-prompt", expertise=expertise),
    )
    asker = mentee("asker")
    await put(store, asker, slow, prompt, mentee("m1"), mentee("m2"))
    clock = Clock(NOW)
    d = deps(clock)
    to_slow = await request(store, "m1", "a-slow", d)
    to_prompt = await request(store, "m2", "b-prompt", d)
    clock.now = NOW + timedelta(hours=1)
    await handlers.decline_match(AnswerMatch(to_prompt.id, "b-prompt"), store.uow(), d)
    clock.now = NOW + timedelta(days=7)
    await handlers.decline_match(AnswerMatch(to_slow.id, "a-slow"), store.uow(), d)

    matcher = build_matcher(HashingEmbedder(dimension=256))
    matcher.index_profiles([PersonProfile.from_fields(p) for p in (asker, slow, prompt)])
    history = await pair_history(
        store.read, "asker", "mentor", now=clock.now, reply_ok_hours=matcher.weights.reply_ok_hours
    )
    found = matcher.suggest("asker", SuggestionQuery(role="mentor"), history)
    # Equal fit: without the penalty the tie would put "a-slow" first.
    assert [s.profile_id for s in found] == ["b-prompt", "a-slow"]
    assert found[1].parts.load_penalty == pytest.approx(matcher.weights.slow_replies)
    assert found[0].parts.load_penalty == 0.0


async def test_a_request_left_waiting_shows_its_age_in_the_mentors_load(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"))
    await request(store, "me", "a")
    history = await pair_history(store.read, "x", "mentor", now=NOW + timedelta(days=5))
    load = history.load_of("a")
    assert (load.median_reply_hours, load.oldest_wait_hours) == (None, 120.0)
    assert load.expected_reply_hours == 120.0


async def tables_mentioning(store: Store, needle: str) -> list[str]:
    """Tables (bus records aside) that still hold ``needle`` in any column."""
    hits = []
    for table in await store.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
        name = table["name"]
        if name in {"inbox", "outbox", "outbox_marks"}:
            continue
        columns = [row["name"] for row in await store.db.fetchall(f"PRAGMA table_info({name})")]
        condition = " OR ".join(f"CAST({column} AS TEXT) LIKE ?" for column in columns)
        rows = await store.db.fetchall(
            f"SELECT count(*) AS n FROM {name} WHERE {condition}",
            [f"%{needle}%"] * len(columns),
        )
        if rows[0]["n"]:
            hits.append(name)
    return hits


async def test_erasing_a_mentor_forgets_their_reply_times(store: Store) -> None:
    gone = f"mentor-{uuid.uuid4()}"
    await put(store, mentee("m1"), mentee("m2"), upserted(gone))
    answered = await request(store, "m1", gone)
    await request(store, "m2", gone)
    await handlers.decline_match(AnswerMatch(answered.id, gone), store.uow(), deps())
    assert await reply_times(store, gone) == (0.0,)
    assert "mentor_replies" in await tables_mentioning(store, gone)
    async with store.uow() as uow:
        await handlers.erase_profile(gone, uow, applied())
        await uow.commit()
    assert await reply_times(store, gone) is None
    assert await tables_mentioning(store, gone) == ["erased_subjects"], "only the tombstone"
