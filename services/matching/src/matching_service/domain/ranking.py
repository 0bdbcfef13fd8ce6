"""Re-ranking of retrieved candidates, with computed reasons.

Retrieval (the vector index) compares one profile vector per person. Re-ranking
then looks at phrases: for each goal phrase, the best-matching phrase on the other
side; the semantic score aggregates these per-goal maxima. Structured fit
(profession, grade gap, region) is added and load (open requests, slow replies)
subtracted, with the weights of :class:`RankingWeights`.

Every reason is computed from the match it describes: the phrases quoted are the
pair that matched, the strength word comes from their own similarity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from matching_service.domain.model import (
    OFFERING_ROLES,
    CandidateLoad,
    PersonProfile,
    TargetRole,
    grade_rank,
)
from matching_service.domain.skills import load_vocabulary, skill_overlap

FloatMatrix = npt.NDArray[np.float32]
StoredMatrix = npt.NDArray[np.floating[Any]]
"""Phrase vectors and weights as stored: float32, or float16 copies from a store
(converted once where they are multiplied)."""

_NUMBER_WORDS = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")

GRADE_GAP_FIT: tuple[float, ...] = (0.4, 1.0, 1.0, 0.6, 0.3)
"""Structured grade fit by how many grades the mentor is above the mentee (index =
gap, the last entry for every larger gap). One or two grades above is ideal: close
enough to remember the step, senior enough to have made it."""

MAX_QUOTED_CHARS = 90
"""Phrases quoted in reasons are shortened to about this many characters."""


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """How a suggestion's score is made; the service exposes these as settings.

    score = semantic * semantic_fit + profession * same_profession
            + grade * grade_fit + region * region_fit
            - open_requests * request_pressure - slow_replies * reply_slowness,
    clipped to 0..1. With the defaults a perfect match scores about 1.

    Attributes:
        semantic: Weight of phrase-level similarity (0..1 after scaling).
        profession: Bonus for the same profession.
        grade: Weight of the grade-gap fit (see :data:`GRADE_GAP_FIT`).
        region: Weight of the region fit (same region 1, travels there 0.8,
            both remote 0.5).
        open_requests: Penalty at ``open_requests_saturation`` waiting requests.
        slow_replies: Penalty for an expected reply time of ``slow_reply_hours`` or
            more (see :func:`load_penalty`).
        skills: Weight of the skill-tag overlap (:func:`skill_bonus`): the mentee's
            sought skills that the mentor or coach offers.
        best_goal_share: Share of the best goal's match in the phrase score; the
            rest is the (topicality-weighted) mean over goals. 0 by default: on the
            tuning set any share lowered nDCG once small talk was weighted down.
        profile_share: Share of the profile-vector cosine in the semantic score (it
            rewards a candidate whose whole profile leans the asker's way, not just
            one phrase); 0.4 was best of 0, 0.2 and 0.4 on the tuning set.
        similarity_floor: Cosine that maps to a semantic fit of 0 (unrelated text
            with this model sits around 0 to 0.2).
        similarity_ceiling: Cosine that maps to a semantic fit of 1.
        strong_match: Phrase cosine from which a reason says "strong".
        good_match: Phrase cosine from which a reason says "good".
        some_match: Phrase cosine from which a reason says "some"; weaker pairs
            are not quoted. On the tuning set, quoted pairs from 0.3 to 0.4 were
            mostly about different topics (this model scores unrelated sentences up
            to ~0.4), hence 0.4; pairs on the same topic had a median of 0.45.
        max_phrase_reasons: Phrase pairs quoted per suggestion.
        open_requests_saturation: Open requests at which the full penalty applies.
        reply_ok_hours: Expected reply times up to this carry no penalty.
        slow_reply_hours: Expected reply time at which the full penalty applies.
        small_talk_from: Cosine to the nearest small-talk example from which a
            phrase starts to count less (see :func:`topicality`).
        small_talk_full: Cosine from which a phrase counts as pure small talk.
        candidate_pool: Candidates retrieved per query vector before re-ranking.
    """

    semantic: float = 0.85
    profession: float = 0.05
    grade: float = 0.05
    region: float = 0.05
    open_requests: float = 0.10
    slow_replies: float = 0.05
    skills: float = 0.30
    best_goal_share: float = 0.0
    profile_share: float = 0.4
    similarity_floor: float = 0.15
    similarity_ceiling: float = 0.75
    strong_match: float = 0.60
    good_match: float = 0.50
    some_match: float = 0.40
    max_phrase_reasons: int = 3
    open_requests_saturation: int = 5
    reply_ok_hours: float = 48.0
    slow_reply_hours: float = 168.0
    small_talk_from: float = 0.55
    small_talk_full: float = 0.75
    candidate_pool: int = 50

    def __post_init__(self) -> None:
        weights = (
            self.semantic,
            self.profession,
            self.grade,
            self.region,
            self.open_requests,
            self.slow_replies,
            self.skills,
        )
        if any(weight < 0 for weight in weights):
            raise ValueError("ranking weights must not be negative")
        if not 0 <= self.best_goal_share <= 1 or not 0 <= self.profile_share <= 1:
            raise ValueError("shares must lie between 0 and 1")
        if self.similarity_ceiling <= self.similarity_floor:
            raise ValueError("similarity_ceiling must exceed similarity_floor")
        if not self.some_match <= self.good_match <= self.strong_match:
            raise ValueError("need some_match <= good_match <= strong_match")
        if self.small_talk_full <= self.small_talk_from:
            raise ValueError("small_talk_full must exceed small_talk_from")
        if self.slow_reply_hours <= self.reply_ok_hours:
            raise ValueError("slow_reply_hours must exceed reply_ok_hours")
        if self.open_requests_saturation < 1 or self.candidate_pool < 1:
            raise ValueError("open_requests_saturation and candidate_pool must be positive")


class ReasonVoice(StrEnum):
    """Whose phrases are whose in the reasons' wording."""

    MENTEE = "mentee"
    """A mentee reads: their goals against the candidate's expertise."""
    MENTOR = "mentor"
    """A mentor reads: the candidate mentee's goals against their own expertise."""
    SEARCH = "search"
    """Free-text search: the search phrases against the candidate's expertise."""


