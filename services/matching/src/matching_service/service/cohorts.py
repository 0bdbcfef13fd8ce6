"""Cohort matching: the assignment of mentees to mentors with the best total score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from matching_service.domain.filters import failed_rule
from matching_service.domain.model import PairHistory, SuggestionQuery
from matching_service.domain.phrase_reasons import ReasonVoice
from matching_service.domain.phrase_vectors import profile_vector
from matching_service.domain.ranking import RankingCandidate, rank_candidates
from matching_service.service.matcher import Matcher


@dataclass(frozen=True, slots=True)
class Assignment:
    """One mentee placed with one mentor."""

    mentee_id: str
    mentor_id: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CohortPlan:
    """The optimal placement and who could not be placed."""

    assignments: list[Assignment]
    unassigned: list[str]


def plan_cohort(
    matcher: Matcher,
    mentee_ids: Sequence[str],
    mentor_ids: Sequence[str],
    history: PairHistory,
    capacities_left: Mapping[str, int],
    excluded_pairs: frozenset[tuple[str, str]] = frozenset(),
) -> CohortPlan:
    """Maximise the total score over mentees x mentor places (hard filters respected).

    Each mentor contributes ``capacities_left[mentor]`` places; pairs failing a hard
    filter (role, grade rule, capacity...) or listed in ``excluded_pairs`` (already
    requested or declined) cannot be assigned.
    Synchronous and CPU-bound: run in a worker thread.
    """
    query = SuggestionQuery(role="mentor", limit=max(1, len(mentor_ids)))
    mentors = [matcher.profile(mentor_id) for mentor_id in mentor_ids]
    slots: list[int] = []
    for column, mentor in enumerate(mentors):
        if mentor is not None:
            slots.extend([column] * max(0, capacities_left.get(mentor.profile_id, 0)))
    scores = np.full((len(mentee_ids), len(mentor_ids)), -1.0)
    reasons: dict[tuple[int, int], tuple[str, ...]] = {}
    for row, mentee_id in enumerate(mentee_ids):
        mentee = matcher.profile(mentee_id)
        phrases = matcher.seeks.phrases.get(mentee_id)
        if mentee is None or phrases is None:
            continue
        centroid = profile_vector(phrases.vectors)
        allowed = [
            mentor
            for mentor in mentors
            if mentor is not None
            and (mentee_id, mentor.profile_id) not in excluded_pairs
            and failed_rule(mentor, mentee, query, history) is None
        ]
        vectors = matcher.offers.index.vectors_for(mentor.profile_id for mentor in allowed)
        candidates = []
        for mentor in allowed:
            stored = matcher.offers.phrases.get(mentor.profile_id)
            if stored is None or mentor.profile_id not in vectors or centroid is None:
                continue
            candidates.append(
                RankingCandidate(
                    profile=mentor,
                    phrases=stored,
                    load=history.load_of(mentor.profile_id),
                    profile_similarity=float(vectors[mentor.profile_id] @ centroid),
                )
            )
        ranked = rank_candidates(
            mentee,
            phrases,
            candidates,
            role="mentor",
            weights=matcher.weights,
            voice=ReasonVoice.MENTEE,
            limit=len(candidates),
        )
        for suggestion in ranked:
            column = list(mentor_ids).index(suggestion.profile_id)
            scores[row, column] = suggestion.score
            reasons[(row, column)] = suggestion.reasons
    if not slots or not mentee_ids:
        return CohortPlan([], list(mentee_ids))
    # Forbidden pairs cost far more than any real score, so they are chosen only when
    # nothing else is left, and then dropped.
    slot_scores = scores[:, slots]
    cost = np.where(slot_scores >= 0, -slot_scores, 1e6)
    rows, columns = linear_sum_assignment(cost)
    assignments: list[Assignment] = []
    placed: set[int] = set()
    for row, slot in zip(rows.tolist(), columns.tolist(), strict=True):
        column = slots[slot]
        if scores[row, column] < 0:
            continue
        placed.add(row)
        assignments.append(
            Assignment(
                mentee_id=mentee_ids[row],
                mentor_id=mentor_ids[column],
                score=round(float(scores[row, column]), 4),
                reasons=reasons[(row, column)],
            )
        )
    unassigned = [mentee for row, mentee in enumerate(mentee_ids) if row not in placed]
    return CohortPlan(assignments, unassigned)
