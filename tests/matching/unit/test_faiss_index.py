"""The FAISS vector index: upserts, removals, filtered search, HNSW, snapshots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching_service.adapters.faiss_index import VectorIndex
from matching_service.adapters.int8_codes import RowCodes
from tests.matching.builders import brute_force, ids, unit_vectors

DIMENSION = 16


def _filled(count: int, **options: object) -> tuple[VectorIndex, list[str], np.ndarray]:
    index = VectorIndex(DIMENSION, **options)  # type: ignore[arg-type]
    names = ids(count)
    vectors = unit_vectors(count, DIMENSION, seed=1)
    index.upsert(names, vectors)
    return index, names, vectors


def _top(
    index: VectorIndex, query: np.ndarray, k: int, allowed: set[str] | None = None
) -> list[str]:
    return [hit.profile_id for hit in index.search(query, k, allowed)[0]]


def kind(index: VectorIndex) -> str:
    """The index kind, read afresh (it changes as the index grows and shrinks)."""
    return index.kind


def test_search_returns_exact_top_k_by_inner_product() -> None:
    index, names, vectors = _filled(200)
    query = unit_vectors(1, DIMENSION, seed=9)[0]
    assert _top(index, query, 10) == brute_force(vectors, names, query, 10)
    hits = index.search(query, 3)[0]
    assert hits[0].score == pytest.approx(
        float(vectors[names.index(hits[0].profile_id)] @ query), abs=1e-5
    )


def test_a_filtered_out_id_is_never_returned_and_the_filter_is_exact() -> None:
    index, names, vectors = _filled(300)
    allowed = set(names[::7])
    queries = unit_vectors(20, DIMENSION, seed=3)
    for query in queries:
        found = _top(index, query, 10, allowed)
        assert set(found) <= allowed
        assert found == brute_force(vectors, names, query, 10, allowed)


def test_allowed_keys_filter_like_allowed_ids_and_ignore_stale_keys() -> None:
    index, names, _ = _filled(100)
    allowed = set(names[:30])
    keys = np.array([index.key_of(name) for name in allowed] + [10_000, -1], dtype=np.int64)
    query = unit_vectors(1, DIMENSION, seed=4)[0]
    by_keys = [hit.profile_id for hit in index.search(query, 5, allowed_keys=keys)[0]]
    assert by_keys == _top(index, query, 5, allowed)


def test_many_filtered_queries_at_once_give_the_single_query_results() -> None:
    index, names, _ = _filled(300)
    allowed = set(names[::3])
    queries = unit_vectors(8, DIMENSION, seed=5)
    together = index.search(queries, 10, allowed)
    for query, hits in zip(queries, together, strict=True):
        assert [hit.profile_id for hit in hits] == _top(index, query, 10, allowed)
        assert [hit.score for hit in hits] == pytest.approx(
            [hit.score for hit in index.search(query, 10, allowed)[0]], abs=1e-5
        )


def test_many_queries_over_more_allowed_rows_than_one_gather_block_are_exact() -> None:
    # A third of 2,000 allowed: the allowed rows are gathered in several blocks, and the
    # best of every block must reach the results (after removals, so rows and keys
    # no longer line up).
    index, names, vectors = _filled(2_000)
    index.remove(names[:7])
    live_names, live_vectors = names[7:], vectors[7:]
    allowed = set(live_names[::3])
    queries = unit_vectors(6, DIMENSION, seed=9)
    together = index.search(queries, 10, allowed)
    for query, hits in zip(queries, together, strict=True):
        assert [hit.profile_id for hit in hits] == brute_force(
            live_vectors, live_names, query, 10, allowed
        )


def test_many_queries_with_most_ids_allowed_match_the_exact_filtered_top_k() -> None:
    # Most rows allowed: the batch multiplies by every stored vector and masks the rest
    # out. Removals first, so storage rows and keys no longer line up.
    index, names, vectors = _filled(300)
    index.remove(names[:20])
    live_names, live_vectors = names[20:], vectors[20:]
    allowed = set(live_names) - set(live_names[::5])
    queries = unit_vectors(6, DIMENSION, seed=8)
    together = index.search(queries, 10, allowed)
    for query, hits in zip(queries, together, strict=True):
        expected = brute_force(live_vectors, live_names, query, 10, allowed)
        assert [hit.profile_id for hit in hits] == expected
    every = index.search(queries, len(allowed) + 5, allowed)
    assert all({hit.profile_id for hit in hits} == allowed for hits in every)


def test_fewer_allowed_than_k_returns_only_the_allowed() -> None:
    index, names, _ = _filled(50)
    query = unit_vectors(1, DIMENSION, seed=6)[0]
    assert set(_top(index, query, 10, {names[3], names[4], "unknown"})) == {names[3], names[4]}
    assert index.search(query, 10, set()) == [[]]
    assert index.search(unit_vectors(3, DIMENSION), 10, {"unknown"}) == [[], [], []]


def test_a_removed_id_is_never_returned() -> None:
    index, names, vectors = _filled(100)
    query = vectors[names.index("p-5")]
    assert _top(index, query, 1) == ["p-5"]
    assert index.remove(["p-5", "never-there"]) == 1
    assert not index.contains("p-5")
    assert len(index) == 99
    assert "p-5" not in _top(index, query, 99)
    assert "p-5" not in _top(index, unit_vectors(4, DIMENSION), 99, {"p-5", "p-6"})


def test_upsert_replaces_the_vector_of_an_existing_id() -> None:
    index, names, vectors = _filled(100)
    new_vector = -vectors[names.index("p-7")]
    index.upsert(["p-7"], new_vector[None, :])
    assert len(index) == 100
    assert _top(index, new_vector, 1) == ["p-7"]
    assert "p-7" not in _top(index, vectors[names.index("p-7")], 10)
    np.testing.assert_allclose(index.vectors_for(["p-7"])["p-7"], new_vector, atol=1e-6)


def test_upsert_rejects_mismatched_input() -> None:
    index = VectorIndex(DIMENSION)
    with pytest.raises(ValueError, match="one vector per profile"):
        index.upsert(["a", "b"], unit_vectors(1, DIMENSION))
    with pytest.raises(ValueError, match="distinct"):
        index.upsert(["a", "a"], unit_vectors(2, DIMENSION))
    with pytest.raises(ValueError, match="dimension"):
        index.upsert(["a"], unit_vectors(1, DIMENSION + 1))


def test_an_empty_index_finds_nothing() -> None:
    index = VectorIndex(DIMENSION)
    assert index.search(unit_vectors(2, DIMENSION), 5) == [[], []]
    assert index.vectors_for(["x"]) == {}


def test_snapshot_round_trip_gives_identical_results(tmp_path: Path) -> None:
    index, names, _ = _filled(200)
    index.remove(names[:10])
    path = tmp_path / "offers.npz"
    index.save(path, {"positions": {"profile:0": 41}})
    loaded, metadata = VectorIndex.load(path)
    assert metadata == {"positions": {"profile:0": 41}}
    assert len(loaded) == len(index)
    assert kind(loaded) == "flat"
    assert not list(tmp_path.glob(".*tmp"))
    queries = unit_vectors(10, DIMENSION, seed=8)
    allowed = set(names[::2])
    for query in queries:
        assert loaded.search(query, 10) == index.search(query, 10)
        assert loaded.search(query, 10, allowed) == index.search(query, 10, allowed)
    loaded.upsert(["fresh"], queries[:1])
    assert _top(loaded, queries[0], 1) == ["fresh"]
    assert loaded.key_of("fresh") not in {index.key_of(name) for name in names}


def test_saving_replaces_the_previous_snapshot_atomically(tmp_path: Path) -> None:
    index, _, _ = _filled(20)
    path = tmp_path / "index.npz"
    index.save(path, {"version": 1})
    index.upsert(["extra"], unit_vectors(1, DIMENSION, seed=2))
    index.save(path, {"version": 2})
    loaded, metadata = VectorIndex.load(path)
    assert metadata == {"version": 2}
    assert loaded.contains("extra")
    assert [p.name for p in tmp_path.iterdir()] == ["index.npz"]


def test_index_switches_to_hnsw_above_the_threshold_and_stays_searchable() -> None:
    index, names, vectors = _filled(50, hnsw_threshold=100)
    assert kind(index) == "flat"
    more = ids(150, prefix="q")
    more_vectors = unit_vectors(150, DIMENSION, seed=11)
    index.upsert(more, more_vectors)
    assert kind(index) == "hnsw"
    assert len(index) == 200
    all_names = names + more
    all_vectors = np.vstack([vectors, more_vectors])
    query = unit_vectors(1, DIMENSION, seed=12)[0]
    assert _top(index, query, 10) == brute_force(all_vectors, all_names, query, 10)


def test_hnsw_tombstones_removed_and_replaced_vectors_and_compacts() -> None:
    index, names, vectors = _filled(200, hnsw_threshold=100, max_tombstone_ratio=0.2)
    assert kind(index) == "hnsw"
    index.remove(["p-1", "p-2"])
    index.upsert(["p-3"], -vectors[3][None, :])
    assert index.tombstones == 3
    assert "p-1" not in _top(index, vectors[1], 200)
    assert _top(index, vectors[1], 200, {"p-1", "p-2", "p-4"}) == ["p-4"]
    assert "p-3" not in _top(index, vectors[3], 5)
    assert _top(index, -vectors[3], 1) == ["p-3"]
    index.remove(names[10:60])  # past 20% of the stored vectors: rebuilt from live ones
    assert index.tombstones == 0
    assert len(index) == 148
    assert kind(index) == "hnsw"
    query = unit_vectors(1, DIMENSION, seed=13)[0]
    live = [name for name in names if index.contains(name)]
    assert not set(_top(index, query, 148)) - set(live)


def test_hnsw_filtered_search_is_exact_for_small_allowed_sets() -> None:
    index, names, vectors = _filled(400, hnsw_threshold=100, exact_subset_ratio=0.1)
    allowed = set(names[:20])  # 5% of the index: exact search over the allowed vectors
    for query in unit_vectors(10, DIMENSION, seed=14):
        assert _top(index, query, 5, allowed) == brute_force(vectors, names, query, 5, allowed)


def test_hnsw_batch_search_with_a_wide_filter_is_exact_without_the_graph_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A suggestion's batch (profile vector and goal phrases) under a wide filter: the
    walks widened for the filter cost more than the int8 first pass over the allowed
    rows (47-73 ms against 7-11 ms for ten queries at 50k), and are not exact."""
    index, names, vectors = _filled(2_000, hnsw_threshold=100, exact_subset_ratio=0.1)
    assert kind(index) == "hnsw"

    def graph_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("a batch under a wide filter walked the graph")

    monkeypatch.setattr(index._index, "search", graph_walk)
    allowed = set(names[: int(len(names) * 0.8)])
    queries = unit_vectors(13, DIMENSION, seed=15)
    rows = index.search(queries, 10, allowed)
    for query, row in zip(queries, rows, strict=True):
        assert [hit.profile_id for hit in row] == brute_force(vectors, names, query, 10, allowed)


