"""Asking the same person again after a "no", and erasure that stays done."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from matching_service.adapters.embedder import HashingEmbedder
from matching_service.adapters.snapshot import build_matcher, save_matcher
from matching_service.domain.commands import AnswerMatch
from matching_service.domain.errors import ErasedPerson, MatchConflict
from matching_service.service import handlers
from matching_service.service.index import IndexKeeper
from matching_service.service.loads import pair_history
from mentor_shared.events import new_event
from mentor_shared.events.schemas import ProfileDeleted, ProfileUpserted
from mentor_shared.limits import Limit, SqliteRateLimiter, key_digest
from tests.matching.stores import Store, mentee, upserted
from tests.matching.unit.test_handlers import NOW, Clock, applied, deps, put, request, store

__all__ = ["store"]

WAIT = timedelta(days=30)


async def test_a_declined_mentee_cannot_ask_the_same_mentor_again_for_thirty_days(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"))
    clock = Clock(NOW)
    d = deps(clock)
    first = await request(store, "me", "a", d)
    await handlers.decline_match(AnswerMatch(first.id, "a"), store.uow(), d)
    clock.now = NOW + timedelta(days=29)
    with pytest.raises(MatchConflict) as refused:
        await request(store, "me", "a", d)
    assert refused.value.code == "rerequest_too_soon"
    assert refused.value.details == {"allowed_from": (NOW + WAIT).isoformat()}
    assert "30 days" in str(refused.value)
    assert "2026-12-20" in str(refused.value)
    await request(store, "me", "b", d)  # another mentor is fine
    clock.now = NOW + WAIT
    again = await request(store, "me", "a", d)
    assert again.status == "requested"


@pytest.mark.parametrize("ending", ["withdrawn", "expired"])
async def test_a_withdrawal_or_an_expiry_counts_like_a_decline(store: Store, ending: str) -> None:
    await put(store, mentee("me"), upserted("a"))
    clock = Clock(NOW)
    d = deps(clock)
    first = await request(store, "me", "a", d)
    if ending == "withdrawn":
        await handlers.withdraw_match(AnswerMatch(first.id, "me"), store.uow(), d)
    else:
        clock.now = NOW + timedelta(days=14)
        assert await handlers.expire_requests(store.uow(), d) == (1, 0)
    clock.now += timedelta(days=1)
    with pytest.raises(MatchConflict) as refused:
        await request(store, "me", "a", d)
    assert refused.value.code == "rerequest_too_soon"
    history = await pair_history(store.read, "me", "mentor", now=clock.now, rerequest_after=WAIT)
    assert "a" in history.excluded_ids, "not suggested while it cannot be asked"
    later = await pair_history(
        store.read, "me", "mentor", now=clock.now + WAIT, rerequest_after=WAIT
    )
    assert "a" not in later.excluded_ids


async def test_a_request_withdrawn_because_another_mentor_accepted_does_not_bar_asking_again(
    store: Store,
) -> None:
    await put(store, mentee("me"), upserted("a"), upserted("b"))
    d = deps()
    to_a = await request(store, "me", "a", d)
    to_b = await request(store, "me", "b", d)
    await handlers.accept_match(AnswerMatch(to_b.id, "b"), store.uow(), d)
    assert (await store.read.matches_of("me"))[-1].id == to_a.id
    await handlers.end_match(AnswerMatch(to_b.id, "me"), store.uow(), d)
    history = await pair_history(store.read, "me", "mentor", now=NOW, rerequest_after=WAIT)
    assert "a" not in history.excluded_ids, "still suggested"
    assert (await request(store, "me", "a", d)).status == "requested"
    assert (await request(store, "me", "b", d)).status == "requested", "an ended match neither"


async def test_the_wait_is_a_setting_and_zero_turns_it_off(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"))
    d = deps(rerequest_after=timedelta(0))
    first = await request(store, "me", "a", d)
    await handlers.decline_match(AnswerMatch(first.id, "a"), store.uow(), d)
    assert (await request(store, "me", "a", d)).status == "requested"


async def erase(store: Store, person_id: str) -> None:
    async with store.uow() as uow:
        await handlers.erase_profile(person_id, uow, applied())
        await uow.commit()


async def test_a_replayed_profile_of_an_erased_person_is_not_stored(store: Store) -> None:
    await put(store, upserted("gone", version=1))
    await erase(store, "gone")
    await put(store, upserted("gone", version=7, display_name="Back Again"))
    assert await store.read.profiles_by_id(["gone"]) == {}
    assert await store.read.all_profiles() == []


async def test_nothing_can_be_requested_by_or_of_an_erased_person(store: Store) -> None:
    await put(store, mentee("me"), upserted("a"), mentee("other"))
    limiter = SqliteRateLimiter(store.db)
    counted = Limit("match_requests", 10, 86_400)
    await limiter.hit(counted, "me")
    await limiter.hit(counted, "other")
    await erase(store, "me")
    await erase(store, "a")
    with pytest.raises(ErasedPerson):
        await request(store, "me", "a")
    with pytest.raises(Exception, match="unknown profile"):
        await request(store, "other", "a")
    assert await store.read.matches_of("a") == []
    assert await store.outbox_types() == []
    keys = [row["key"] for row in await store.db.fetchall("SELECT key FROM rate_limits")]
    assert keys == [key_digest("other")], "an erased person's counters go with them"


def keeper(tmp_path: Path, erased: set[str]) -> IndexKeeper:
    async def erased_among(ids: object) -> set[str]:
        return {pid for pid in ids if pid in erased}  # type: ignore[attr-defined]

    embedder = HashingEmbedder()
    return IndexKeeper(
        build_matcher(embedder),
        new_matcher=lambda: build_matcher(embedder),
        snapshot_dir=tmp_path / "index",
        save=save_matcher,
        erased_among=erased_among,
    )


def events(*payloads: ProfileUpserted | ProfileDeleted):  # type: ignore[no-untyped-def]
    return [new_event(p, subject=p.profile_id, source="test") for p in payloads]


def snapshot_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


async def test_an_erasure_rewrites_the_snapshot_without_the_persons_vectors_and_phrases(
    tmp_path: Path,
) -> None:
    erased: set[str] = set()
    index = keeper(tmp_path, erased)
    removed: list[list[str]] = []

    async def hook(ids: object) -> None:
        removed.append(list(ids))  # type: ignore[call-overload]

    index.after_erasure.append(hook)
    secret = "zanzibar-lighthouse-keeping"
    gone = upserted("gone", expertise_text=f"I know all about {secret}.")
    await index.apply_events(events(gone, upserted("stays")))
    assert await index.snapshot()
    assert secret.encode() in snapshot_bytes(tmp_path / "index")
    erased.add("gone")
    await index.apply_events(events(ProfileDeleted(profile_id="gone")))
    assert removed == [["gone"]]
    assert secret.encode() not in snapshot_bytes(tmp_path / "index")
    assert b"gone" not in snapshot_bytes(tmp_path / "index")
    assert index.matcher.profile("stays") is not None
    # A replay of their profile (after a broker loss, a group reset) indexes nothing,
    # even when the deletion and the replay arrive in one batch.
    saved_at = index.snapshot_at
    await index.apply_events(events(ProfileDeleted(profile_id="gone"), gone))
    assert index.matcher.profile("gone") is None
    assert index.snapshot_at == saved_at, "nothing of theirs to rewrite"
    assert secret.encode() not in snapshot_bytes(tmp_path / "index")