@dataclass(frozen=True, slots=True)
class PhraseVectors:
    """One side of a person's phrases with their unit vectors (row i embeds phrase i).

    Attributes:
        phrases: The phrases.
        vectors: (n, d) float32 unit vectors.
        weights: (n,) topicality of each phrase in 0..1 (see :func:`topicality`);
            None means every phrase counts fully.
    """

    phrases: tuple[str, ...]
    vectors: StoredMatrix
    weights: StoredMatrix | None = None

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.phrases):
            raise ValueError("need one vector row per phrase")
        if self.weights is not None and self.weights.shape != (len(self.phrases),):
            raise ValueError("need one weight per phrase")

    def __len__(self) -> int:
        return len(self.phrases)

    @property
    def phrase_weights(self) -> FloatMatrix:
        """Each phrase's topicality weight (ones when none were computed)."""
        if self.weights is None:
            return np.ones(len(self.phrases), dtype=np.float32)
        return np.asarray(self.weights, dtype=np.float32)


def topicality(
    vectors: FloatMatrix, small_talk: FloatMatrix, weights: RankingWeights
) -> FloatMatrix:
    """How much each phrase is about a topic rather than small talk, 0..1.

    Profiles mix what people can help with and want to learn with logistics, career
    history and private life ("happy to meet online", "I joined in 2009", "I love
    gardening"). Such sentences match each other strongly across profiles and would
    otherwise win matches and be quoted as reasons. A phrase's weight falls linearly
    from 1 to 0 as its cosine to the nearest small-talk example rises from
    ``small_talk_from`` to ``small_talk_full``.

    Args:
        vectors: (n, d) phrase vectors.
        small_talk: (m, d) vectors of small-talk examples
            (:data:`matching_service.domain.texts.SMALL_TALK`).
        weights: Supplies the two thresholds.
    """
    if vectors.shape[0] == 0 or small_talk.shape[0] == 0:
        return np.ones(vectors.shape[0], dtype=np.float32)
    nearest = (vectors @ small_talk.T).max(axis=1)
    span = weights.small_talk_full - weights.small_talk_from
    result: FloatMatrix = np.clip(1.0 - (nearest - weights.small_talk_from) / span, 0.0, 1.0)
    return result.astype(np.float32)