@pytest.mark.parametrize(("queries", "share"), [(2, 0.5), (3, 0.95)])
def test_hnsw_few_queries_take_one_exact_pass_where_their_walks_would_cost_more(
    monkeypatch: pytest.MonkeyPatch, queries: int, share: float
) -> None:
    """The int8 pass costs about the same for one query or twelve; a walk is paid per
    query: two walks lose from a 0.7 share down, three always (docs/matching.md)."""
    index, names, vectors = _filled(2_000, hnsw_threshold=100)
    assert kind(index) == "hnsw"

    def graph_walk(*args: object, **kwargs: object) -> None:
        raise AssertionError("the queries walked the graph")

    monkeypatch.setattr(index._index, "search", graph_walk)
    allowed = set(names[: int(len(names) * share)])
    batch = unit_vectors(queries, DIMENSION, seed=18)
    rows = index.search(batch, 10, allowed)
    for query, row in zip(batch, rows, strict=True):
        assert [hit.profile_id for hit in row] == brute_force(vectors, names, query, 10, allowed)


@pytest.mark.parametrize(("queries", "share"), [(1, 0.5), (2, 0.95)])
def test_hnsw_one_or_two_queries_under_an_open_filter_walk_the_graph(
    monkeypatch: pytest.MonkeyPatch, queries: int, share: float
) -> None:
    index, names, _ = _filled(2_000, hnsw_threshold=100)
    walks: list[int] = []
    search = index._index.search

    def counted(batch: np.ndarray, *args: object, **kwargs: object) -> object:
        walks.append(batch.shape[0])
        return search(batch, *args, **kwargs)

    monkeypatch.setattr(index._index, "search", counted)
    allowed = set(names[: int(len(names) * share)])
    assert all(
        len(row) == 10 for row in index.search(unit_vectors(queries, DIMENSION), 10, allowed)
    )
    assert walks == [queries]


