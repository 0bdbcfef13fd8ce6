"""Structured fit: how grade, region and skill tags suit a pair, the load penalty, and
the reasons that word them.

These are the tie-breakers of a ranking (:mod:`matching_service.domain.ranking`),
weighted by :class:`~matching_service.domain.ranking_weights.RankingWeights` below
the noise of the semantic score. A field that either side left empty counts as
neutral (:data:`NEUTRAL_FIT`).
"""

from __future__ import annotations

from matching_service.domain.model import (
    OFFERING_ROLES,
    CandidateLoad,
    PersonProfile,
    TargetRole,
    grade_rank,
)
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.domain.skills import load_vocabulary, skill_overlap

_NUMBER_WORDS = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")

NEUTRAL_FIT = 0.5
"""Structured fit of a field that either side left empty: neither a bonus nor a
penalty against people who filled it in (the middle of the 0..1 scale)."""

GRADE_GAP_FIT: tuple[float, ...] = (0.4, 1.0, 1.0, 0.6, 0.3)
"""Structured grade fit by how many grades the mentor is above the mentee (index =
gap, the last entry for every larger gap). One or two grades above is ideal: close
enough to remember the step, senior enough to have made it."""


def grade_gap(asker: PersonProfile, candidate: PersonProfile, role: TargetRole) -> int | None:
    """Grades between mentor and mentee: positive when the mentor is more senior."""
    asker_rank, candidate_rank = grade_rank(asker.grade), grade_rank(candidate.grade)
    if asker_rank is None or candidate_rank is None:
        return None
    if role in OFFERING_ROLES:
        return candidate_rank - asker_rank
    return asker_rank - candidate_rank


def grade_fit(gap: int | None) -> float:
    """Structured grade fit for a gap (see :data:`GRADE_GAP_FIT`); unknown is neutral."""
    if gap is None:
        return NEUTRAL_FIT
    if gap < 0:
        return 0.0
    return GRADE_GAP_FIT[min(gap, len(GRADE_GAP_FIT) - 1)]


def grade_reason(gap: int, role: TargetRole) -> str:
    if gap == 0:
        return "Same grade as you"
    direction = "above" if (gap > 0) == (role in OFFERING_ROLES) else "below"
    size = abs(gap)
    count = _NUMBER_WORDS[size] if size < len(_NUMBER_WORDS) else str(size)
    return f"{count} grade{'s' if size > 1 else ''} {direction} you"


def region_fit(asker: PersonProfile, candidate: PersonProfile) -> tuple[float, str | None]:
    """Structured region fit and its reason; a region missing on either side is neutral."""
    if asker.region is not None and candidate.region == asker.region:
        return 1.0, "Based in your region"
    if asker.region is not None and asker.region in candidate.travel_regions:
        return 0.8, "Willing to travel to your region"
    if asker.remote_ok and candidate.remote_ok:
        return 0.5, "Happy to meet remotely"
    if asker.region is None or candidate.region is None:
        return NEUTRAL_FIT, None
    return 0.0, None


def load_penalty(load: CandidateLoad, weights: RankingWeights) -> float:
    """Penalty for many open requests and slow replies (already weighted).

    Request pressure rises linearly to 1 at ``open_requests_saturation`` waiting
    requests; slowness rises linearly from 0 at ``reply_ok_hours`` to 1 at
    ``slow_reply_hours`` of expected reply time (:attr:`CandidateLoad.expected_reply_hours`:
    the usual reply time, or longer while a request already waits longer).
    """
    pressure = min(1.0, max(0.0, load.open_requests / weights.open_requests_saturation))
    slowness = 0.0
    expected = load.expected_reply_hours
    if expected is not None:
        span = weights.slow_reply_hours - weights.reply_ok_hours
        slowness = min(1.0, max(0.0, (expected - weights.reply_ok_hours) / span))
    return weights.open_requests * pressure + weights.slow_replies * slowness


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