def profile_vector(vectors: FloatMatrix, weights: FloatMatrix | None = None) -> FloatMatrix | None:
    """A person's vector for one side: the renormalised (weighted) mean of phrase vectors.

    Args:
        vectors: (n, d) phrase vectors.
        weights: (n,) topicality weights; when absent or all zero (someone wrote only
            small talk) every phrase counts equally.

    Returns:
        A (d,) float32 unit vector, or None when there are no phrases.
    """
    if vectors.shape[0] == 0:
        return None
    if weights is not None and float(weights.sum()) > 0:
        mean = (vectors.astype(np.float32) * weights[:, None]).sum(axis=0)
    else:
        mean = vectors.astype(np.float32).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        return None
    unit: FloatMatrix = (mean / norm).astype(np.float32)
    return unit


@dataclass(frozen=True, slots=True)
class RankingCandidate:
    """A retrieved candidate with what re-ranking needs.

    Attributes:
        profile: The candidate.
        phrases: Their phrases on the side being matched (offers for a mentor or
            coach, seeks for a mentee).
        load: How busy they are.
        profile_similarity: Cosine of the two profile vectors (from retrieval).
    """

    profile: PersonProfile
    phrases: PhraseVectors
    load: CandidateLoad = field(default_factory=CandidateLoad)
    profile_similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """A goal phrase and the phrase on the other side that matched it best."""

    goal: str
    match: str
    similarity: float
    strength: str


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The parts of a score, for explanations and tuning."""

    semantic: float
    profession: float
    grade: float
    region: float
    load_penalty: float
    skills: float = 0.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One ranked candidate.

    Attributes:
        profile_id: The candidate's profile id.
        score: 0..1; higher is a better fit.
        reasons: Human-readable reasons, strongest phrase matches first.
        matches: The phrase pairs behind the phrase reasons.
        parts: The parts the score was made of.
    """

    profile_id: str
    score: float
    reasons: tuple[str, ...]
    matches: tuple[PhraseMatch, ...]
    parts: ScoreParts


def strength_word(similarity: float, weights: RankingWeights) -> str | None:
    """ "strong", "good" or "some" for a phrase cosine; None when too weak to quote."""
    if similarity >= weights.strong_match:
        return "strong"
    if similarity >= weights.good_match:
        return "good"
    if similarity >= weights.some_match:
        return "some"
    return None


