"""Matching performance: embedding throughput, query latency, filtered search, suggest.

Prints one JSON document. Each section is a function returning a dict; ``main``
collects them. The HTTP sections (``http_suggestions``, ``freshness``) run the real
service under uvicorn against the embedded broker (skipped with ``--no-service``).

Usage: python bench/matching.py [--quick] [--no-onnx] [--no-service] [--only SECTION ...]
(``--only real`` times suggest over coaches with really embedded imported text; ``--only
busy`` times indexing with the model's threads spinning or sleeping beside a busy process;
``--only snapshot`` times suggest while the matcher is being snapshotted.)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

from matching_quality import load_set, prefer_standard_library, to_profile
from matching_service.adapters.embedder import (
    OnnxEmbedder,
    SentenceTransformerEmbedder,
)
from matching_service.adapters.faiss_index import VectorIndex
from matching_service.adapters.phrase_store import PhraseStore
from matching_service.domain.filters import CandidateTable, allowed_candidate_ids
from matching_service.domain.model import PairHistory, PersonProfile, SuggestionQuery
from matching_service.domain.phrase_vectors import PhraseVectors, profile_vector
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.domain.texts import offer_phrases, seek_phrases
from matching_service.service.matcher import Matcher, Side
from matching_service.service.ports import Embedder
from mentor_match_ops.demo.people import demo_people
from profile_service.domain.profiles import to_profile_upserted

DIMENSION = 384
QUERY = "I want to get better at persuading senior stakeholders to back my project plans"
GRADES = ("EO", "HEO", "SEO", "G7", "G6", "SCS1")
REGIONS = ("LONDON", "NORTH_WEST", "SCOTLAND", "WALES", "EAST", "YORKSHIRE")


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    values = np.array(samples) * 1000
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p99_ms": round(float(np.percentile(values, 99)), 3),
    }


def _timed(call: Callable[[], Any], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


# --- embedding -------------------------------------------------------------------


def profile_texts(count: int) -> list[str]:
    """Whole-profile texts of roughly 100 tokens, as in the machine measurements."""
    data = load_set(dev=False)
    texts = []
    for record in data["mentors"]:
        text = " ".join([*record["expertise"], record["expertise_text"], record["experience_text"]])
        texts.append(text)
    return (texts * (count // len(texts) + 1))[:count]


def _pipeline_rate(
    embedder: Embedder, profiles: Sequence[PersonProfile], batch: int | None = None
) -> float:
    """Profiles/s through ``Matcher.index_profiles`` into an empty index, ``batch`` at a
    time (all at once when None; the service's batches hold 200), skill tagging included:
    the profiles go in without skills, as events without confirmed ones arrive."""
    matcher = _empty_matcher(embedder)
    matcher.index_profiles(profiles[:4])  # warms the model up
    untagged = [replace(p, offered_skills=(), sought_skills=()) for p in profiles[4:]]
    step = batch or len(untagged)
    started = time.perf_counter()
    for start in range(0, len(untagged), step):
        matcher.index_profiles(untagged[start : start + step])
    return len(untagged) / (time.perf_counter() - started)


def _distinct_share(profiles: Sequence[PersonProfile]) -> float:
    phrases = [
        phrase
        for profile in profiles
        for phrase in (*offer_phrases(profile), *seek_phrases(profile))
    ]
    return round(len(set(phrases)) / max(len(phrases), 1), 3)


_BUSY_LOOP = "import os\nparent = os.getppid()\nwhile os.getppid() == parent:\n    pass\n"
"""A neighbour that keeps one core busy, and stops when the bench is gone."""


def busy_neighbour_section(quick: bool) -> dict[str, Any]:
    """Indexing with ONNX Runtime's threads spinning or sleeping, alone and beside a
    process that keeps one core busy (as the broker and the other services do).

    Coach rows as ``bench/scale.py`` imports them, through ``Matcher.index_profiles`` in
    batches of 200 as the service indexes; each setting runs twice, in alternating
    order, and the ratios compare figures of this one run.
    """
    from scale import coach_rows

    profiles = [
        PersonProfile(
            profile_id=f"coach-{index}",
            roles=frozenset({"coach"}),
            department=row[2],
            profession=row[3],
            grade=row[4],
            region=row[5],
            expertise=tuple(row[6].split(";")),
            expertise_text=row[7],
            capacity=int(row[8]),
        )
        for index, row in enumerate(coach_rows(400 if quick else 2_000))
    ]
    embedders = {"spin_wait": OnnxEmbedder(spin_wait=True), "sleep": OnnxEmbedder()}
    rates: dict[str, dict[str, list[float]]] = {
        where: {name: [] for name in embedders} for where in ("alone", "beside_a_busy_process")
    }
    for order in (("spin_wait", "sleep"), ("sleep", "spin_wait")):
        for name in order:
            rates["alone"][name].append(round(_pipeline_rate(embedders[name], profiles, 200), 1))
            neighbour = subprocess.Popen([sys.executable, "-c", _BUSY_LOOP])
            try:
                rate = _pipeline_rate(embedders[name], profiles, 200)
            finally:
                neighbour.kill()
                neighbour.wait()
            rates["beside_a_busy_process"][name].append(round(rate, 1))
    return {
        "coach_rows_per_s": rates,
        "sleep_over_spin_wait": {
            where: round(float(np.median(runs["sleep"]) / np.median(runs["spin_wait"])), 2)
            for where, runs in rates.items()
        },
        "coach_rows": len(profiles),
    }


def embedding_section(embedder: Embedder, quick: bool) -> dict[str, Any]:
    """Throughput on ~100-token profile texts, on phrases, and through the pipeline.

    The model sees each distinct phrase of a batch once, so the pipeline's rate
    depends on how often phrases repeat; the ``no_reuse`` figure is the model's
    rate with every phrase occurrence embedded (what a population of profiles
    with no phrase in common would get).
    """
    texts = profile_texts(64 if quick else 320)
    embedder.embed(texts[:16])
    started = time.perf_counter()
    embedder.embed(texts)
    whole = len(texts) / (time.perf_counter() - started)

    data = load_set(dev=False)
    mentors = [to_profile(record) for record in data["mentors"][: 64 if quick else 300]]
    occurrences = [phrase for profile in mentors for phrase in offer_phrases(profile)]
    embedder.embed(occurrences[:16])
    started = time.perf_counter()
    embedder.embed(occurrences)
    elapsed = time.perf_counter() - started

    # The demo population `make run` loads: mentees, mentors and coaches, mixed.
    demo = [
        PersonProfile.from_fields(to_profile_upserted(person.profile))
        for person in demo_people(100 if quick else 600, seed=11)
    ]
    query_samples = _timed(lambda: embedder.embed([QUERY]), 30 if quick else 100)
    return {
        "whole_profile_texts_per_s_batch16": round(whole, 1),
        "texts_tokens_approx": 100,
        "phrases_per_s": round(len(occurrences) / elapsed, 1),
        "phrases_per_profile": round(len(occurrences) / len(mentors), 2),
        "profiles_per_s_no_reuse": round(len(mentors) / elapsed, 1),
        "profiles_per_s_pipeline_evaluation_mentors": round(_pipeline_rate(embedder, mentors), 1),
        "evaluation_mentors_distinct_phrase_share": _distinct_share(mentors),
        "profiles_per_s_pipeline_demo_population": round(_pipeline_rate(embedder, demo), 1),
        "demo_population_distinct_phrase_share": _distinct_share(demo),
        "query_embedding_p50_ms": round(float(np.median(query_samples)) * 1000, 2),
    }


def _empty_matcher(embedder: Embedder) -> Matcher:
    dimension = embedder.dimension
    return Matcher(
        embedder,
        Side(VectorIndex(dimension), PhraseStore(dimension)),
        Side(VectorIndex(dimension), PhraseStore(dimension)),
    )


# --- vector search ---------------------------------------------------------------


def clustered_vectors(count: int, seed: int, clusters: int = 500) -> npt.NDArray[np.float32]:
    """Unit vectors around random centres (closer to real embeddings than uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIMENSION)).astype(np.float32)
    vectors = centres[rng.integers(0, clusters, count)] + 0.6 * rng.standard_normal(
        (count, DIMENSION)
    ).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def search_section(sizes: Sequence[int], queries: int, hnsw: bool) -> dict[str, Any]:
    """Filtered (10% allowed) and unfiltered top-10 latency per index size."""
    results: dict[str, Any] = {}
    for size in sizes:
        vectors = clustered_vectors(size, seed=size)
        ids = [f"profile-{row}" for row in range(size)]
        index = VectorIndex(DIMENSION, hnsw_threshold=size if not hnsw else 1)
        started = time.perf_counter()
        for start in range(0, size, 10_000):
            index.upsert(ids[start : start + 10_000], vectors[start : start + 10_000])
        build_seconds = time.perf_counter() - started
        rng = random.Random(size)
        allowed = set(rng.sample(ids, size // 10))
        keys = np.array([index.key_of(pid) for pid in allowed], dtype=np.int64)
        probe = clustered_vectors(queries, seed=size + 1)
        index.search(probe[0], 10, allowed)
        by_ids = [0.0] * queries
        by_keys = [0.0] * queries
        unfiltered = [0.0] * queries
        for row in range(queries):
            started = time.perf_counter()
            hits = index.search(probe[row], 10, allowed)
            by_ids[row] = time.perf_counter() - started
            assert all(hit.profile_id in allowed for hit in hits[0])
            started = time.perf_counter()
            index.search(probe[row], 10, allowed_keys=keys)
            by_keys[row] = time.perf_counter() - started
            started = time.perf_counter()
            index.search(probe[row], 10)
            unfiltered[row] = time.perf_counter() - started
        entry: dict[str, Any] = {
            "kind": index.kind,
            "build_seconds": round(build_seconds, 2),
            "filtered_10pct_top10_by_keys": _percentiles(by_keys),
            "filtered_10pct_top10_by_id_strings": _percentiles(by_ids),
            "unfiltered_top10": _percentiles(unfiltered),
        }
        if index.kind == "hnsw":
            entry["filtered_recall_at_10_vs_exact"] = _recall_vs_exact(
                index, vectors, ids, probe[: min(queries, 50)], allowed
            )
        batch = probe[: min(queries, 64)]
        search_batch = partial(index.search, batch, 10, allowed_keys=keys)
        entry["batch_64_queries_filtered_ms"] = round(
            float(np.median(_timed(search_batch, 5))) * 1000, 2
        )
        results[f"{size // 1000}k{'_hnsw' if hnsw else ''}"] = entry
    return results


def _recall_vs_exact(
    index: VectorIndex,
    vectors: npt.NDArray[np.float32],
    ids: list[str],
    queries: npt.NDArray[np.float32],
    allowed: set[str],
) -> float:
    rows = np.array(sorted(int(pid.split("-")[1]) for pid in allowed))
    recalls = []
    for query in queries:
        exact = rows[np.argsort(-(vectors[rows] @ query))[:10]]
        truth = {ids[row] for row in exact}
        found = {hit.profile_id for hit in index.search(query, 10, allowed)[0]}
        recalls.append(len(truth & found) / 10)
    return round(float(np.mean(recalls)), 4)


# --- suggestions end to end (filters, retrieval, re-ranking) ---------------------


def synthetic_matcher(size: int, seed: int) -> Matcher:
    """A matcher filled with synthetic mentors (phrase vectors from clusters; no model)."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    phrase_pool = clustered_vectors(20_000, seed=seed)
    offers = Side(VectorIndex(DIMENSION), PhraseStore(DIMENSION))
    seeks = Side(VectorIndex(DIMENSION), PhraseStore(DIMENSION))
    profiles: dict[str, PersonProfile] = {}
    ids: list[str] = []
    centroids: list[npt.NDArray[np.float32]] = []
    for row in range(size):
        profile_id = f"mentor-{row}"
        profiles[profile_id] = PersonProfile(
            profile_id=profile_id,
            roles=frozenset({"mentor"}),
            department=rng.choice(("DWP", "HMRC", "MOJ", "HO")),
            profession=rng.choice(("POLICY", "DIGITAL", "FINANCE")),
            grade=rng.choice(GRADES),
            region=rng.choice(REGIONS),
            remote_ok=rng.random() < 0.5,
            capacity=rng.randint(0, 3),
        )
        count = rng.randint(5, 12)
        vectors = phrase_pool[np_rng.integers(0, len(phrase_pool), count)]
        phrases = PhraseVectors(tuple(f"phrase {row}.{i}" for i in range(count)), vectors)
        offers.phrases.put(profile_id, phrases)
        vector = profile_vector(vectors)
        assert vector is not None
        ids.append(profile_id)
        centroids.append(vector)
    for start in range(0, size, 10_000):
        offers.index.upsert(
            ids[start : start + 10_000], np.vstack(centroids[start : start + 10_000])
        )
    asker = PersonProfile(
        profile_id="asker",
        roles=frozenset({"mentee"}),
        department="DWP",
        profession="POLICY",
        grade="HEO",
        region="LONDON",
        goals=("goal",),
    )
    profiles["asker"] = asker
    goal_vectors = phrase_pool[:4]
    seeks.phrases.put("asker", PhraseVectors(tuple(f"goal {i}" for i in range(4)), goal_vectors))
    seek_vector = profile_vector(goal_vectors)
    assert seek_vector is not None
    seeks.index.upsert(["asker"], seek_vector[None, :])
    return Matcher(_NoEmbedder(), offers, seeks, weights=RankingWeights(), profiles=profiles)


class _NoEmbedder:
    """Everything this section ranks is already embedded; a call would be a bug."""

    dimension = DIMENSION

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        raise AssertionError("the suggest benchmark must not embed")


def raw_filtered_search(
    matcher: Matcher,
    query: SuggestionQuery,
    history: PairHistory,
    repeats: int,
    *,
    asker_id: str = "asker",
) -> list[float]:
    """Seconds for one raw filtered FAISS top-10 search (the asker's seek vector, the
    same hard filters as ``suggest``): the floor a suggestion is compared with."""
    asker = matcher.profile(asker_id)
    assert asker is not None
    allowed = matcher._table.allowed_mask(asker, query, history)
    keys = matcher._keys["offers"][: allowed.size][allowed]
    keys = keys[keys >= 0]
    stored = matcher.seeks.phrases.get(asker_id)
    assert stored is not None
    vector = profile_vector(stored.vectors)
    assert vector is not None
    index = matcher.offers.index
    return _timed(partial(index.search, vector[None, :], 10, allowed_keys=keys), repeats)


def _ratio(samples: Sequence[float], floor: Sequence[float]) -> dict[str, float]:
    """p50 and p99 of ``samples`` over the p50 of ``floor``."""
    base = float(np.percentile(floor, 50))
    return {
        "p50": round(float(np.percentile(samples, 50)) / base, 1),
        "p99": round(float(np.percentile(samples, 99)) / base, 1),
    }


def suggest_section(sizes: Sequence[int], queries: int) -> dict[str, Any]:
    """Hard filters alone (per-candidate Python rules and the column table), and a whole
    suggest call (filters, retrieval with one query per goal phrase, re-ranking)."""
    results: dict[str, Any] = {}
    for size in sizes:
        matcher = synthetic_matcher(size, seed=size)
        asker = matcher.profile("asker")
        assert asker is not None
        query = SuggestionQuery(role="mentor", region="LONDON", exclude_own_department=True)
        history = PairHistory()
        allowed = allowed_candidate_ids(matcher.profiles(), asker, query, history)
        table = CandidateTable()
        for profile in matcher.profiles():
            table.upsert(profile)
        assert table.allowed_ids(asker, query, history) == allowed
        python_rules = _timed(
            partial(allowed_candidate_ids, matcher.profiles(), asker, query, history), 5
        )
        columns = _timed(partial(table.allowed_mask, asker, query, history), 20)
        matcher.suggest("asker", query, history)
        suggest_samples = _timed(partial(matcher.suggest, "asker", query, history), queries)
        raw = raw_filtered_search(matcher, query, history, queries)
        results[f"{size // 1000}k"] = {
            "allowed_share": round(len(allowed) / size, 3),
            "filters_python_rules": _percentiles(python_rules),
            "filters_column_table": _percentiles(columns),
            "suggest_top10": _percentiles(suggest_samples),
            "raw_filtered_faiss_search_top10": _percentiles(raw),
            "suggest_over_raw_search": _ratio(suggest_samples, raw),
        }
    return results


def snapshot_section(size: int, rounds: int) -> dict[str, Any]:
    """``suggest`` while the matcher is being snapshotted, against ``suggest`` alone.

    The service snapshots in a worker thread every ``SNAPSHOT_INTERVAL_S`` while the
    index changes; suggestions go on meanwhile in other threads. Each round times
    suggestions for 0.3 s alone, then during one ``save_matcher``.
    """
    import tempfile
    import threading

    from matching_service.adapters.snapshot import save_matcher

    matcher = synthetic_matcher(size, seed=size)
    query = SuggestionQuery(role="mentor")
    ask = partial(matcher.suggest, "asker", query, PairHistory())
    ask()
    alone: list[float] = []
    during: list[float] = []
    saves: list[float] = []

    def keep_asking(stop: threading.Event, samples: list[float]) -> None:
        while not stop.is_set():
            started = time.perf_counter()
            ask()
            samples.append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            for samples, save in ((alone, False), (during, True)):
                stop = threading.Event()
                asking = threading.Thread(target=keep_asking, args=(stop, samples))
                asking.start()
                started = time.perf_counter()
                if save:
                    save_matcher(matcher, Path(folder), {})
                    saves.append(time.perf_counter() - started)
                else:
                    time.sleep(0.3)
                stop.set()
                asking.join()
    return {
        "profiles": size,
        "rounds": rounds,
        "save_seconds": _percentiles(saves),
        "suggest_alone": {**_percentiles(alone), "max_ms": round(max(alone) * 1000, 1)},
        "suggest_during_a_snapshot": {
            **_percentiles(during),
            "max_ms": round(max(during) * 1000, 1),
        },
    }


# --- real imported text: coaches as the admin CSV import creates them -------------


def imported_coaches(seed: int) -> list[PersonProfile]:
    """Coach profiles shaped like admin CSV import rows, from the evaluation sets' text.

    Each has a few skills (``expertise``) and an approach sentence (``expertise_text``),
    the two text columns of the coach spreadsheet: approaches are the evaluation
    mentors' free text (every sheet and form split), skills three of their labelled
    skills written as words, each approach paired with skills of other mentors so the
    rows differ. Reference columns are drawn at random.
    """
    rng = random.Random(seed)
    records = [
        record
        for name in ("sheet", "form")
        for split in ("dev", "test")
        for record in load_set(name=name, split=split)["mentors"]
    ]
    approaches = [r["expertise_text"] for r in records if r["expertise_text"].strip()]
    skills = sorted({s.replace("-", " ") for r in records for s in r.get("eval_skills", [])})
    coaches: list[PersonProfile] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for approach in approaches * 40:
        chosen = tuple(rng.sample(skills, 3))
        if (approach, chosen) in seen:
            continue
        seen.add((approach, chosen))
        coaches.append(
            PersonProfile(
                profile_id=f"coach-{len(coaches)}",
                roles=frozenset({"coach"}),
                department=rng.choice(("DWP", "HMRC", "MOJ", "HO")),
                profession=rng.choice(("POLICY", "DIGITAL", "FINANCE")),
                grade=rng.choice(GRADES),
                region=rng.choice(REGIONS),
                remote_ok=rng.random() < 0.5,
                expertise=chosen,
                expertise_text=approach,
                capacity=rng.randint(1, 3),
            )
        )
    rng.shuffle(coaches)
    return coaches


class _CountingEmbedder:
    """An embedder that counts the texts it is given (what the model really embeds)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.dimension = inner.dimension
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed through the wrapped embedder, counting the texts."""
        self.texts += len(texts)
        return self.inner.embed(texts)


def real_text_matcher(
    embedder: Embedder, size: int, budget_s: float, noise: float = 0.02
) -> tuple[Matcher, dict[str, Any]]:
    """A matcher with ``size`` coaches whose vectors come from embedding real text.

    Distinct coach rows are indexed through ``Matcher.index_profiles`` (the service's
    path: phrase splitting, one embedding call per batch, phrase reuse) for about
    ``budget_s`` seconds; the rest, up to ``size``, copy a real coach's phrase vectors
    with Gaussian noise of standard deviation ``noise`` per component, renormalised,
    and get the same phrase texts and their own reference columns.

    What differs from 50k distinct imported texts: the phrase vocabulary is that of the
    evaluation sets (1,212 approach sentences and 99 skills), so coaches share
    phrases more than a real import would; each copy's phrase vectors sit within
    ``noise`` of a real coach's (cosine ~0.93 at 384 dimensions), so the index holds
    ~5 near-duplicates of each embedded coach, where real text would spread more; the model time of the
    other ~40k coaches is not spent (it is reported as the profiles/s rate instead).
    """
    counting = _CountingEmbedder(embedder)
    matcher = _empty_matcher(counting)
    coaches = imported_coaches(seed=size)
    matcher.index_profiles(coaches[:16])  # warms the model up
    distinct = 16
    counting.texts = 0
    started = time.perf_counter()
    while distinct < min(size, len(coaches)) and time.perf_counter() - started < budget_s:
        batch = coaches[distinct : min(distinct + 256, size, len(coaches))]
        matcher.index_profiles(batch)
        distinct += len(batch)
    elapsed = time.perf_counter() - started
    model_phrases = counting.texts
    real_ids = [coach.profile_id for coach in coaches[:distinct]]
    phrases_embedded = len(
        {text for pid in real_ids for text in matcher.offers.phrases.get(pid).phrases}  # type: ignore[union-attr]
    )
    rng = random.Random(size + 1)
    np_rng = np.random.default_rng(size + 1)
    copies: list[PersonProfile] = []
    ids: list[str] = []
    centroids: list[npt.NDArray[np.float32]] = []
    for row in range(size - distinct):
        source_id = real_ids[row % distinct]
        source = matcher.offers.phrases.get(source_id)
        assert source is not None
        vectors = source.vectors.astype(np.float32) + noise * np_rng.standard_normal(
            source.vectors.shape
        ).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        profile_id = f"copy-{row}"
        matcher.offers.phrases.put(profile_id, PhraseVectors(source.phrases, vectors))
        vector = profile_vector(vectors)
        assert vector is not None
        ids.append(profile_id)
        centroids.append(vector)
        template = matcher.profile(source_id)
        assert template is not None
        copies.append(
            PersonProfile(
                profile_id=profile_id,
                roles=template.roles,
                department=rng.choice(("DWP", "HMRC", "MOJ", "HO")),
                profession=rng.choice(("POLICY", "DIGITAL", "FINANCE")),
                grade=rng.choice(GRADES),
                region=rng.choice(REGIONS),
                remote_ok=rng.random() < 0.5,
                expertise=template.expertise,
                expertise_text=template.expertise_text,
                capacity=rng.randint(1, 3),
            )
        )
    for start in range(0, len(ids), 10_000):
        matcher.offers.index.upsert(
            ids[start : start + 10_000], np.vstack(centroids[start : start + 10_000])
        )
    for profile in copies:
        matcher._remember(profile)
    return matcher, {
        "distinct_coaches_embedded": distinct - 16,
        "embedding_seconds": round(elapsed, 1),
        "profiles_per_s": round((distinct - 16) / elapsed, 1),
        "distinct_phrases_of_embedded_coaches": phrases_embedded,
        "phrases_through_the_model": model_phrases,
        "phrases_per_s": round(model_phrases / elapsed, 1),
        "copies_with_noise": size - distinct,
        "noise_std_per_component": noise,
    }


def real_text_section(
    embedder: Embedder, size: int, budget_s: float, rounds: int
) -> dict[str, Any]:
    """In-process ``suggest`` over coaches with really embedded imported text.

    Twenty mentees of the evaluation sets (their goals embedded by the same model) ask
    for coaches in turn, ``rounds`` times; the ratio is to one raw filtered FAISS
    search per mentee (their seek vector, the same hard filters) timed in this run.
    """
    matcher, build = real_text_matcher(embedder, size, budget_s)
    mentees = [
        to_profile(record)
        for record in load_set(name="sheet", split="test")["mentees"]
        if record.get("goals_text", "").strip() or record.get("goals")
    ][:20]
    matcher.index_profiles(mentees)
    query = SuggestionQuery(role="coach")
    history = PairHistory()
    asker_ids = [m.profile_id for m in mentees if matcher.seeks.phrases.get(m.profile_id)]
    for asker_id in asker_ids:
        matcher.suggest(asker_id, query, history)
    samples: list[float] = []
    raw: list[float] = []
    for _ in range(rounds):
        for asker_id in asker_ids:
            started = time.perf_counter()
            suggestions = matcher.suggest(asker_id, query, history)
            samples.append(time.perf_counter() - started)
            assert suggestions, "no suggestions"
            raw.extend(raw_filtered_search(matcher, query, history, 1, asker_id=asker_id))
    return {
        "profiles": size,
        **build,
        "mentees_asking_in_turn": len(asker_ids),
        "suggest_calls": len(samples),
        "suggest_top10": _percentiles(samples),
        "raw_filtered_faiss_search_top10": _percentiles(raw),
        "suggest_over_raw_search": _ratio(samples, raw),
    }


# --- the service over HTTP: suggestions latency and index freshness ---------------


class _Service:
    """The matching app under uvicorn in a thread, with its own signing key."""

    def __init__(self, settings: Any, embedder: Embedder) -> None:
        import threading

        import uvicorn
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from matching_service.api.app import create_matching_app
        from mentor_shared.auth import JwksKeySet

        self.private = Ed25519PrivateKey.generate()
        self.app = create_matching_app(settings, embedder=embedder)
        self.app.state.key_set = JwksKeySet.from_public_keys(
            {"bench": self.private.public_key()}, issuer="mentor-match", audience="mentor-match"
        )
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=settings.port, log_config=None, access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base_url = f"http://127.0.0.1:{settings.port}"

    def __enter__(self) -> _Service:
        self.thread.start()
        deadline = time.monotonic() + 180
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the matching service did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def headers(self, sub: str) -> dict[str, str]:
        import uuid

        import jwt

        now = int(time.time())
        claims = {
            "sub": sub,
            "iss": "mentor-match",
            "aud": "mentor-match",
            "iat": now,
            "exp": now + 3600,
            "jti": str(uuid.uuid4()),
            "roles": ["member"],
        }
        token = jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": "bench"})
        return {"Authorization": f"Bearer {token}"}


def _settings(bootstrap: str, data_dir: Path, fetch_max_wait_ms: int = 10) -> Any:
    import uuid

    from matching_service.settings import MatchingSettings
    from mentor_shared.testing.broker import free_port

    return MatchingSettings(
        environment="test",
        data_dir=data_dir,
        kafka_bootstrap_servers=bootstrap,
        MATCHING_PORT=free_port(),
        MATCHING_CONSUMER_GROUP=f"matching-bench-{uuid.uuid4().hex[:8]}",
        log_level="WARNING",
        snapshot_interval_s=3600,
        kafka_fetch_max_wait_ms=fetch_max_wait_ms,
    )


def _time_requests(base_url: str, headers: dict[str, str], requests: int) -> dict[str, list[float]]:
    """Seconds per ``GET /v1/suggestions`` (with the bench's filters, and with none) and
    per ``GET /healthz``, one at a time.

    The client is the standard library's, on one kept-alive connection: httpx's async
    client measured 7.9 ms p50 for a bare FastAPI route on this machine (1.3 ms with this
    one), which would be counted as the server's time. ``/healthz`` through the same
    client gives the floor: the client, the connection and the middleware.
    """
    import http.client
    import json
    from urllib.parse import urlencode, urlsplit

    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port)
    query = urlencode({"region": "LONDON", "exclude_own_department": "true"})
    samples: dict[str, list[float]] = {"suggestions": [], "no_filter": [], "healthz": []}
    try:
        for index in range(requests + 5):
            for name, path, sent in (
                ("suggestions", f"/v1/suggestions?{query}", headers),
                ("no_filter", "/v1/suggestions", headers),
                ("healthz", "/healthz", {}),
            ):
                started = time.perf_counter()
                connection.request("GET", path, headers=sent)
                response = connection.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                assert response.status == 200, body[:300]
                assert name == "healthz" or json.loads(body), "no suggestions"
                if index >= 5:
                    samples[name].append(elapsed)
    finally:
        connection.close()
    return samples


def http_suggestions_section(bootstrap: str, size: int, requests: int) -> dict[str, Any]:
    """``GET /v1/suggestions`` over HTTP with ``size`` indexed mentors.

    The index is the synthetic matcher of the suggest section (random clustered unit
    vectors injected straight into FAISS; embedding 50k profiles would take minutes),
    swapped into the running service; the same mentors are written to the profile
    table so cards are read as in production, with one live match (requested or
    accepted) per ten mentors and four times as many finished ones, because every
    suggestion reads the mentors' live load.
    """
    import asyncio
    import tempfile

    from mentor_shared.events.schemas import ProfileUpserted, Roles
    from mentor_shared.heap import settle_long_lived
    from mentor_shared.storage.sqlite import SqliteDatabase

    with tempfile.TemporaryDirectory() as folder:
        # The fetch wait `make run` gives its embedded broker (mentor_match_ops.runner):
        # at the 10 ms meant for tests, the idle consumer's fetch loop shares the
        # server's event loop and interpreter lock with the requests measured.
        settings = _settings(bootstrap, Path(folder), fetch_max_wait_ms=100)
        service = _Service(settings, _NoEmbedder())
        with service:
            context = service.app.state.matching
            matcher = synthetic_matcher(size, seed=size)
            rows = []
            for profile in matcher.profiles():
                event = ProfileUpserted(
                    profile_id=profile.profile_id,
                    version=1,
                    display_name=f"Person {profile.profile_id}",
                    initials="PP",
                    roles=Roles(mentor="mentor" in profile.roles, mentee="mentee" in profile.roles),
                    department=profile.department,
                    profession=profile.profession,
                    grade=profile.grade,
                    region=profile.region,
                    capacity=profile.capacity,
                )
                rows.append((profile.profile_id, 1, profile.department, event.model_dump_json()))
            mentor_ids = [profile.profile_id for profile in matcher.profiles()]
            rng = random.Random(size)
            statuses = ["requested", "accepted"] * (size // 20) + ["ended", "declined"] * (
                size // 5
            )
            matches = [
                (
                    f"match-{index}",
                    f"mentee-{rng.randrange(size)}",
                    rng.choice(mentor_ids),
                    "mentor",
                    status,
                    "Could we talk?",
                    f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}T09:00:00+00:00",
                )
                for index, status in enumerate(statuses)
            ]

            async def load() -> None:
                # A connection of its own: the service's writer belongs to the
                # service's event loop thread.
                db = await SqliteDatabase(settings.sqlite_path()).open()
                try:
                    async with db.transaction() as conn:
                        await conn.executemany(
                            "INSERT INTO profiles (profile_id, version, department, body) "
                            "VALUES (?, ?, ?, ?)",
                            rows,
                        )
                        await conn.executemany(
                            "INSERT INTO matches (id, mentee_id, mentor_id, role, status, "
                            "message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            matches,
                        )
                finally:
                    await db.close()

            asyncio.run(load())
            context.index.matcher = matcher
            # What the service does after loading or rebuilding its index.
            settle_long_lived()

            # The client runs in a process of its own: in this one it would share the
            # interpreter lock with the server.
            spawn = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as client:
                timed = client.submit(
                    _time_requests, service.base_url, service.headers("asker"), requests
                ).result()
            samples = timed["suggestions"]
            query = SuggestionQuery(role="mentor", region="LONDON", exclude_own_department=True)
            raw = raw_filtered_search(matcher, query, PairHistory(), requests)
    return {
        "profiles": size,
        "live_matches": size // 10,
        "finished_matches": 2 * (size // 5),
        "requests": requests,
        "vectors": "synthetic clustered unit vectors injected into the running index",
        "client": "http.client, one kept-alive connection, sequential, in a separate process",
        "kafka_fetch_max_wait_ms": settings.kafka_fetch_max_wait_ms,
        **_percentiles(samples),
        "raw_filtered_faiss_search_top10": _percentiles(raw),
        "http_over_raw_search": _ratio(samples, raw),
        "client_floor_healthz": _percentiles(timed["healthz"]),
        # Most people set no filter: every mentor with room is allowed (the capacity,
        # pause and not-self rules still apply), the widest filtered search there is.
        "no_filter": _percentiles(timed["no_filter"]),
    }


def freshness_section(
    bootstrap: str, embedder: Embedder, rate_per_s: float, seconds: float
) -> dict[str, Any]:
    """Time from ``profile.upserted`` produced on the broker to searchable.

    Updates are produced at a steady ``rate_per_s`` with the real embedder; an update
    counts as searchable once the running service's matcher holds its version (the
    same object the search endpoints read), polled every 2 ms in-process.
    """
    import asyncio
    import tempfile

    from aiokafka import AIOKafkaProducer

    from mentor_shared.events import new_event
    from mentor_shared.events.schemas import ProfileUpserted, Roles

    texts = profile_texts(int(rate_per_s * seconds) + 10)

    with tempfile.TemporaryDirectory() as folder:
        service = _Service(_settings(bootstrap, Path(folder)), embedder)
        with service:
            context = service.app.state.matching

            async def run() -> list[float]:
                producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
                await producer.start()
                sent: dict[str, float] = {}
                seen: dict[str, float] = {}
                sending_done = asyncio.Event()
                all_seen = asyncio.Event()

                async def watch() -> None:
                    while True:
                        now = time.perf_counter()
                        for profile_id in [p for p in sent if p not in seen]:
                            if context.index.matcher.profile(profile_id) is not None:
                                seen[profile_id] = now
                        if sending_done.is_set() and len(seen) >= len(sent):
                            all_seen.set()
                        await asyncio.sleep(0.002)

                # Warm-up: the consumer group joins and the first batch is embedded.
                warm = ProfileUpserted(
                    profile_id="warm-up",
                    version=1,
                    display_name="W",
                    initials="W",
                    roles=Roles(mentor=True),
                    expertise_text=texts[0],
                )
                await producer.send_and_wait(
                    "profile", new_event(warm, subject="warm-up", source="bench").to_bytes()
                )
                deadline = time.monotonic() + 120
                while context.index.matcher.profile("warm-up") is None:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the service never indexed the warm-up profile")
                    await asyncio.sleep(0.05)
                watcher = asyncio.create_task(watch())
                count = int(rate_per_s * seconds)
                started = time.perf_counter()
                for index in range(count):
                    target = started + index / rate_per_s
                    await asyncio.sleep(max(0.0, target - time.perf_counter()))
                    profile_id = f"fresh-{index}"
                    payload = ProfileUpserted(
                        profile_id=profile_id,
                        version=1,
                        display_name="F",
                        initials="F",
                        roles=Roles(mentor=True),
                        expertise_text=texts[index + 1],
                    )
                    envelope = new_event(payload, subject=profile_id, source="bench")
                    sent[profile_id] = time.perf_counter()
                    await producer.send("profile", envelope.to_bytes(), key=profile_id.encode())
                await producer.flush()
                sending_done.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(all_seen.wait(), 60)
                watcher.cancel()
                await producer.stop()
                return [seen[p] - sent[p] for p in sent if p in seen]

            samples = asyncio.run(run())
    values = np.array(samples) * 1000
    return {
        "rate_per_s": rate_per_s,
        "updates": int(rate_per_s * seconds),
        "searchable": len(samples),
        "p50_ms": round(float(np.percentile(values, 50)), 1),
        "p95_ms": round(float(np.percentile(values, 95)), 1),
        "max_ms": round(float(values.max()), 1),
        "embedder": type(embedder).__name__,
    }


def only_sections(sections: Sequence[str], quick: bool) -> dict[str, Any]:
    """Some sections alone (the HTTP one without the freshness section)."""
    report: dict[str, Any] = {}
    if "embedding" in sections:
        # The serving backend; full runs also time torch.
        report["embedding_onnx_int8"] = embedding_section(OnnxEmbedder(), quick)
    if "busy" in sections:
        report["indexing_beside_a_busy_process"] = busy_neighbour_section(quick)
    if "search" in sections:
        report["search_flat"] = search_section((10_000, 50_000), 100, hnsw=False)
    if "suggest" in sections:
        report["suggest"] = suggest_section((10_000,) if quick else (50_000,), 100)
    if "snapshot" in sections:
        report["suggest_during_snapshot"] = snapshot_section(10_000 if quick else 50_000, 5)
    if "real" in sections:
        report["real_imported_text"] = real_text_section(
            OnnxEmbedder(), 10_000 if quick else 50_000, 20 if quick else 180, 2 if quick else 10
        )
    if "http" in sections:
        from mentor_shared.testing.broker import EmbeddedBroker

        broker = EmbeddedBroker().start()
        try:
            report["http_suggestions"] = http_suggestions_section(
                broker.bootstrap_servers, 10_000 if quick else 50_000, 100 if quick else 300
            )
        finally:
            broker.stop()
    return report


def main() -> None:
    """Run every section and print one JSON document."""
    parser = argparse.ArgumentParser(description="Matching performance")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repeats")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX int8 embedder")
    parser.add_argument(
        "--no-service", action="store_true", help="skip the HTTP and freshness sections"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("embedding", "busy", "search", "suggest", "snapshot", "real", "http"),
        help="run only these sections",
    )
    args = parser.parse_args()
    prefer_standard_library()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}
    if args.only:
        report.update(only_sections(args.only, args.quick))
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    report["embedding_torch_fp32"] = embedding_section(SentenceTransformerEmbedder(), args.quick)
    if not args.no_onnx:
        report["embedding_onnx_int8"] = embedding_section(OnnxEmbedder(), args.quick)
        report["indexing_beside_a_busy_process"] = busy_neighbour_section(args.quick)
    sizes = (10_000, 100_000) if args.quick else (10_000, 50_000, 100_000)
    queries = 100 if args.quick else 300
    report["search_flat"] = search_section(sizes, queries, hnsw=False)
    if not args.quick:
        report["search_hnsw"] = search_section((100_000,), queries, hnsw=True)
    report["suggest"] = suggest_section((10_000,) if args.quick else (10_000, 50_000), 50)
    if not args.no_service:
        from mentor_shared.testing.broker import EmbeddedBroker

        broker = EmbeddedBroker().start()
        try:
            http_size = 10_000 if args.quick else 50_000
            report["http_suggestions"] = http_suggestions_section(
                broker.bootstrap_servers, http_size, 100 if args.quick else 300
            )
            fresh_embedder: Embedder = (
                SentenceTransformerEmbedder() if args.no_onnx else OnnxEmbedder()
            )
            report["freshness"] = freshness_section(
                broker.bootstrap_servers, fresh_embedder, 20.0, 5.0 if args.quick else 30.0
            )
        finally:
            broker.stop()
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
