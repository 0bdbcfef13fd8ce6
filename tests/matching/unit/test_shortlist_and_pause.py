"""Shortlist, pause of new requests and responsiveness facts, on a real SQLite store."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from matching_service.api.cards import cards_for
from matching_service.domain.availability import is_paused
from matching_service.domain.commands import AnswerMatch, DeclineOpenRequests, SavePerson
from matching_service.domain.errors import (
    InvalidMatchRequest,
    MatchConflict,
    UnknownProfile,
)
from matching_service.domain.filters import CandidateTable, has_capacity
from matching_service.domain.model import PairHistory, PersonProfile, SuggestionQuery
from matching_service.domain.replies import ReplyTimes, usual_reply_days
from matching_service.domain.shortlist import MAX_SAVED, activity_month
from matching_service.service import handlers
from matching_service.service.ports import AppliedEvent
from mentor_shared.events.schemas import ProfileDeleted
from tests.matching.stores import Store, mentee, upserted
from tests.matching.unit.test_handlers import NOW, Clock, deps, put, request, store

__all__ = ["store"]

TODAY = NOW.date()


async def save(store: Store, owner: str, profile_id: str) -> object:
    return await handlers.save_person(SavePerson(owner, profile_id), store.uow(), deps())


async def test_saving_lists_people_newest_first_and_saving_again_changes_nothing(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"))
    clock = Clock(NOW)
    await handlers.save_person(SavePerson("me", "a"), store.uow(), deps(clock))
    clock.now = NOW + timedelta(hours=1)
    await handlers.save_person(SavePerson("me", "b"), store.uow(), deps(clock))
    clock.now = NOW + timedelta(hours=2)
    again = await handlers.save_person(SavePerson("me", "a"), store.uow(), deps(clock))
    assert again.saved_at == NOW
    assert [s.profile_id for s in await store.read.shortlist_of("me")] == ["b", "a"]
    await handlers.unsave_person(SavePerson("me", "b"), store.uow())
    assert [s.profile_id for s in await store.read.shortlist_of("me")] == ["a"]
    with pytest.raises(UnknownProfile):
        await handlers.unsave_person(SavePerson("me", "b"), store.uow())


async def test_saving_oneself_or_an_unknown_id_is_refused(store: Store) -> None:
    await put(store, mentee("me"))
    with pytest.raises(InvalidMatchRequest) as itself:
        await save(store, "me", "me")
    assert itself.value.code == "cannot_save_self"
    with pytest.raises(UnknownProfile):
        await save(store, "me", "nobody")
    assert await store.read.shortlist_of("me") == []


async def test_the_shortlist_holds_at_most_fifty_people(store: Store) -> None:
    others = [upserted(f"m{i}") for i in range(MAX_SAVED + 1)]
    await put(store, mentee("me"), *others)
    for other in others[:MAX_SAVED]:
        await save(store, "me", other.profile_id)
    with pytest.raises(MatchConflict) as full:
        await save(store, "me", others[-1].profile_id)
    assert full.value.code == "shortlist_full"
    await save(store, "me", others[0].profile_id)  # already there: fine


async def test_erasure_removes_the_persons_list_and_them_from_other_lists(store: Store) -> None:
    await put(store, mentee("me"), mentee("other"), upserted("gone"), upserted("kept"))
    await save(store, "me", "gone")
    await save(store, "me", "kept")
    await save(store, "gone", "kept")
    await save(store, "other", "gone")
    async with store.uow() as uow:
        await handlers.erase_profile(
            "gone", uow, AppliedEvent(str(uuid.uuid4()), ProfileDeleted.event_type, NOW)
        )
        await uow.commit()
    assert [s.profile_id for s in await store.read.shortlist_of("me")] == ["kept"]
    assert await store.read.shortlist_of("other") == []
    assert await store.read.shortlist_of("gone") == []
    rows = await store.db.fetchall(
        "SELECT * FROM shortlist WHERE owner_id = ? OR profile_id = ?", ("gone", "gone")
    )
    assert rows == []
    assert await store.read.active_months(["gone"]) == {}


def test_a_pause_runs_up_to_its_end_date_and_then_ends_by_itself() -> None:
    assert is_paused(date(2026, 12, 1), date(2026, 11, 30))
    assert not is_paused(date(2026, 12, 1), date(2026, 12, 1))
    assert not is_paused(None, date(2026, 12, 1))


async def test_a_paused_mentor_cannot_be_asked_until_the_pause_ends(store: Store) -> None:
    until = TODAY + timedelta(days=10)
    await put(store, mentee("me"), upserted("busy", paused_until=until))
    clock = Clock(NOW)
    with pytest.raises(MatchConflict) as paused:
        await request(store, "me", "busy", deps(clock))
    assert paused.value.code == "mentor_paused"
    assert paused.value.details == {"paused_until": until.isoformat()}
    assert until.isoformat() in str(paused.value)
    clock.now = datetime.combine(until, NOW.timetz())
    assert (await request(store, "me", "busy", deps(clock))).status == "requested"


def test_a_paused_mentor_is_not_suggested_until_the_date() -> None:
    asker = PersonProfile("me", roles=frozenset({"mentee"}))
    until = date(2026, 12, 10)
    busy = PersonProfile("busy", roles=frozenset({"mentor"}), capacity=2, paused_until=until)
    free = PersonProfile("free", roles=frozenset({"mentor"}), capacity=2)
    table = CandidateTable()
    for person in (asker, busy, free):
        table.upsert(person)
    history = PairHistory()
    during = SuggestionQuery(role="mentor", today=until - timedelta(days=1))
    after = SuggestionQuery(role="mentor", today=until)
    assert table.allowed_ids(asker, during, history) == {"free"}
    assert table.allowed_ids(asker, after, history) == {"busy", "free"}
    assert not has_capacity(busy, during, history)
    assert has_capacity(busy, after, history)


async def test_declining_every_open_request_at_once_sends_one_message_to_each(
    store: Store,
) -> None:
    await put(store, mentee("x"), mentee("y"), mentee("z"), upserted("mentor"), upserted("o"))
    d = deps()
    to_me = [await request(store, mentee_id, "mentor", d) for mentee_id in ("x", "y")]
    elsewhere = await request(store, "z", "o", d)
    declined = await handlers.decline_open_requests(
        DeclineOpenRequests("mentor", reason="I am away until March, sorry"), store.uow(), d
    )
    assert sorted(m.id for m in declined) == sorted(m.id for m in to_me)
    assert {(m.status, m.reason) for m in declined} == {
        ("declined", "I am away until March, sorry")
    }
    assert (await store.outbox_types()).count("match.declined") == 2
    other = [m for m in await store.read.matches_of("o") if m.id == elsewhere.id]
    assert other[0].status == "requested"
    again = await handlers.decline_open_requests(DeclineOpenRequests("mentor"), store.uow(), d)
    assert again == []
    with pytest.raises(InvalidMatchRequest):
        await handlers.decline_open_requests(DeclineOpenRequests("x"), store.uow(), d)


def test_the_usual_reply_time_shows_only_from_three_replies_in_whole_days() -> None:
    assert usual_reply_days(None) is None
    assert usual_reply_days(ReplyTimes("m", (2.0, 5.0))) is None
    assert usual_reply_days(ReplyTimes("m", (2.0, 5.0, 3.0))) == 1
    assert usual_reply_days(ReplyTimes("m", (30.0, 50.0, 49.0))) == 3


async def test_cards_carry_reply_days_and_the_month_of_last_activity_only(store: Store) -> None:
    await put(store, mentee("me"), upserted("m"), upserted("quiet"))
    clock = Clock(NOW)
    d = deps(clock)
    for asker in ("a1", "a2", "a3"):
        await put(store, mentee(asker))
        match = await request(store, asker, "m", d)
        clock.now += timedelta(hours=30)
        await handlers.decline_match(AnswerMatch(match.id, "m"), store.uow(), d)
    months = await store.read.active_months(["m", "a1", "quiet"])
    assert months == {"m": clock.now.strftime("%Y-%m"), "a1": "2026-11", "quiet": "2026-11"}
    profiles = await store.read.profiles_by_id(["m", "quiet"])
    cards = await cards_for(store.read, profiles, ["m", "quiet", "unknown"])
    assert set(cards) == {"m", "quiet"}
    assert (cards["m"].usual_reply_days, cards["m"].last_active) == (2, "2026-11")
    assert cards["quiet"].usual_reply_days is None
    assert activity_month(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "2026-12"


async def test_an_older_month_never_replaces_a_later_one(store: Store) -> None:
    async with store.uow() as uow:
        await uow.activity.touch("p", "2026-11")
        await uow.activity.touch("p", "2026-09")
        await uow.commit()
    assert await store.read.active_months(["p"]) == {"p": "2026-11"}
