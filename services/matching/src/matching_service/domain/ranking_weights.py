"""How a suggestion's score is made: the ranking weights and reason thresholds.

The service exposes them as settings (:mod:`matching_service.settings`);
``bench/ranking_weights.py`` tunes them. The fits they weigh are in
:mod:`matching_service.domain.structured_fit` and :mod:`matching_service.domain.ranking`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """How a suggestion's score is made; the service exposes these as settings.

    score = (semantic * semantic_fit + profession * asked_profession
             + grade * grade_fit + region * region_fit + skills * skill_overlap)
            / (the sum of those weights; profession only when asked for, skills
               only when the asker has skills)
            - open_requests * request_pressure - slow_replies * reply_slowness,
    clipped to 0..1: a perfect match without load scores 1.

    Meaning first: the structured weights together stay below the noise of the
    semantic fit (docs/matching.md gives the dev-split figures), so they only order
    candidates whose goals are met about equally well.

    Attributes:
        semantic: Weight of phrase-level similarity (0..1 after scaling).
        profession: Bonus for the profession the asker asked for (a query's
            ``profession``); without such a request profession does not count.
        grade: Weight of the grade-gap fit (see
            :data:`~matching_service.domain.structured_fit.GRADE_GAP_FIT`; an unknown
            grade on either side is
            :data:`~matching_service.domain.structured_fit.NEUTRAL_FIT`).
        region: Weight of the region fit (same region 1, travels there 0.8,
            both remote 0.5, a region missing on either side
            :data:`~matching_service.domain.structured_fit.NEUTRAL_FIT`).
        open_requests: Penalty at ``open_requests_saturation`` waiting requests.
        slow_replies: Penalty for an expected reply time of ``slow_reply_hours`` or
            more (see :func:`~matching_service.domain.structured_fit.load_penalty`).
        skills: Weight of the skill-tag overlap
            (:func:`~matching_service.domain.structured_fit.skill_bonus`): the mentee's
            sought skills that the mentor or coach offers.
        best_goal_share: Share of the best goal's match in the phrase score; the
            rest is the mean over goals of each goal's best offered phrase.
        profile_share: Share of the profile-vector cosine in the semantic score (it
            rewards a candidate whose whole profile leans the asker's way, not just
            one phrase).
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
        candidate_pool: Candidates retrieved per query vector before re-ranking.
    """

    semantic: float = 0.96
    profession: float = 0.02
    grade: float = 0.02
    region: float = 0.02
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
        if self.slow_reply_hours <= self.reply_ok_hours:
            raise ValueError("slow_reply_hours must exceed reply_ok_hours")
        if self.open_requests_saturation < 1 or self.candidate_pool < 1:
            raise ValueError("open_requests_saturation and candidate_pool must be positive")