def test_hnsw_single_query_with_a_narrow_filter_is_scored_exactly() -> None:
    """Below ``exact_subset_ratio`` one filtered query is scored exactly, without the
    widened graph walk, and keys still map to the right people after replacements."""
    index, names, vectors = _filled(2_000, hnsw_threshold=100, max_tombstone_ratio=0.5)
    assert kind(index) == "hnsw"
    moved = unit_vectors(50, DIMENSION, seed=16)
    index.upsert(names[:50], moved)  # tombstones: rows and keys no longer line up
    vectors = np.vstack([moved, vectors[50:]])
    index.ef_search = 1  # a graph walk this narrow misses most of the exact top ten
    allowed = set(names[::5])
    for query in unit_vectors(8, DIMENSION, seed=17):
        exact = brute_force(vectors, names, query, 10, allowed)
        assert [hit.profile_id for hit in index.search(query, 10, allowed)[0]] == exact


def test_hnsw_snapshot_round_trip_keeps_tombstones(tmp_path: Path) -> None:
    index, names, vectors = _filled(200, hnsw_threshold=100, max_tombstone_ratio=0.5)
    index.remove(["p-1"])
    index.save(tmp_path / "s.npz")
    loaded, _ = VectorIndex.load(tmp_path / "s.npz")
    assert kind(loaded) == "hnsw"
    assert loaded.tombstones == 1
    assert "p-1" not in _top(loaded, vectors[1], 199)
    for query in unit_vectors(5, DIMENSION, seed=15):
        assert _top(loaded, query, 10) == _top(index, query, 10)
        assert _top(loaded, query, 3, set(names[:10])) == _top(index, query, 3, set(names[:10]))