def quote(phrase: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """Shorten a phrase for a reason, at a word boundary."""
    if len(phrase) <= limit:
        return phrase
    cut = phrase[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…"


def _phrase_reason(voice: ReasonVoice, match: PhraseMatch, *, anonymous: bool = False) -> str:
    goal, other = quote(match.goal), quote(match.match)
    if anonymous:
        # An anonymous candidate's own words are not quoted: others see their
        # initials, department and grade only.
        if voice is ReasonVoice.MENTOR:
            return f"Their goals match your '{other}' ({match.strength})"
        if voice is ReasonVoice.SEARCH:
            return f"Your search '{goal}' matches their profile ({match.strength})"
        return f"Your goal '{goal}' matches their profile ({match.strength})"
    if voice is ReasonVoice.MENTOR:
        return f"Their goal '{goal}' matches your '{other}' ({match.strength})"
    if voice is ReasonVoice.SEARCH:
        return f"Your search '{goal}' matches their '{other}' ({match.strength})"
    return f"Your goal '{goal}' matches their '{other}' ({match.strength})"


def grade_gap(asker: PersonProfile, candidate: PersonProfile, role: TargetRole) -> int | None:
    """Grades between mentor and mentee: positive when the mentor is more senior."""
    asker_rank, candidate_rank = grade_rank(asker.grade), grade_rank(candidate.grade)
    if asker_rank is None or candidate_rank is None:
        return None
    if role in OFFERING_ROLES:
        return candidate_rank - asker_rank
    return asker_rank - candidate_rank


def grade_fit(gap: int | None) -> float:
    """Structured grade fit for a gap (see :data:`GRADE_GAP_FIT`)."""
    if gap is None or gap < 0:
        return 0.0
    return GRADE_GAP_FIT[min(gap, len(GRADE_GAP_FIT) - 1)]


def _grade_reason(gap: int, role: TargetRole) -> str:
    if gap == 0:
        return "Same grade as you"
    direction = "above" if (gap > 0) == (role in OFFERING_ROLES) else "below"
    size = abs(gap)
    count = _NUMBER_WORDS[size] if size < len(_NUMBER_WORDS) else str(size)
    return f"{count} grade{'s' if size > 1 else ''} {direction} you"


def region_fit(asker: PersonProfile, candidate: PersonProfile) -> tuple[float, str | None]:
    """Structured region fit and its reason."""
    if asker.region is not None and candidate.region == asker.region:
        return 1.0, "Based in your region"
    if asker.region is not None and asker.region in candidate.travel_regions:
        return 0.8, "Willing to travel to your region"
    if asker.remote_ok and candidate.remote_ok:
        return 0.5, "Happy to meet remotely"
    return 0.0, None


def load_penalty(load: CandidateLoad, weights: RankingWeights) -> float:
    """Penalty for many open requests and slow replies (already weighted).

    Request pressure rises linearly to 1 at ``open_requests_saturation`` waiting
    requests; slowness rises linearly from 0 at ``reply_ok_hours`` to 1 at
    ``slow_reply_hours`` of expected reply time (:attr:`CandidateLoad.expected_reply_hours`:
    the usual reply time, or longer while a request already waits longer).
    """
    pressure = min(1.0, load.open_requests / weights.open_requests_saturation)
    slowness = 0.0
    expected = load.expected_reply_hours
    if expected is not None:
        span = weights.slow_reply_hours - weights.reply_ok_hours
        slowness = min(1.0, max(0.0, (expected - weights.reply_ok_hours) / span))
    return weights.open_requests * pressure + weights.slow_replies * slowness


def _goal_matches(
    similarities: FloatMatrix,
    goals: PhraseVectors,
    others: PhraseVectors,
    weights: RankingWeights,
) -> tuple[float, list[PhraseMatch]]:
    """Phrase score and quotable matches from a (goals x others) similarity matrix.

    Small talk on the other side cannot win a goal (its similarity is scaled by its
    topicality); small-talk goals count less in the mean and are never quoted.
    """
    goal_weights, other_weights = goals.phrase_weights, others.phrase_weights
    effective = similarities * other_weights[None, :]
    best_other = effective.argmax(axis=1)
    rows = np.arange(len(goals))
    per_goal = effective[rows, best_other]
    total = float(goal_weights.sum())
    mean = float((per_goal * goal_weights).sum() / total) if total > 0 else float(per_goal.mean())
    best = float((per_goal * goal_weights).max()) if total > 0 else float(per_goal.max())
    score = (1 - weights.best_goal_share) * mean + weights.best_goal_share * best
    matches: list[PhraseMatch] = []
    used_goals: set[str] = set()
    used_others: set[str] = set()
    for goal_index in np.argsort(-(per_goal * goal_weights), kind="stable"):
        other_index = int(best_other[goal_index])
        if goal_weights[goal_index] < 0.5 or other_weights[other_index] < 0.5:
            continue
        similarity = float(similarities[goal_index, other_index])
        strength = strength_word(similarity, weights)
        if strength is None or len(matches) == weights.max_phrase_reasons:
            break
        goal, other = goals.phrases[goal_index], others.phrases[other_index]
        # Quote each phrase once: the same expertise matching three goals reads as
        # one reason, the next goal's best distinct match is more informative.
        if goal.casefold() in used_goals or other.casefold() in used_others:
            continue
        used_goals.add(goal.casefold())
        used_others.add(other.casefold())
        matches.append(PhraseMatch(goal, other, round(similarity, 3), strength))
    return score, matches


def rank_candidates(
    asker: PersonProfile | None,
    asker_phrases: PhraseVectors,
    candidates: Sequence[RankingCandidate],
    *,
    role: TargetRole,
    weights: RankingWeights,
    voice: ReasonVoice,
    limit: int,
    labels: Mapping[str, str] | None = None,
) -> list[Suggestion]:
    """Score, explain and order retrieved candidates.

    Args:
        asker: The person asking; None for an anonymous free-text search (no
            structured fit then).
        asker_phrases: The asker's goals (mentee, search) or expertise (mentor
            looking for mentees), with vectors.
        candidates: Retrieved candidates that passed the hard filters.
        role: The role the candidates play.
        weights: Score weights and reason thresholds.
        voice: How reasons are worded; also which side holds the goals.
        limit: How many suggestions to return.
        labels: Display names of reference codes (professions), code to name.

    Returns:
        At most ``limit`` suggestions, best first (ties broken by profile id).
    """
    if not candidates or len(asker_phrases) == 0:
        return []
    labels = labels or {}
    ranked = [candidate for candidate in candidates if len(candidate.phrases) > 0]
    if not ranked:
        return []
    phrase_scores = _phrase_scores(asker_phrases, ranked, voice, weights)
    scored: list[tuple[float, str, int, float, ScoreParts, list[str]]] = []
    for position, (candidate, phrase_score) in enumerate(zip(ranked, phrase_scores, strict=True)):
        score, parts, reasons = _score(asker, candidate, role, float(phrase_score), weights, labels)
        scored.append((-score, candidate.profile.profile_id, position, score, parts, reasons))
    scored.sort()
    suggestions: list[Suggestion] = []
    # Only the suggestions shown are explained: the phrase pairs are worked out for them.
    for _, profile_id, position, score, parts, structured in scored[:limit]:
        candidate = ranked[position]
        if voice is ReasonVoice.MENTOR:
            similarities = (
                _as_float32(candidate.phrases.vectors) @ _as_float32(asker_phrases.vectors).T
            )
            _, matches = _goal_matches(similarities, candidate.phrases, asker_phrases, weights)
        else:
            similarities = (
                _as_float32(asker_phrases.vectors) @ _as_float32(candidate.phrases.vectors).T
            )
            _, matches = _goal_matches(similarities, asker_phrases, candidate.phrases, weights)
        anonymous = candidate.profile.anonymous
        reasons = [
            _phrase_reason(voice, match, anonymous=anonymous) for match in matches
        ] + structured
        suggestions.append(
            Suggestion(profile_id, round(score, 4), tuple(reasons), tuple(matches), parts)
        )
    return suggestions


def _as_float32(matrix: npt.NDArray[Any]) -> FloatMatrix:
    return np.asarray(matrix, dtype=np.float32)


def _phrase_scores(
    asker_phrases: PhraseVectors,
    candidates: Sequence[RankingCandidate],
    voice: ReasonVoice,
    weights: RankingWeights,
) -> FloatMatrix:
    """Every candidate's phrase score at once (the same arithmetic as :func:`_goal_matches`).

    The candidates' phrases are stacked into one matrix; per-candidate maxima and
    means are segment reductions over its columns.
    """
    stacked = _as_float32(np.vstack([candidate.phrases.vectors for candidate in candidates]))
    their_weights = np.concatenate(
        [candidate.phrases.phrase_weights for candidate in candidates]
    ).astype(np.float32)
    starts = np.cumsum([0] + [len(candidate.phrases) for candidate in candidates[:-1]])
    asker_weights = asker_phrases.phrase_weights.astype(np.float32)
    similarities = _as_float32(asker_phrases.vectors) @ stacked.T
    if voice is ReasonVoice.MENTOR:
        # The candidates' phrases are the goals; the asker's expertise answers them.
        per_goal = (similarities * asker_weights[:, None]).max(axis=0)
        weighted = per_goal * their_weights
        totals = np.add.reduceat(their_weights, starts)
        sums = np.add.reduceat(weighted, starts)
        plain = np.add.reduceat(per_goal, starts) / np.diff(np.append(starts, per_goal.size))
        mean = np.where(totals > 0, sums / np.maximum(totals, 1e-9), plain)
        best = np.where(
            totals > 0, np.maximum.reduceat(weighted, starts), np.maximum.reduceat(per_goal, starts)
        )
    else:
        per_goal = np.maximum.reduceat(similarities * their_weights[None, :], starts, axis=1)
        total = float(asker_weights.sum())
        if total > 0:
            mean = (asker_weights @ per_goal) / total
            best = (per_goal * asker_weights[:, None]).max(axis=0)
        else:
            mean = per_goal.mean(axis=0)
            best = per_goal.max(axis=0)
    scores: FloatMatrix = (
        (1 - weights.best_goal_share) * mean + weights.best_goal_share * best
    ).astype(np.float32)
    return scores


def _score(
    asker: PersonProfile | None,
    candidate: RankingCandidate,
    role: TargetRole,
    phrase_score: float,
    weights: RankingWeights,
    labels: Mapping[str, str],
) -> tuple[float, ScoreParts, list[str]]:
    """A candidate's score, its parts, and the structured reasons."""
    raw = (1 - weights.profile_share) * phrase_score + weights.profile_share * (
        candidate.profile_similarity
    )
    span = weights.similarity_ceiling - weights.similarity_floor
    semantic = min(1.0, max(0.0, (raw - weights.similarity_floor) / span))
    reasons: list[str] = []
    profession = grade = region = 0.0
    other = candidate.profile
    # A structured reason is given only when its part counts towards the score. An
    # anonymous candidate's profession and region neither count nor show (the
    # anonymity rule): only their grade does.
    if asker is not None:
        if (
            not other.anonymous
            and asker.profession is not None
            and other.profession == asker.profession
        ):
            profession = 1.0
            if weights.profession > 0:
                label = labels.get(other.profession, other.profession)
                reasons.append(f"Same profession: {label}")
        gap = grade_gap(asker, other, role)
        grade = grade_fit(gap)
        if gap is not None and gap >= 0 and weights.grade > 0:
            reasons.append(_grade_reason(gap, role))
        region, region_reason = (0.0, None) if other.anonymous else region_fit(asker, other)
        if region_reason is not None and weights.region > 0:
            reasons.append(region_reason)
    skills, skill_reason = skill_bonus(asker, other, role)
    if skill_reason is not None and weights.skills > 0:
        reasons.append(skill_reason)
    penalty = load_penalty(candidate.load, weights)
    score = (
        weights.semantic * semantic
        + weights.profession * profession
        + weights.grade * grade
        + weights.region * region
        + weights.skills * skills
        - penalty
    )
    parts = ScoreParts(
        semantic=round(semantic, 4),
        profession=profession,
        grade=grade,
        region=region,
        load_penalty=round(penalty, 4),
        skills=round(skills, 4),
    )
    return min(1.0, max(0.0, score)), parts, reasons


def skill_bonus(
    asker: PersonProfile | None, candidate: PersonProfile, role: TargetRole
) -> tuple[float, str | None]:
    """Skill-tag overlap between the mentee's sought and the mentor's offered skills.

    Returns:
        The overlap (0..1, :func:`matching_service.domain.skills.skill_overlap`) and
        a reason naming up to two shared skills; 0 and None without an asker or
        without shared skills.
    """
    if asker is None:
        return 0.0, None
    offering = role in OFFERING_ROLES
    mentee, mentor = (asker, candidate) if offering else (candidate, asker)
    overlap, shared = skill_overlap(mentee.sought_skills, mentor.offered_skills)
    if not shared:
        return 0.0, None
    vocabulary = load_vocabulary()
    named = " and ".join(_mid_sentence(vocabulary.name_of(skill_id)) for skill_id in shared[:2])
    if offering:
        return overlap, f"Can help with {named}, which you want to develop"
    return overlap, f"Wants to develop {named}, which you can help with"


def _mid_sentence(name: str) -> str:
    """A sentence-case name as it reads inside a sentence ("SQL" and "HR" keep capitals)."""
    first = name.split(" ", 1)[0]
    if any(character.isupper() for character in first[1:]):
        return name
    return name[:1].lower() + name[1:]
