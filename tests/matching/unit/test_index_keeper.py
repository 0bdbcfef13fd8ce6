"""The live index: events applied in batches, snapshot + reconcile, rebuild, cohorts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from pathlib import Path

from matching_service.adapters.embedder import HashingEmbedder
from matching_service.adapters.snapshot import build_matcher, load_matcher, save_matcher
from matching_service.domain.model import CandidateLoad, PairHistory, SuggestionQuery
from matching_service.service.cohorts import plan_cohort
from matching_service.service.index import IndexKeeper, snapshot_delay
from matching_service.service.matcher import Matcher
from mentor_shared.events import new_event
from mentor_shared.events.schemas import ProfileDeleted, ProfileUpserted
from tests.matching.stores import mentee, upserted

EMBEDDER = HashingEmbedder()


def keeper(tmp_path: Path, matcher: Matcher | None = None) -> IndexKeeper:
    return IndexKeeper(
        matcher or build_matcher(EMBEDDER),
        new_matcher=lambda: build_matcher(EMBEDDER),
        snapshot_dir=tmp_path / "index",
        save=save_matcher,
    )


def people() -> list[ProfileUpserted]:
    topics = ["budgets and finance", "digital delivery", "policy writing", "people leadership"]
    mentors = [
        upserted(f"mentor-{i}", expertise_text=f"I can help with {topic}. {topic} is my field.")
        for i, topic in enumerate(topics)
    ]
    mentees = [
        mentee(f"mentee-{i}", goals_text=f"I want to learn {topic}.")
        for i, topic in enumerate(topics)
    ]
    return [*mentors, *mentees]


def stored_as(profiles: Iterable[ProfileUpserted]):  # type: ignore[no-untyped-def]
    """The store's reader; ``profiles`` is read at each call (a dict's values stay live)."""

    async def read() -> list[ProfileUpserted]:
        return list(profiles)

    return read


def events(*payloads: ProfileUpserted | ProfileDeleted):  # type: ignore[no-untyped-def]
    return [new_event(p, subject=p.profile_id, source="test") for p in payloads]


def top(matcher: Matcher, asker: str) -> list[tuple[str, float]]:
    found = matcher.suggest(asker, SuggestionQuery(role="mentor", limit=3))
    return [(s.profile_id, round(s.score, 5)) for s in found]


async def test_a_deleted_profile_is_no_longer_found_by_search(tmp_path: Path) -> None:
    index = keeper(tmp_path)
    await index.apply_events(events(*people()))
    query = SuggestionQuery(role="mentor", limit=10)
    hits = index.matcher.search_text("budgets and finance", query)
    assert hits[0].profile_id == "mentor-0"
    await index.apply_events(events(ProfileDeleted(profile_id="mentor-0")))
    hits = index.matcher.search_text("budgets and finance", query)
    assert "mentor-0" not in [hit.profile_id for hit in hits]
    assert index.matcher.profile("mentor-0") is None
    assert index.last_event is not None
    assert index.last_event.type == "profile.deleted"


async def test_the_last_event_of_a_profile_in_a_batch_wins(tmp_path: Path) -> None:
    index = keeper(tmp_path)
    first = upserted("m", version=1, expertise_text="budgets")
    await index.apply_events(events(first, ProfileDeleted(profile_id="m")))
    assert index.matcher.profile("m") is None


async def test_snapshot_plus_reconcile_equals_a_fresh_rebuild(tmp_path: Path) -> None:
    stored = people()
    index = keeper(tmp_path)
    await index.apply_events(events(*stored))
    assert await index.snapshot()
    # After the snapshot the store moves on: one profile changes, one is erased.
    changed = upserted("mentor-1", version=2, expertise_text="I help with budgets and finance.")
    current = [p for p in stored if p.profile_id not in {"mentor-1", "mentor-3"}] + [changed]
    loaded = load_matcher(tmp_path / "index", EMBEDDER)
    assert loaded is not None
    restored = keeper(tmp_path, loaded[0])
    report = await restored.reconcile(current)
    assert (report.indexed, report.removed) == (1, 1)
    fresh = keeper(tmp_path / "fresh")
    await fresh.rebuild(stored_as(current))
    assert restored.matcher.status() == fresh.matcher.status()
    for asker in ("mentee-0", "mentee-2"):
        assert top(restored.matcher, asker) == top(fresh.matcher, asker)


async def test_a_rebuild_does_not_bring_back_someone_erased_while_it_waited(
    tmp_path: Path,
) -> None:
    index = keeper(tmp_path)
    store = {profile.profile_id: profile for profile in people()}
    await index.apply_events(events(*store.values()))
    # An erasure is being applied (it holds the index) when a rebuild is asked for.
    async with index.lock:
        rebuild = asyncio.create_task(index.rebuild(stored_as(store.values())))
        await asyncio.sleep(0.01)
        del store["mentor-0"]  # its transaction took them out of the store...
        index.matcher.remove_profiles(["mentor-0"])  # ...and it removes them here
    await rebuild
    assert index.matcher.profile("mentor-0") is None
    assert index.matcher.profile("mentor-1") is not None


async def test_a_rebuild_that_leaves_someone_out_replaces_the_saved_snapshot_at_once(
    tmp_path: Path,
) -> None:
    index = keeper(tmp_path)
    store = {profile.profile_id: profile for profile in people()}
    await index.apply_events(events(*store.values()))
    assert await index.snapshot()
    # Erased: their transaction committed, their deletion not yet applied here.
    del store["mentor-0"]
    await index.rebuild(stored_as(store.values()))
    loaded = load_matcher(tmp_path / "index", EMBEDDER)
    assert loaded is not None
    assert loaded[0].profile("mentor-0") is None
    assert loaded[0].profile("mentor-1") is not None


async def test_cohort_assignment_places_everyone_where_greedy_strands_a_mentee(
    tmp_path: Path,
) -> None:
    # First come, first served gives mentee-a its best mentor, x; mentee-b (SEO) may not
    # have y (HEO, below their grade), so greedy strands b. The optimum is a-y, b-x.
    index = keeper(tmp_path)
    await index.apply_events(
        events(
            upserted("x", capacity=1, grade="G7", expertise_text="Budgets and finance."),
            upserted("y", capacity=1, grade="HEO", expertise_text="Finance and budgets work."),
            mentee("mentee-a", grade="EO", goals_text="Budgets and finance."),
            mentee("mentee-b", grade="SEO", goals_text="Budgets and finance."),
        )
    )
    matcher = index.matcher
    a_ranked = matcher.suggest("mentee-a", SuggestionQuery(role="mentor", limit=5))
    b_ranked = matcher.suggest("mentee-b", SuggestionQuery(role="mentor", limit=5))
    assert a_ranked[0].profile_id == "x"  # greedy would take x for mentee-a
    assert [s.profile_id for s in b_ranked] == ["x"]  # y fails b's grade rule
    plan = plan_cohort(
        matcher, ["mentee-a", "mentee-b"], ["x", "y"], PairHistory(), {"x": 1, "y": 1}
    )
    pairs = {(a.mentee_id, a.mentor_id) for a in plan.assignments}
    assert pairs == {("mentee-a", "y"), ("mentee-b", "x")}
    assert plan.unassigned == []
    assert all(a.reasons for a in plan.assignments)


async def test_cohort_respects_capacity_left_and_reports_the_unplaced(tmp_path: Path) -> None:
    index = keeper(tmp_path)
    await index.apply_events(
        events(
            upserted("x", capacity=2, expertise_text="Budgets and finance."),
            *(mentee(f"m{i}", goals_text="Budgets and finance.") for i in range(3)),
        )
    )
    history = PairHistory(loads={"x": CandidateLoad(active_matches=1)})
    plan = plan_cohort(index.matcher, ["m0", "m1", "m2"], ["x"], history, {"x": 1})
    assert len(plan.assignments) == 1
    assert len(plan.unassigned) == 2


async def test_slow_snapshots_stretch_the_periodic_interval(tmp_path: Path) -> None:
    # A snapshot holds the index writer: during a bulk import at 50,000 profiles one
    # takes seconds, and every thirty seconds would stall indexing a fifth of the time.
    def slow_save(matcher: Matcher, directory: Path, metadata: dict[str, object]) -> Path:
        time.sleep(0.05)
        return save_matcher(matcher, directory, metadata)

    index = IndexKeeper(
        build_matcher(EMBEDDER),
        new_matcher=lambda: build_matcher(EMBEDDER),
        snapshot_dir=tmp_path / "index",
        save=slow_save,
    )
    assert snapshot_delay(30.0, index.last_snapshot_s) == 30.0
    await index.apply_events(events(*people()))
    assert await index.snapshot()
    assert index.last_snapshot_s >= 0.05
    assert snapshot_delay(0.1, index.last_snapshot_s) >= 20 * 0.05
    assert snapshot_delay(30.0, 6.0) == 120.0
    assert snapshot_delay(30.0, 1.0) == 30.0


async def test_indexed_profiles_are_settled_out_of_full_collections(tmp_path: Path) -> None:
    """At 50,000 profiles one full collection walking them took 130 ms of a request."""
    import gc

    try:
        index = keeper(tmp_path)
        await index.reconcile(people())
        held = index.matcher.profile("mentor-0")
        assert held is not None
        assert not any(tracked is held for tracked in gc.get_objects())

        # A few events wait for more (settling walks what was made since the last one)...
        await index.apply_events(events(upserted("late", expertise_text="budgets")))
        late = index.matcher.profile("late")
        assert any(tracked is late for tracked in gc.get_objects())
        # ...and a rebuild settles at once.
        await index.rebuild(stored_as(people()))
        rebuilt = index.matcher.profile("mentor-0")
        assert rebuilt is not None
        assert rebuilt is not held
        assert not any(tracked is rebuilt for tracked in gc.get_objects())
    finally:
        gc.unfreeze()