def test_shrinking_below_the_threshold_returns_to_exact_search() -> None:
    index, names, _ = _filled(200, hnsw_threshold=100, max_tombstone_ratio=0.1)
    index.remove(names[:150])
    assert kind(index) == "flat"
    assert len(index) == 50


def test_stale_keys_alone_find_nothing_even_for_many_queries() -> None:
    index, names, _ = _filled(20)
    stale = index.key_of(names[0])
    index.remove(names[:1])
    queries = unit_vectors(6, DIMENSION, seed=16)
    assert index.search(queries, 5, allowed_keys=np.array([stale], dtype=np.int64)) == [[]] * 6


@pytest.mark.parametrize("hnsw_threshold", [10_000, 1_000])
def test_found_ids_are_the_distinct_ids_of_every_querys_filtered_top_k(
    hnsw_threshold: int,
) -> None:
    # Flat, then HNSW (its exact subset path for many queries).
    index, names, _ = _filled(3_000, hnsw_threshold=hnsw_threshold)
    assert kind(index) == ("flat" if hnsw_threshold > 3_000 else "hnsw")
    index.remove(names[:5])
    allowed = set(names[5::4])
    keys = np.array([index.key_of(name) for name in allowed], dtype=np.int64)
    queries = unit_vectors(6, DIMENSION, seed=17)
    expected = sorted({hit.profile_id for row in index.search(queries, 10, allowed) for hit in row})
    assert index.found_ids(queries, 10, allowed_keys=keys) == expected
    assert len(expected) > 10
    assert index.found_ids(queries, 0, allowed_keys=keys) == []
    assert index.found_ids(queries, 10, allowed_keys=keys[:0]) == []


