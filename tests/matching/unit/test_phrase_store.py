"""The phrase store: int8 rows with a scale per row, compaction and snapshots."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matching_service.adapters.phrase_store import PhraseStore, quantise, stored_form
from matching_service.adapters.snapshot_files import write_atomically
from matching_service.domain.phrase_vectors import PhraseVectors

DIMENSION = 384


def _unit(rng: np.random.Generator, rows: int) -> np.ndarray:
    vectors = rng.normal(size=(rows, DIMENSION)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _phrases(rng: np.random.Generator, name: str, rows: int) -> PhraseVectors:
    return PhraseVectors(tuple(f"{name} phrase {i}" for i in range(rows)), _unit(rng, rows))


def test_stored_vectors_keep_cosines_within_a_few_thousandths() -> None:
    rng = np.random.default_rng(1)
    vectors, queries = _unit(rng, 2000), _unit(rng, 50)
    error = np.abs(queries @ stored_form(vectors).T - queries @ vectors.T)
    assert float(error.max()) < 3e-3
    assert float(error.mean()) < 5e-4


def test_storing_a_vector_read_back_gives_the_same_vector() -> None:
    # The matcher reuses a phrase's stored vector for an unchanged phrase: it must
    # equal the vector a fresh embedding would have been stored as.
    rng = np.random.default_rng(2)
    vectors = np.vstack([_unit(rng, 500), np.eye(DIMENSION, dtype=np.float32)[:3]])
    once = stored_form(vectors)
    np.testing.assert_array_equal(stored_form(once), once)
    codes, scales = quantise(once)
    np.testing.assert_array_equal(np.abs(codes).max(axis=1), 127)
    np.testing.assert_array_equal(quantise(once)[1], scales)


def test_a_zero_row_is_stored_as_zeros() -> None:
    zero = np.zeros((1, DIMENSION), dtype=np.float32)
    np.testing.assert_array_equal(stored_form(zero), zero)


def test_each_profile_gets_back_its_own_phrases_in_the_order_asked() -> None:
    rng = np.random.default_rng(3)
    store = PhraseStore(DIMENSION)
    given = {f"p{i}": _phrases(rng, f"p{i}", 1 + i % 4) for i in range(30)}
    for profile_id, phrases in given.items():
        store.put(profile_id, phrases)
    asked = ["p7", "unknown", "p0", "p29", "p3"]
    found = store.get_many(asked)
    assert list(found) == ["p7", "p0", "p29", "p3"]
    for profile_id, phrases in found.items():
        assert phrases.phrases == given[profile_id].phrases
        assert phrases.vectors.dtype == np.float32
        np.testing.assert_array_equal(phrases.vectors, stored_form(given[profile_id].vectors))
    assert store.get("unknown") is None


def test_replacing_and_removing_many_profiles_compacts_without_mixing_rows() -> None:
    rng = np.random.default_rng(4)
    store = PhraseStore(DIMENSION)
    latest: dict[str, PhraseVectors] = {}
    for round_ in range(6):
        for i in range(400):
            profile_id = f"p{i}"
            if round_ % 3 == 2 and i % 5 == 0:
                store.remove([profile_id])
                latest.pop(profile_id, None)
            else:
                latest[profile_id] = _phrases(rng, f"{profile_id} r{round_}", 1 + (i + round_) % 5)
                store.put(profile_id, latest[profile_id])
    # Six rounds leave far more dead rows than live ones unless they are compacted.
    live_rows = sum(len(phrases) for phrases in latest.values())
    assert store._used < 2 * live_rows
    assert len(store) == len(latest)
    found = store.get_many(latest)
    for profile_id, phrases in latest.items():
        assert found[profile_id].phrases == phrases.phrases
        np.testing.assert_array_equal(found[profile_id].vectors, stored_form(phrases.vectors))


def test_an_empty_set_of_phrases_removes_the_profile() -> None:
    rng = np.random.default_rng(5)
    store = PhraseStore(DIMENSION)
    store.put("p", _phrases(rng, "p", 2))
    store.put("p", PhraseVectors((), np.zeros((0, DIMENSION), dtype=np.float32)))
    assert "p" not in store
    assert store.get_many(["p"]) == {}


def test_a_snapshot_reads_back_the_same_store(tmp_path) -> None:
    rng = np.random.default_rng(6)
    store = PhraseStore(DIMENSION)
    for i in range(50):
        store.put(f"p{i}", _phrases(rng, f"p{i}", 1 + i % 3))
    store.remove(["p4", "p9"])
    store.save(tmp_path / "phrases.npz")
    loaded = PhraseStore.load(tmp_path / "phrases.npz")
    ids = [f"p{i}" for i in range(50)]
    before, after = store.get_many(ids), loaded.get_many(ids)
    assert list(after) == list(before)
    for profile_id, phrases in before.items():
        assert after[profile_id].phrases == phrases.phrases
        np.testing.assert_array_equal(after[profile_id].vectors, phrases.vectors)
    loaded.put("new", _phrases(rng, "new", 2))
    assert loaded.get_many(["p0", "new"])["p0"].phrases == before["p0"].phrases


def test_a_float16_snapshot_from_the_previous_format_still_loads(tmp_path) -> None:
    rng = np.random.default_rng(7)
    vectors = _unit(rng, 3)
    write_atomically(
        tmp_path / "old.npz",
        {
            "header": np.frombuffer(
                json.dumps({"format": 1, "dimension": DIMENSION}).encode(), dtype=np.uint8
            ),
            "profile_ids": np.array(["a", "b"], dtype=np.str_),
            "counts": np.array([1, 2], dtype=np.int64),
            "phrases": np.frombuffer(json.dumps(["x", "y", "z"]).encode(), dtype=np.uint8),
            "vectors": vectors.astype(np.float16),
        },
    )
    loaded = PhraseStore.load(tmp_path / "old.npz")
    found = loaded.get_many(["a", "b"])
    assert found["b"].phrases == ("y", "z")
    assert np.abs(found["b"].vectors - vectors[1:]).max() < 1e-2


def test_an_unknown_snapshot_format_is_refused(tmp_path) -> None:
    write_atomically(
        tmp_path / "future.npz",
        {"header": np.frombuffer(json.dumps({"format": 99}).encode(), dtype=np.uint8)},
    )
    with pytest.raises(ValueError, match="unsupported snapshot format"):
        PhraseStore.load(tmp_path / "future.npz")


def test_phrases_are_written_as_the_same_json_a_slice_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matching_service.adapters import phrase_store

    monkeypatch.setattr(phrase_store, "_PHRASES_PER_SLICE", 2)
    for texts in ([], ["one"], ["a", "b"], ['say "hi", then', "naïve\u2028", "x", "y", "z"]):
        assert phrase_store._json_list(texts) == json.dumps(texts)