def test_a_wide_subset_search_in_hnsw_mode_scores_int8_codes_first_and_stays_exact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Many queries over thousands of allowed rows: the rows' int8 codes pick each
    query's best 2k, exact products order them; the result is brute force's, also after
    replacements (tombstones), a rebuild and a snapshot."""
    dimension, count = 384, 8_000
    index = VectorIndex(dimension, hnsw_threshold=1_000, max_tombstone_ratio=0.05)
    names = ids(count)
    vectors = unit_vectors(count, dimension, seed=21)
    index.upsert(names, vectors)
    assert kind(index) == "hnsw"
    shortlists: list[int] = []
    shortlist = RowCodes.shortlist

    def counted(self: RowCodes, *args: object) -> np.ndarray:
        picked = shortlist(self, *args)  # type: ignore[arg-type]
        shortlists.append(int(picked.size))
        return picked

    monkeypatch.setattr(RowCodes, "shortlist", counted)
    queries = unit_vectors(6, dimension, seed=23)

    def assert_exact(searched: VectorIndex, allowed: set[str]) -> None:
        for query, row in zip(queries, searched.search(queries, 10, allowed), strict=True):
            assert [hit.profile_id for hit in row] == brute_force(
                vectors, names, query, 10, allowed
            )

    moved = unit_vectors(100, dimension, seed=22)
    index.upsert(names[:100], moved)  # tombstones: rows and keys no longer line up
    vectors = np.vstack([moved, vectors[100:]])
    allowed = set(names[::3])  # a third: above 2,048 rows, the int8 pass first
    assert_exact(index, allowed)
    calls = len(shortlists)
    for query in queries[:3]:  # one query alone, under a filter this narrow, too
        hits = index.search(query, 10, allowed)[0]
        assert [hit.profile_id for hit in hits] == brute_force(vectors, names, query, 10, allowed)
    assert len(shortlists) == calls + 3
    # Replaced rows have codes of their new vectors: each finds itself first.
    own = list(range(0, 100, 3))
    found = index.search(moved[own], 1, allowed)
    assert [row[0].profile_id for row in found] == [names[i] for i in own]
    assert shortlists
    assert max(shortlists) < len(allowed)
    index.remove(names[200:800])  # past 5% tombstones: rebuilt, codes made afresh
    assert index.tombstones == 0
    allowed -= set(names[200:800])
    calls = len(shortlists)
    assert_exact(index, allowed)
    assert len(shortlists) > calls
    index.save(tmp_path / "s.npz")
    loaded, _ = VectorIndex.load(tmp_path / "s.npz")
    calls = len(shortlists)
    assert_exact(loaded, allowed)
    assert len(shortlists) > calls


def test_allowed_keys_given_twice_are_found_once() -> None:
    index, names, vectors = _filled(2_000, hnsw_threshold=100)
    assert kind(index) == "hnsw"
    allowed = set(names[::8])  # few enough that the allowed rows are gathered
    keys = np.array([index.key_of(name) for name in allowed] * 2, dtype=np.int64)
    queries = unit_vectors(4, DIMENSION, seed=24)
    for query, row in zip(queries, index.search(queries, 10, allowed_keys=keys), strict=True):
        assert [hit.profile_id for hit in row] == brute_force(vectors, names, query, 10, allowed)
